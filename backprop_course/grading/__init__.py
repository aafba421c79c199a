"""The autograder: exercises built from solutions, student code run confined, scores and reports.

The folders follow the trust boundary: which code runs where, and what it may believe.

``format/``: the notebook format, pure functions of notebook text (run anywhere)
    ``regions`` (nbgrader's ``### BEGIN/END SOLUTION`` and ``HIDDEN TESTS`` markers),
    ``notebook`` (reading notebooks, each cell's role, validating nbgrader metadata),
    ``build`` (exercises from solutions: ``backprop-course build-exercises``), ``mangled``
    (answer cells found again in notebooks an editor stripped of metadata, or refused by name).
``kernel/``: what runs *inside the student's kernel*, sent there as source text
    ``confine`` (what the kernel may read: the allow-list, enforced by Landlock), ``audit``
    and ``seal`` (the audit hook that enforces it and the rest everywhere), ``namespace`` (a
    private /tmp where mount namespaces are allowed), ``kernel_side`` (the launcher and the
    helper that calls the student's functions), ``shapes`` (numpy's shape errors in the
    student's names) and ``wire`` (the strict plain-data codec; the grader decodes with the
    same code). Nothing a kernel sends back is trusted.
``boundary/``: the grader's side of the boundary, driving one kernel
    ``sandbox`` (one limited kernel: timeouts, memory cap, crash detection), ``session``
    (replays after a crash; proxies through which tests call the student's functions) and
    ``errors``.
``scoring/``: runs *in the grader's process*, on plain data decoded from the kernel
    ``answers`` (which submission cells are answers), ``testcell`` (setup and test cells run
    here, partial credit), ``writeback`` (in-place changes mirrored into the test's objects),
    ``forbidden`` (answers that import the course's own implementation), ``checks`` (the
    feedback helpers test cells call, with ``diagnosis``, ``in_notebook`` and ``counters``;
    also imported in students' kernels, so it needs only numpy; notebooks import it as
    ``from backprop_course.grading import checks``), ``references`` and ``kernel_requests``
    (other parts' reference versions, bound in the kernel for one test), ``expected/`` (the
    public tests' numbers, stored as data).
On top, in the grader's process:
    ``grade`` (one submission: ``grade_submission``), ``check`` (public tests only:
    ``check_notebook``), ``batch`` (a class
    in parallel: ``grade_batch``), ``results`` (per-submission results and the files they
    are written to: JSON, ``grades.csv``, Gradescope's ``results.json``) and ``report`` (a
    class's HTML report from those files, with ``report_page``: ``write_report``,
    ``backprop-course report``).

Everything is imported on first use: importing ``checks`` in a student's kernel must not pull
in nbformat (whose JSON-schema stack takes seconds to import).

>>> from backprop_course.grading import build_exercises, checks, grade_submission
>>> checks.__name__
'backprop_course.grading.scoring.checks'
"""

_LAZY = {
    "BuildResult": "backprop_course.grading.format.build",
    "build_exercises": "backprop_course.grading.format.build",
    "make_exercise": "backprop_course.grading.format.build",
    "NotebookError": "backprop_course.grading.format.notebook",
    "read_notebook": "backprop_course.grading.format.notebook",
    "validate": "backprop_course.grading.format.notebook",
    "grade_submission": "backprop_course.grading.grade",
    "check_notebook": "backprop_course.grading.grade",
    "grade_batch": "backprop_course.grading.batch",
    "SubmissionReport": "backprop_course.grading.results",
    "PartResult": "backprop_course.grading.results",
    "summarise": "backprop_course.grading.report",
    "write_report": "backprop_course.grading.report",
}
#: Submodules importable by their short name: ``from backprop_course.grading import checks``.
_SUBMODULES = {"checks": "backprop_course.grading.scoring.checks"}

__all__ = [
    "BuildResult",
    "NotebookError",
    "PartResult",
    "SubmissionReport",
    "build_exercises",
    "check_notebook",
    "checks",
    "grade_batch",
    "grade_submission",
    "make_exercise",
    "read_notebook",
    "summarise",
    "validate",
    "write_report",
]


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    raise AttributeError(f"module 'backprop_course.grading' has no attribute {name!r}")
