"""``backprop-course check``: a student's notebook graded against itself, public tests only."""

from __future__ import annotations

import copy
from pathlib import Path

from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.format import regions
from backprop_course.grading.grade import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, grade_submission
from backprop_course.grading.results import SubmissionReport
from backprop_course.grading.scoring.answers import syntax_error


def check_notebook(
    path: str | Path, *, timeout: float = DEFAULT_TIMEOUT, memory_mb: float = DEFAULT_MEMORY_MB
) -> SubmissionReport:
    """Run the public tests of a student's own notebook and score them (``backprop-course check``).

    The notebook is both source and submission: its answers, its setup and its public test
    cells (hidden test regions, if any, are skipped). The score is out of the public tests'
    points; the instructor's grade also counts hidden tests.

    >>> check_notebook("no/such/exercise.ipynb")
    Traceback (most recent call last):
    ...
    backprop_course.grading.format.notebook.NotebookError: no/such/exercise.ipynb: file not found
    """
    nb = nbmod.read_notebook(path)
    # the notebook's answers are the student's: one that does not parse is graded (as `grade`
    # grades it: that part fails), so only the rest of the notebook must be valid
    shown = copy.deepcopy(nb)
    for cell in shown.cells:
        if nbmod.role(cell) == "answer" and syntax_error(cell.source, "") is not None:
            cell.source = "pass"
    nbmod.validate(shown, str(path))
    if not nbmod.graded_parts(nb):
        raise nbmod.NotebookError(
            f"{path}: no graded test cells, so there is nothing to check (a lecture?); "
            "`backprop-course check` runs the tests of an exercise, e.g. "
            "exercises/05_matrix_backprop.ipynb"
        )
    # a student's own notebook may be a link (grading refuses links: they could name others')
    own = Path(path).resolve() if Path(path).is_symlink() else path
    report = grade_submission(
        path, own, timeout=timeout, memory_mb=memory_mb, public_only=True, _source_nb=nb
    )
    hidden = [
        c
        for c in nb.cells
        if nbmod.role(c) == "test"
        and regions.has_marker(c.source, regions.BEGIN_HIDDEN, regions.END_HIDDEN)
    ]
    note = "public tests only: the instructor's grade also runs hidden tests"
    if hidden:
        note += f" ({len(hidden)} part(s) here contain hidden tests that were skipped)"
    report.messages.insert(0, note)
    return report
