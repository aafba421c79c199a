"""What the grader sees when a student's code fails in the kernel: :class:`StudentError`.

A :class:`StudentError` is also an instance of the built-in exception class the kernel named
(:func:`student_error`), so ``except ValueError`` in a test works.
"""

from __future__ import annotations

import builtins

from backprop_course.grading.boundary.sandbox import Outcome
from backprop_course.grading.kernel import kernel_side, shapes

__all__ = ["StudentError", "student_error"]


class StudentError(Exception):
    """The student's code raised (or timed out, or killed its kernel) while a test ran it."""

    def __init__(self, answer: str, outcome: Outcome) -> None:
        self.answer = answer
        self.outcome = outcome
        super().__init__(f"{answer}: {outcome.describe()}")

    def brief(self) -> str:
        """What happened without the student's message (for failures in hidden tests, whose
        inputs a student could otherwise print through an exception message)."""
        if self.outcome.status == "error":
            known = isinstance(getattr(builtins, self.outcome.ename, None), type)
            return f"{self.answer} raised {self.outcome.ename if known else 'an exception'}"
        return f"{self.answer}: {self.outcome.describe()}"

    @property
    def not_attempted(self) -> bool:
        """True when the student's code still raises ``NotImplementedError``."""
        return self.outcome.status == "error" and self.outcome.ename == "NotImplementedError"

    @property
    def forbidden(self) -> bool:
        """True when the student's code tried to import a forbidden module."""
        return self.outcome.status == "error" and kernel_side.FORBIDDEN_MARK in self.outcome.evalue

    @property
    def code(self) -> str:
        """What went wrong, for machines: ``"timeout"``, ``"kernel_died"``, ``"not_attempted"``,
        ``"forbidden"``, ``"shape_error"`` (numpy's, explained in the kernel) or
        ``"raised:<exception>"``."""
        status = self.outcome.status
        if status != "error":
            return {"timeout": "timeout", "dead": "kernel_died"}.get(status, status)
        if self.not_attempted:
            return "not_attempted"
        if self.forbidden:
            return "forbidden"
        if self.outcome.ename == "ValueError" and self.outcome.evalue.startswith(shapes.SHAPE_MARK):
            return "shape_error"
        return f"raised:{self.outcome.ename or 'exception'}"


_ERROR_CLASSES: dict[str, type] = {}


def student_error(answer: str, outcome: Outcome) -> StudentError:
    """A :class:`StudentError` that is also the built-in exception class the kernel named."""
    base = getattr(builtins, outcome.ename, None) if outcome.status == "error" else None
    if outcome.status == "timeout":
        base = TimeoutError
    ok = isinstance(base, type) and issubclass(base, Exception) and base is not StudentError
    if not ok:
        return StudentError(answer, outcome)
    cls = _ERROR_CLASSES.get(base.__name__)
    if cls is None:
        cls = type(f"Student{base.__name__}", (StudentError, base), {})
        cls.__str__ = StudentError.__str__
        _ERROR_CLASSES[base.__name__] = cls
    return cls(answer, outcome)
