"""Build exercise notebooks from solution notebooks (``backprop-course build-exercises``).

``solutions/`` is the only hand-edited source. Each exercise is its solution with every solution
region replaced by a stub raising ``NotImplementedError`` (an answer cell without markers is
replaced whole), hidden tests removed, outputs and execution counts cleared and nbgrader
metadata kept, so an instructor who uses nbgrader can use the notebooks unchanged. The output
depends only on the solutions: building twice gives byte-identical files, which is what
``check=True`` (CI's staleness check) compares.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from backprop_course.grading.format import regions
from backprop_course.grading.format.notebook import (
    NotebookError,
    nbgrader_meta,
    read_notebook,
    role,
    validate,
)

#: Cell metadata that records a particular run and has no place in an exercise.
_RUN_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def make_exercise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the exercise built from a (validated) solution notebook; ``nb`` is not changed.

    >>> cell = nbformat.v4.new_code_cell(
    ...     "def double(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION",
    ...     metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "double"}})
    >>> ex = make_exercise(nbformat.v4.new_notebook(cells=[cell]))
    >>> print(ex.cells[0].source)
    def double(x):
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    ex = copy.deepcopy(nb)
    for cell in ex.cells:
        for key in _RUN_METADATA:
            cell.metadata.pop(key, None)
        cell_role = role(cell)
        if cell_role == "answer":
            cell.source = regions.replace_solutions(cell.source)
        elif cell.cell_type == "markdown" and nbgrader_meta(cell).get("solution"):
            cell.source = regions.replace_solutions(cell.source, markdown=True)
        elif cell_role == "test":
            cell.source = regions.remove_hidden_tests(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return ex


def exercise_text(solution: str | Path) -> str:
    """Read, validate and convert one solution notebook; return the exercise's file text."""
    solution = Path(solution)
    nb = read_notebook(solution)
    validate(nb, str(solution))
    text = nbformat.writes(make_exercise(nb))
    return text if text.endswith("\n") else text + "\n"


@dataclass
class BuildResult:
    """What :func:`build_exercises` did (or, with ``check=True``, would do).

    ``written``: exercises (re)written; ``unchanged``: already up to date; ``stale``: out of
    date or missing (``check=True`` only); ``orphans``: exercise notebooks with no solution.
    """

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is stale and no exercise lacks its solution."""
        return not self.stale and not self.orphans


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


def build_exercises(
    solutions_dir: str | Path = "solutions",
    exercises_dir: str | Path = "exercises",
    check: bool = False,
) -> BuildResult:
    """Write ``exercises_dir/NAME.ipynb`` for every ``solutions_dir/NAME.ipynb``.

    Every solution is read and validated before anything is written, so one broken notebook
    leaves ``exercises_dir`` untouched; a file already up to date is not rewritten.

    Parameters
    ----------
    solutions_dir, exercises_dir : path
        Folder of solution notebooks (read only) and of generated exercises.
    check : bool
        Write nothing; report in ``stale`` each exercise that is missing or differs from what
        a build would write, and in ``orphans`` each exercise without a solution.

    Returns
    -------
    BuildResult

    Raises
    ------
    NotebookError
        When a solution notebook is unreadable or breaks the nbgrader conventions; the message
        names every notebook and cell at fault.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = build_exercises(Path(tmp) / "solutions", Path(tmp) / "exercises")
    Traceback (most recent call last):
    ...
    backprop_course.grading.format.notebook.NotebookError: .../solutions: no such folder of
    solutions
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise NotebookError(f"{solutions_dir}: no such folder of solutions")
    texts: dict[Path, str] = {}
    errors: list[str] = []
    for solution in _notebooks(solutions_dir):
        try:
            texts[exercises_dir / solution.name] = exercise_text(solution)
        except NotebookError as exc:
            errors.append(str(exc))
    if errors:
        raise NotebookError("\n".join(errors))
    result = BuildResult()
    if exercises_dir.is_dir():
        result.orphans = [p for p in _notebooks(exercises_dir) if p not in texts]
    for target, text in texts.items():
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            result.unchanged.append(target)
        elif check:
            result.stale.append(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            result.written.append(target)
    return result
