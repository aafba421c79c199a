"""Running the source's code in the grader's own process: setup cells and scored test cells.

Test cells are the instructor's code and run here, never in the student's kernel, so nothing a
student redefines (numpy, builtins, ``assert``, test helpers, IPython hooks) can touch them.
A test cell passes when it raises nothing and then earns its points; when its last statement
is an expression whose value is a number, that number is its score (nbgrader's partial
credit), clipped to ``[0, points]``.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import math
import numbers
import traceback
from dataclasses import dataclass

import numpy as np

from backprop_course.grading.boundary.session import StudentError
from backprop_course.grading.format import regions
from backprop_course.grading.scoring.checks import CheckFailed


@dataclass
class TestOutcome:
    """Score of one test cell and, when it did not pass, the exception that stopped it.

    ``code`` names the failure for machines (see :func:`failure_code`); empty when it passed.
    """

    score: float
    error: BaseException | None = None
    message: str = ""
    code: str = ""
    #: the exception came from a hidden test: every public test of the cell had passed
    in_hidden: bool = False


def failure_code(exc: BaseException) -> str:
    """The stable code of what stopped a test: a check's diagnosis (``checks.CODES`` or a named
    mistake), what the student's code did (``StudentError.code``), ``"assertion"`` for a plain
    ``assert``, else ``"error:<exception>"`` (e.g. unpacking a result of the wrong type).

    >>> from backprop_course.grading.scoring.checks import CheckFailed
    >>> failure_code(CheckFailed("dW looks transposed", "transposed"))
    'transposed'
    >>> failure_code(AssertionError("return (loss, grads)")), failure_code(TypeError("no"))
    ('assertion', 'error:TypeError')
    """
    if isinstance(exc, StudentError | CheckFailed):
        return exc.code
    if isinstance(exc, AssertionError):
        return "assertion"
    return f"error:{type(exc).__name__}"


def python_only(source: str) -> str:
    """Drop IPython magics and shell escapes (``%...``, ``!...``): they mean nothing here."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append("" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _is_data(value, depth: int = 0) -> bool:
    if depth > 20:
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufcUS"
    if isinstance(value, list | tuple | set):
        return all(_is_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_is_data(v, depth + 1) for v in value.values())
    return value is None or isinstance(value, numbers.Number | str | bytes)


def _private_copy(value):
    """A deep copy of mutable plain data (arrays, lists, dicts), so one test cannot change
    what the next one sees; anything else (functions, proxies, modules) is shared."""
    if isinstance(value, np.ndarray | list | tuple | dict | set) and _is_data(value):
        return copy.deepcopy(value)
    return value


def run_setup(source: str, namespace: dict, filename: str) -> BaseException | None:
    """Execute a setup cell in ``namespace`` (its prints discarded); return its exception."""
    try:
        code = compile(python_only(source), filename, "exec")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(code, namespace)
    except Exception as exc:
        return exc
    return None


#: Where a failure was, when it was in a hidden test (whose text is never shown).
IN_HIDDEN = "in a hidden test"


def _where(exc: BaseException, filename: str, source: str) -> str:
    """'line N: code' of the test line that failed, or 'a hidden test' (never its text)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    if not frames:
        return ""
    lineno = frames[-1].lineno or 0
    # the whole statement, which may span lines (a check call with one argument per line)
    last = max(frames[-1].end_lineno or lineno, lineno)
    public = regions.public_lines(source)
    if any(n not in public for n in range(lineno, last + 1)):
        return IN_HIDDEN
    lines = source.splitlines()[lineno - 1 : last] if lineno else []
    text = " ".join(line.strip() for line in lines).replace("( ", "(").replace(" )", ")")
    # a check's own message says it all: its call (the grader's code) is noise
    if isinstance(exc, CheckFailed) or text.startswith(("checks.", "assert ")) or len(text) > 80:
        return f"at line {lineno} of the test"
    return f"at line {lineno} of the test: {text}" if text else f"at line {lineno} of the test"


def describe_error(exc: BaseException, where: str) -> str:
    """One line for the student: what went wrong, and ``where`` in the test (:func:`_where`).

    A check's message is meant for the student and stands alone; the student's own exception
    is told as ``name: Type: message``; no grader class name (``CheckFailed``,
    ``StudentValueError``) appears.
    """
    if where == IN_HIDDEN and hasattr(exc, "brief"):
        return f"{exc.brief()} ({where})"
    text = str(exc).strip()
    if isinstance(exc, CheckFailed | StudentError):
        message = text or exc.code
    else:
        name = type(exc).__name__
        message = f"{name}: {text}" if text else name
    return f"{message} ({where})" if where else message


def run_test(source: str, namespace: dict, points: float, filename: str) -> TestOutcome:
    """Run one test cell in a copy of ``namespace`` and score it out of ``points``."""
    try:
        tree = ast.parse(python_only(source), filename)
    except SyntaxError as exc:
        return TestOutcome(0.0, exc, f"the test cell does not parse: {exc}", "test_error")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    scope = {name: _private_copy(value) for name, value in namespace.items()}
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(tree, filename, "exec"), scope)
            value = eval(compile(last, filename, "eval"), scope) if last is not None else None
    except Exception as exc:
        where = _where(exc, filename, source)
        message = describe_error(exc, where)
        score = 0.0
        if isinstance(exc, CheckFailed) and exc.code == "loops_over_examples":
            # a right answer that loops: worth what the test sets (default: one point)
            costs = getattr(exc, "costs", None)
            costs = points - 1.0 if costs is None else float(costs)
            score = min(max(points - costs, 0.0), points)
        return TestOutcome(score, exc, message, failure_code(exc), where == IN_HIDDEN)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        score = float(value)
        if not math.isfinite(score):
            return TestOutcome(0.0, None, f"the test's score is {score}", "test_error")
        score = min(max(score, 0.0), points)
        if score == points:
            return TestOutcome(score)
        return TestOutcome(score, None, "partial credit", "partial_credit")
    return TestOutcome(points)
