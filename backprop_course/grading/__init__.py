"""The autograder: exercise generation from solutions, sandboxed execution, scoring, reports.

One concern per module, in the spirit of nbgrader's ``preprocessors/``:

- ``regions``: nbgrader's ``### BEGIN/END SOLUTION`` and ``HIDDEN TESTS`` markers in a source;
- ``notebook``: reading notebooks, the role of each cell, validation of nbgrader metadata;
- ``build``: exercises from solutions (``backprop-course build-exercises``).

>>> from backprop_course.grading import build_exercises
"""

from backprop_course.grading.build import BuildResult, build_exercises, make_exercise
from backprop_course.grading.notebook import NotebookError, read_notebook, validate

__all__ = [
    "BuildResult",
    "NotebookError",
    "build_exercises",
    "make_exercise",
    "read_notebook",
    "validate",
]
