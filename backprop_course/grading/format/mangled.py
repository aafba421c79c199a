"""Submissions that editors mangled: matched to the source, or refused with a way to fix them.

Students' tools change notebooks in ways nbgrader's metadata does not survive (issue 22; the
same reports in nbgrader #1083, #1682, #1941, #1324 and otter #444):

- Google Colab (and some other editors) drop custom cell metadata, so no cell carries its
  nbgrader ``grade_id``: :func:`repair` matches the source's answer cells to the submission's
  code cells by order and by the text of their stubs (the names the stub defines, else how
  alike the two texts are) and grades them, with a note saying so;
- an answer cell duplicated (copied, split): the first is graded, with a note;
- an answer cell turned into markdown: not run (its parts score 0), with a note on how to
  turn it back;
- an nbformat 4.4 notebook (cells without ids, from an older Jupyter): graded as usual, noted.

Empty files and invalid JSON are refused by ``notebook.read_notebook`` with their own message.
:func:`repaired_copy` writes the repaired notebook where a batch grades it; the submission
itself is never changed.
"""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

import nbformat

from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.format import regions

#: How alike (difflib's ratio) a code cell must be to a stub to be matched without its names.
MIN_LIKENESS = 0.5


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _stubs(source_nb) -> list[tuple[str, str, set[str]]]:
    """``(grade_id, stub text, names)`` of every answer cell of the source, in order: the
    names its stub defines, else those its solution defines (``x = ...`` answers)."""
    out = []
    for cell in source_nb.cells:
        if nbmod.role(cell) == "answer":
            stub = regions.replace_solutions(_text(cell))
            names = nbmod.defined_names(stub) or nbmod.defined_names(_text(cell))
            out.append((nbmod.grade_id(cell), stub, set(names)))
    return out


def _match_by_order(source_nb, sub) -> tuple[dict[int, str], list[str]]:
    """Cells of ``sub`` (by index) that are the source's answer cells, matched in order.

    A code cell is a candidate unless its text is one of the source's other cells (a setup
    or test cell the student left alone). Each answer takes the first candidate after the
    previous match that defines every name its stub (or else its solution) defines; an
    answer that defines no name takes the most alike candidate (at least
    :data:`MIN_LIKENESS`).
    """
    fixed = set()
    for cell in source_nb.cells:  # as the source has them and as the exercise shows them
        if nbmod.role(cell) in ("setup", "test"):
            fixed.add(_text(cell).strip())
            try:
                fixed.add(regions.remove_hidden_tests(_text(cell)).strip())
            except ValueError:
                pass
    candidates = [
        i
        for i, c in enumerate(sub.get("cells", []))
        if c.get("cell_type") == "code" and _text(c).strip() not in fixed
    ]
    matched: dict[int, str] = {}
    unmatched: list[str] = []
    after = -1
    for gid, stub, names in _stubs(source_nb):
        pool = [i for i in candidates if i > after]
        pick = None
        if names:
            pick = next(
                (i for i in pool if names <= set(nbmod.defined_names(_text(sub.cells[i])))), None
            )
        else:
            likeness = [
                (difflib.SequenceMatcher(None, stub, _text(sub.cells[i])).ratio(), -i) for i in pool
            ]
            best = max(likeness, default=(0.0, 0))
            if best[0] >= MIN_LIKENESS:
                pick = -best[1]
        if pick is None:
            unmatched.append(gid)
            continue
        matched[pick] = gid
        after = pick
    return matched, unmatched


def repair(source_nb, sub) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """A copy of ``sub`` whose answer cells carry the source's ``grade_id``\\ s (None when
    nothing needed changing), and notes saying what was found and how to avoid it.

    >>> src = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION",
    ...     metadata={"nbgrader": {"solution": True, "grade_id": "f", "grade": False}})])
    >>> answer = nbformat.v4.new_code_cell("def f(x):\\n    return 2")
    >>> colab = nbformat.v4.new_notebook(cells=[answer])
    >>> fixed, notes = repair(src, colab)
    >>> nbmod.grade_id(fixed.cells[0]), notes[0][:39]
    ('f', 'this notebook has no nbgrader metadata ')
    """
    answer_ids = [gid for gid, _, _ in _stubs(source_nb)]
    cells = sub.get("cells", [])
    notes: list[str] = []
    copy = nbformat.from_dict(sub)
    changed = False
    if sub.get("nbformat") == 4 and sub.get("nbformat_minor", 5) < 5:
        notes.append(
            f"this notebook is in nbformat 4.{sub.get('nbformat_minor')} (cells without ids, "
            "from an older Jupyter or another editor): graded as usual"
        )
    carried = {nbmod.grade_id(c) for c in cells} & set(answer_ids)
    if answer_ids and not carried:
        matched, unmatched = _match_by_order(source_nb, sub)
        for index, gid in matched.items():
            meta = copy.cells[index].setdefault("metadata", {})
            meta["nbgrader"] = {"grade_id": gid, "solution": True, "grade": False}
            changed = True
        where = ", ".join(f"{gid!r} is cell {i}" for i, gid in sorted(matched.items()))
        notes.append(
            "this notebook has no nbgrader metadata (Google Colab and some editors drop it): "
            "its answer cells were matched to the exercise's by their order and the names "
            f"their stubs define ({where or 'none found'})"
            + (f"; not found: {', '.join(map(repr, unmatched))}" if unmatched else "")
            + ". To keep the metadata, edit and download the notebook in Jupyter or JupyterLab"
        )
        return (copy if changed else None), notes
    for gid in answer_ids:
        places = [i for i, c in enumerate(cells) if nbmod.grade_id(c) == gid]
        code = [i for i in places if cells[i].get("cell_type") == "code"]
        text = [i for i in places if cells[i].get("cell_type") != "code"]
        if len(code) > 1:
            notes.append(
                f"answer cell {gid!r} appears {len(code)} times (cells "
                f"{', '.join(map(str, code))}: copied or split): cell {code[0]} was graded; "
                "keep your whole answer in that one cell and delete the copies"
            )
            for i in code[1:]:
                copy.cells[i]["metadata"].pop("nbgrader", None)
                changed = True
        if text and not code:
            notes.append(
                f"answer cell {gid!r} (cell {text[0]}) was turned into a "
                f"{cells[text[0]].get('cell_type')} cell, so its code was not run and the "
                "parts that use it score 0: in Jupyter select it and press Y (or choose "
                "'Code' in the toolbar) to make it a code cell again"
            )
        for i in text:
            copy.cells[i]["metadata"].pop("nbgrader", None)
            changed = True
    return (copy if changed else None), notes


def repaired_copy(source_nb, submission: str | Path, folder: str | Path) -> tuple[Path, list[str]]:
    """The path to grade for ``submission`` and the notes to add to its report.

    The submission itself when it needs no repair or cannot be read (the grader then reports
    why); else a repaired copy written in ``folder`` (a private temporary folder).
    """
    path = Path(submission)
    try:
        if path.is_symlink() or path.stat().st_size > (50 << 20):
            return path, []
        sub = nbmod.read_notebook(path, follow_symlinks=False)
    except (OSError, nbmod.NotebookError):
        return path, []
    fixed, notes = repair(source_nb, sub)
    if fixed is None:
        return path, notes
    target = Path(tempfile.mkdtemp(dir=folder)) / path.name
    nbformat.write(fixed, target)
    return target, notes
