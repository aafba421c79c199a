"""The grader's side of what a test cell asks of the student's kernel while it runs.

``checks.use_reference(...)`` binds reference versions of other parts in the kernel
(:class:`StandIn`; the grader restores the student's after the test) and
``checks.check_vectorised(...)`` counts the row reads of the student's function there
(:class:`RowsProbe`): only code text goes in and plain data (an int) comes back, through the
session's usual channel. :func:`public_only` is the test cell ``check`` runs.
"""

from __future__ import annotations

from backprop_course.grading.boundary.session import SETUP_TIMEOUT, Proxy, Session
from backprop_course.grading.format import regions
from backprop_course.grading.scoring import references
from backprop_course.grading.scoring.in_notebook import PROBE_SOURCE


def public_only(source: str) -> str:
    """``source`` with its hidden-test lines blanked, so a public line keeps its number (and
    ``check`` names the line ``grade`` names)."""
    public = regions.public_lines(source)
    lines = source.splitlines()
    return "\n".join(line if i in public else "" for i, line in enumerate(lines, 1))


class ReferenceProxy(Proxy):
    """A reference version of another part, bound in the kernel for one test."""

    def __call__(self, *args, **kwargs):
        return self._session.call(self._name, args, kwargs, f"the reference {self._name}")


class StandIn:
    """``checks.use_reference`` under the grader: bind the references in the student's kernel
    (and proxies for them in the test's namespace); the grader restores them after the test."""

    def __init__(self, session: Session, bound: set[str]) -> None:
        self.session, self.bound = session, bound

    def __call__(self, names, scope: dict) -> None:
        code = references.kernel_code(names)  # a ValueError names an unknown part
        outcome = self.session._run(code, SETUP_TIMEOUT)
        if not outcome.ok:
            raise RuntimeError(
                f"the grader could not put in the reference {', '.join(names)}: "
                f"{outcome.describe()}"
            )
        self.bound.update(names)
        for name in names:
            scope[name] = ReferenceProxy(self.session, name)


class RowsProbe:
    """``checks.row_reads`` under the grader: the probe runs in the student's kernel, on the
    student's function, and only its count (an int) comes back."""

    def __init__(self, session: Session) -> None:
        self.session, self.defined = session, False

    def __call__(self, fn, n: int, args) -> int:
        if not isinstance(fn, Proxy):
            raise TypeError("check_vectorised takes a function of the student's answer")
        if not self.defined:
            outcome = self.session._run(PROBE_SOURCE, SETUP_TIMEOUT)
            if not outcome.ok:
                raise RuntimeError(f"the grader could not set up its probe: {outcome.describe()}")
            self.defined = True
        reads = self.session.call("__backprop_course_rows__", (fn, n, *args), {}, fn._name)
        if type(reads) is not int:
            raise TypeError(f"the probe's count is not a count: {reads!r}")
        return reads
