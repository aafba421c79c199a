"""Reading notebooks and telling their cells apart by nbgrader metadata.

Every cell of a course notebook plays one of four roles, read from ``cell.metadata.nbgrader``:

========== ============================================ ===================================
role       nbgrader metadata                            graded how
========== ============================================ ===================================
answer     ``solution: true`` (code), no ``grade``      the student's code, run in a kernel
test       ``grade: true``, ``solution: false``, points the source's code, run by the grader
setup      none (or neither flag), code                 the source's code, run in both
text       markdown / raw                               not run
========== ============================================ ===================================

:func:`validate` checks what the grader relies on and names the notebook and cell of every
problem: unique ``grade_id``, points on test cells, balanced markers, code that parses.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
from pathlib import Path

import nbformat

from backprop_course.grading.format import regions

_GRADE_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")

#: Notebook-level metadata of this course: ``nb.metadata["backprop_course"]``.
COURSE_KEY = "backprop_course"


class NotebookError(ValueError):
    """A notebook the grader cannot use, with every problem named by notebook and cell."""


class SymlinkRefused(NotebookError):
    """A submission path that is a symbolic link (never followed; see :func:`read_notebook`)."""


def read_notebook(path: str | Path, *, follow_symlinks: bool = True) -> nbformat.NotebookNode:
    """Read a notebook with nbformat; raise :class:`NotebookError` naming the file if unusable.

    With ``follow_symlinks=False`` (a student's submission) a path that is a symbolic link is
    refused without reading what it points to, and the file is opened with ``O_NOFOLLOW``, so
    it cannot be swapped for a link in between: a link could make the grader read the solution
    or a classmate's notebook as this student's answers.

    >>> read_notebook("no/such/file.ipynb")
    Traceback (most recent call last):
    ...
    backprop_course.grading.format.notebook.NotebookError: no/such/file.ipynb: file not found
    """
    path = Path(path)
    if not follow_symlinks and path.is_symlink():
        raise SymlinkRefused(symlink_refusal(path))
    if not path.is_file():
        raise NotebookError(f"{path}: file not found")
    try:
        if follow_symlinks:
            nb = nbformat.read(path, as_version=4)
        else:
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except OSError as exc:
                if path.is_symlink():
                    raise SymlinkRefused(symlink_refusal(path)) from None
                raise NotebookError(f"{path}: cannot be opened ({exc.strerror})") from None
            with open(fd, encoding="utf-8") as fh:
                nb = nbformat.read(fh, as_version=4)
    except NotebookError:
        raise
    except Exception as exc:  # nbformat raises several kinds for corrupt files
        raise NotebookError(_unreadable(path, exc)) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path}: not a notebook (no list of cells)")
    return nb


def _unreadable(path: Path, exc: Exception) -> str:
    """Why ``path`` is not a notebook, and how the student gets a good one back."""
    try:
        empty = path.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        return (
            f"{path}: the file is empty (0 bytes), so there is nothing to grade: it was saved "
            "or uploaded before the notebook was written out; open your notebook in Jupyter, "
            "save it (File > Save) and submit that file again"
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    try:
        json.loads(path.read_bytes())
    except ValueError as bad:
        return (
            f"{path}: not a readable notebook: the file is not valid JSON ({bad}); it was cut "
            "off or edited outside Jupyter: open it in Jupyter (or restore the last "
            "checkpoint, File > Revert Notebook to Checkpoint), save it and submit again"
        )
    except OSError:
        pass
    return f"{path}: not a readable notebook ({first})"


def symlink_refusal(path: str | Path) -> str:
    """Why a submission that is a symbolic link is refused (its target named, never read)."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (
        f"{path}: refused: a symbolic link (to {target}); the grader never follows links, "
        "which could point it at another file (the solution, a classmate's notebook): "
        "submit the notebook file itself"
    )


def nbgrader_meta(cell: dict) -> dict:
    """Return the cell's ``nbgrader`` metadata (an empty dict when absent or malformed)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def role(cell: dict) -> str:
    """Return ``"answer"``, ``"test"``, ``"setup"`` or ``"text"`` for a cell (table above).

    >>> role(nbformat.v4.new_code_cell("x = 1"))
    'setup'
    >>> role(nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"solution": True}}))
    'answer'
    """
    if cell.get("cell_type") != "code":
        return "text"
    meta = nbgrader_meta(cell)
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    return "setup"


def grade_id(cell: dict) -> str | None:
    """Return the cell's nbgrader ``grade_id`` or None."""
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def points(cell: dict) -> float:
    """Return the points of a test cell (0 for any other cell)."""
    if role(cell) != "test":
        return 0.0
    return float(nbgrader_meta(cell).get("points", 0))


def forbidden_modules(nb: dict) -> tuple[str, ...]:
    """Modules answers of this notebook may not use: ``metadata.backprop_course.forbidden_modules``.

    >>> nb = nbformat.v4.new_notebook(metadata={"backprop_course": {"forbidden_modules": ["m"]}})
    >>> forbidden_modules(nb)
    ('m',)
    """
    course = nb.get("metadata", {}).get(COURSE_KEY, {})
    mods = course.get("forbidden_modules", []) if isinstance(course, dict) else []
    return tuple(str(m) for m in mods)


def defined_names(source: str) -> list[str]:
    """Names a cell binds at top level: functions, classes, assignments and imports.

    >>> defined_names("import numpy as np\\ndef f(x):\\n    y = 1\\n    return y\\na, b = 1, 2")
    ['np', 'f', 'a', 'b']
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []

    def add_target(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Tuple | ast.List):
            for elt in node.elts:
                add_target(elt)
        elif isinstance(node, ast.Starred):
            add_target(node.value)

    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                add_target(target)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            add_target(stmt.target)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                if alias.name != "*":
                    names.append(alias.asname or alias.name.split(".")[0])
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def validate(nb: dict, name: str) -> None:
    """Check a source (solution) notebook; raise :class:`NotebookError` listing every problem.

    Checked: nbgrader metadata is a dict with a well-formed ``grade_id`` unique in the
    notebook; test cells carry positive finite ``points``; no points on answer or markdown
    cells (the autograder grades code only); solution markers only in answer cells, hidden
    test markers only in test cells, both balanced; answer cells are not locked; every code
    cell parses as Python both in the solution and in the exercise built from it.

    >>> cell = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
    ...     "grade": True, "solution": False, "grade_id": "t1"}})
    >>> validate(nbformat.v4.new_notebook(cells=[cell]), "demo.ipynb")
    Traceback (most recent call last):
    ...
    backprop_course.grading.format.notebook.NotebookError: demo.ipynb: 1 problem
      demo.ipynb, cell 0 (grade_id 't1'): test cell needs positive 'points', got None
    """
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        raw_meta = cell.get("metadata", {}).get("nbgrader")
        ref = f"{name}, cell {index}"
        if grade_id(cell):
            ref += f" (grade_id {grade_id(cell)!r})"
        source = cell.get("source", "")
        if raw_meta is not None and not isinstance(raw_meta, dict):
            problems.append(f"{ref}: nbgrader metadata must be a dict, got {raw_meta!r}")
            continue
        meta = raw_meta or {}
        cell_role = role(cell)
        if meta:
            gid = meta.get("grade_id")
            if (meta.get("solution") or meta.get("grade")) and not gid:
                problems.append(f"{ref}: nbgrader cell needs a 'grade_id'")
            if gid is not None:
                if not isinstance(gid, str) or not _GRADE_ID.match(gid):
                    problems.append(
                        f"{ref}: grade_id must be letters, digits, '_', '-' or '.', got {gid!r}"
                    )
                elif gid in seen:
                    problems.append(f"{ref}: grade_id {gid!r} already used by cell {seen[gid]}")
                else:
                    seen[gid] = index
        if meta.get("grade") and meta.get("solution"):
            problems.append(
                f"{ref}: a cell both 'solution' and 'grade' is graded by hand; the autograder "
                "grades code only: split it into an answer cell and a test cell"
            )
        elif meta.get("grade") and cell.get("cell_type") != "code":
            problems.append(f"{ref}: only code cells can be graded, this one is markdown")
        elif cell_role == "test":
            pts = meta.get("points")
            ok = isinstance(pts, int | float) and not isinstance(pts, bool)
            if not ok or not math.isfinite(pts) or pts <= 0:
                problems.append(f"{ref}: test cell needs positive 'points', got {pts!r}")
        elif meta.get("points") not in (None, 0):
            problems.append(f"{ref}: 'points' only belong on test cells (grade: true)")
        if cell_role == "answer" and meta.get("locked"):
            problems.append(f"{ref}: an answer cell cannot be locked")
        for begin, end, allowed, what in (
            (regions.BEGIN_SOLUTION, regions.END_SOLUTION, bool(meta.get("solution")), "solution"),
            (regions.BEGIN_HIDDEN, regions.END_HIDDEN, cell_role == "test", "test"),
        ):
            if not regions.has_marker(source, begin, end):
                continue
            if not allowed:
                problems.append(
                    f"{ref}: {begin!r} markers belong in {what} cells only "
                    f"(this is a {cell_role} cell): they would leak into the exercise"
                )
                continue
            try:
                regions.find_regions(source, begin, end)
            except ValueError as exc:
                problems.append(f"{ref}: {exc}")
        if cell.get("cell_type") == "code":
            try:
                ast.parse(source)
                if cell_role == "answer":
                    ast.parse(regions.replace_solutions(source))
                elif cell_role == "test":
                    ast.parse(regions.remove_hidden_tests(source))
            except SyntaxError as exc:
                problems.append(f"{ref}: does not parse as Python (line {exc.lineno}: {exc.msg})")
            except ValueError:
                pass  # unbalanced markers, reported above
    if problems:
        raise NotebookError(
            f"{name}: {len(problems)} problem{'s' if len(problems) > 1 else ''}\n  "
            + "\n  ".join(problems)
        )


def graded_parts(nb: dict) -> list[tuple[str, float]]:
    """Return ``(grade_id, points)`` of every test cell, in notebook order."""
    return [(grade_id(c), points(c)) for c in nb.get("cells", []) if role(c) == "test"]
