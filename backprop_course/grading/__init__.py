"""The autograder: exercise generation from solutions, sandboxed execution, scoring, reports.

One concern per module, in the spirit of nbgrader's ``preprocessors/``:

- ``regions``: nbgrader's ``### BEGIN/END SOLUTION`` and ``HIDDEN TESTS`` markers in a source;
- ``notebook``: reading notebooks, the role of each cell, validation of nbgrader metadata;
- ``build``: exercises from solutions (``backprop-course build-exercises``);
- ``wire``: the strict plain-data codec between grader and student kernel;
- ``kernel_side``: the helper installed in the student's kernel (memory cap, forbidden modules);
- ``sandbox``: one limited kernel driven through nbclient, with timeouts and crash detection;
- ``session``: replay after a crash, proxies for the student's functions;
- ``answers``: which submission cells are answers, the names they define;
- ``writeback``: in-place changes to arguments, mirrored into the test's objects;
- ``testcell``: running setup and test cells in the grader's process, partial credit;
- ``forbidden``: answers that import the course's own implementation;
- ``grade``: one submission (``grade_submission``, ``check_notebook``);
- ``batch``: many submissions in parallel, grades.csv, JSON and Gradescope reports
  (``grade_batch``);
- ``checks``: feedback helpers for the course's test cells.

Everything is imported on first use: importing ``backprop_course.grading.checks`` in a
student's kernel must not pull in nbformat (whose JSON-schema stack takes seconds to import).

>>> from backprop_course.grading import build_exercises, grade_submission
"""

_LAZY = {
    "BuildResult": "backprop_course.grading.build",
    "build_exercises": "backprop_course.grading.build",
    "make_exercise": "backprop_course.grading.build",
    "NotebookError": "backprop_course.grading.notebook",
    "read_notebook": "backprop_course.grading.notebook",
    "validate": "backprop_course.grading.notebook",
    "grade_submission": "backprop_course.grading.grade",
    "check_notebook": "backprop_course.grading.grade",
    "grade_batch": "backprop_course.grading.batch",
    "SubmissionReport": "backprop_course.grading.report",
    "PartResult": "backprop_course.grading.report",
}

__all__ = [
    "BuildResult",
    "NotebookError",
    "PartResult",
    "SubmissionReport",
    "build_exercises",
    "check_notebook",
    "grade_batch",
    "grade_submission",
    "make_exercise",
    "read_notebook",
    "validate",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backprop_course.grading' has no attribute {name!r}")
