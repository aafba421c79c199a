"""Build students' submissions from the fixture source notebook (shared by the grader tests)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from backprop_course.grading.format.build import make_exercise
from backprop_course.grading.format.notebook import grade_id, read_notebook

FIXTURES = Path(__file__).parent
SOURCE = FIXTURES / "source.ipynb"

#: Correct answers, by grade_id, written as a student might (not the solution's text).
GOOD = {
    "scaled_sum": "def scaled_sum(X, c):\n    return c * np.sum(X, axis=0)",
    "derivative": "def derivative(f, x, h=1e-6):\n    return (f(x + h) - f(x - h)) / (2 * h)",
    "learning_rate": "learning_rate = 1 / 2",
}
#: Points of each part of the fixture.
POINTS = {"test_scaled_sum": 2.0, "test_derivative": 3.0, "test_learning_rate": 1.0}


def exercise() -> nbformat.NotebookNode:
    """The exercise a student receives."""
    return make_exercise(read_notebook(SOURCE))


def submission(folder: Path, name: str, answers: dict[str, str] | None = None, edit=None) -> Path:
    """Write the exercise with ``answers`` filled in (the rest from GOOD); return its path.

    ``edit(nb)`` may change the notebook further (delete cells, tamper with metadata).
    """
    nb = exercise()
    filled = {**GOOD, **(answers or {})}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in filled and cell.metadata.nbgrader.get("solution"):
            cell.source = filled[gid]
    if edit is not None:
        edit(nb)
    path = Path(folder) / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
