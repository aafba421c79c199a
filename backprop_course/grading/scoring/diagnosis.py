"""How a wrong answer differs from the right one: the diagnosis behind every check.

:func:`diagnosis` compares a value with the expected one and names what is wrong (a missing
``return``, a shape, a transpose, a stray axis, an (n, n) broadcast, NaN, a dtype, a sign, a
factor N, 1/N, 2 or 1/2, a typical :class:`Mistake` the test names) with a stable code
(:data:`CODES`) and a message that never prints the expected values. The ``check_*`` helpers
of :mod:`backprop_course.grading.scoring.checks` raise :class:`CheckFailed` with it; import
them from there (``from backprop_course.grading import checks``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: The codes of the failures these helpers diagnose, with what each means.
CODES = {
    "none_returned": "the function returned None (a missing return)",
    "not_numeric": "not a number or an array of numbers (a dict, a string, a ragged list)",
    "not_a_dict": "not a dict where a dict of arrays was expected",
    "missing_key": "a dict without some of the expected keys",
    "extra_key": "a dict with keys that were not expected",
    "wrong_shape": "an array of the wrong shape",
    "broadcast_column_row": "an (n, n) table from a column (n, 1) combined with a flat (n,)",
    "transposed": "the transpose of the expected array",
    "stray_axis": "the right entries with a stray axis, e.g. (n, 1) for (n,)",
    "expected_scalar": "an array where a single number was expected",
    "bad_dtype": "complex, boolean or integer values where real numbers were expected",
    "non_finite": "NaN or infinity",
    "wrong_sign": "the expected value times a negative number",
    "missing_batch_mean": "N times the expected value: the average over the batch is missing",
    "extra_batch_mean": "1/N times the expected value: divided by the batch size once too often",
    "factor_2": "twice or half the expected value",
    "proportional": "the expected value times some other constant",
    "not_within_tolerance": "within a few percent but not within tolerance",
    "zero_gradient": "all zeros where the gradient is not (never computed)",
    "wrong_value": "a wrong single number",
    "wrong_values": "some entries wrong, with no pattern the checks recognise",
    "modified_input": "the function changed one of its arguments in place",
    "loops_over_examples": "a Python loop over the examples where matrix code was asked for",
}

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class CheckFailed(AssertionError):
    """An answer failed a check; the message says what is wrong without giving the answer.

    ``code`` names the kind of failure for machines (one of :data:`CODES`, or the code of a
    :class:`Mistake` the test named).

    >>> CheckFailed("dW looks transposed", "transposed").code
    'transposed'
    """

    def __init__(self, message: str, code: str = "wrong_values") -> None:
        super().__init__(message)
        self.code = code


# its public home, in tracebacks and doctests: where students and tests import it from
CheckFailed.__module__ = "backprop_course.grading.scoring.checks"


def _fail(message: str, code: str) -> None:
    raise CheckFailed(message, code)


@dataclass(frozen=True)
class Mistake:
    """A typical mistake a test names: the value it gives, a stable ``code`` and a ``hint``.

    A check that is handed mistakes compares a wrong answer with each mistake's ``value`` (after
    the expected value, so a mistake that happens to give the right value never fires) and, on a
    match, fails with ``"<name>: <hint>"`` and the mistake's code. The hint says what went
    wrong in words, never the expected value. For :func:`check_params`, ``value`` is a dict
    with (some of) the expected keys.

    >>> import numpy as np
    >>> from backprop_course.grading.scoring.checks import check_array
    >>> S = np.array([0.5, -1.0]); upstream = np.array([1.0, 2.0])
    >>> no_derivative = Mistake("missing_activation_derivative", upstream,
    ...                         "the factor sigma'(S) looks missing")
    >>> check_array(upstream, upstream * 0.2, "delta", mistakes=[no_derivative])
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: delta: the factor sigma'(S) looks missing
    """

    code: str
    value: object
    hint: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.match(self.code):
            raise ValueError(
                f"a mistake's code must be lower-case letters, digits and _, got {self.code!r}"
            )
        if not isinstance(self.hint, str) or not self.hint.strip():
            raise ValueError("a mistake needs a hint: what to tell the student, in words")


def _as_numeric(got, name: str) -> np.ndarray:
    """Return ``got`` as a numeric array or fail with a message about what it is instead."""
    if got is None:
        _fail(f"{name} is None: did the function forget to `return` its result?", "none_returned")
    if isinstance(got, Mapping):
        _fail(f"{name} is a dict, but a number or an array was expected", "not_numeric")
    try:
        arr = np.asarray(got)
    except Exception:  # ragged lists and the like
        _fail(
            f"{name} could not be turned into a numpy array (got a {type(got).__name__})",
            "not_numeric",
        )
    if arr.dtype == object or arr.dtype.kind in "USV":
        _fail(
            f"{name} has dtype {arr.dtype} (from a {type(got).__name__}), "
            "but a numeric array was expected",
            "not_numeric",
        )
    return arr


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _non_finite_message(name: str, arr: np.ndarray) -> str:
    """Say that ``arr`` holds NaN or infinity, and where first (an array; not for a number)."""
    where = ""
    if arr.ndim:
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = f" (first at index {tuple(int(i) for i in bad)})"
    return (
        f"{name} contains NaN or infinity{where}: an overflow, a division by zero, "
        "or a learning rate so large that the iteration diverged?"
    )


def _factor(name: str, c: float, batch_size: int | None, *, single: bool) -> tuple[str, str]:
    """Describe a result that equals ``c`` times the expected one: ``(code, message)``.

    A single number is always some multiple of the expected one, so for it (``single``) only
    the factors that name a mistake (-1, 2, 1/2, N, 1/N) are reported: any other factor would
    hand over the answer (expected = got / factor).
    """
    sign = "has the wrong sign and " if c < 0 else ""
    signed = "wrong_sign" if c < 0 else None
    m = abs(c)
    if batch_size is not None and batch_size > 2:
        n = batch_size
        if np.isclose(m, n, rtol=1e-6):
            return signed or "missing_batch_mean", (
                f"{name} {sign}is too large by a factor of {n} = N, the batch size: "
                "looks like the batch average 1/N is missing"
            )
        if np.isclose(m, 1 / n, rtol=1e-6):
            return signed or "extra_batch_mean", (
                f"{name} {sign}is too small by a factor of {n} = N, the batch size: "
                "is it divided by N once too often, or averaged where a sum was asked for?"
            )
    if np.isclose(m, 2, rtol=1e-6):
        return signed or "factor_2", f"{name} {sign}is off by a factor of 2 (too large)"
    if np.isclose(m, 0.5, rtol=1e-6):
        return signed or "factor_2", f"{name} {sign}is off by a factor of 2 (too small)"
    if np.isclose(m, 1, rtol=1e-6):
        return "wrong_sign", f"{name} has the wrong sign: it is the negative of the expected value"
    if c > 0 and abs(c - 1) < 0.05:
        about = "" if single else f" (relative error about {abs(c - 1):.1g})"
        return "not_within_tolerance", (
            f"{name} is close to the expected value but not within tolerance{about}: "
            "a less accurate formula or a small slip?"
        )
    if single:
        return "wrong_value", f"{name} has the wrong value"
    return signed or "proportional", (
        f"{name} {sign}is proportional to the expected value but off by a factor of {m:.3g}"
    )


def _broadcast_table(got: tuple, expected: tuple) -> bool:
    """Whether ``got`` is the (n, n) that a column (n, 1) and a flat (n,) broadcast to."""
    n = got[0] if len(got) == 2 and got[0] == got[1] and got[0] > 1 else None
    return n is not None and tuple(expected) in ((n, 1), (n,), (1, n))


def _broadcast_message(name: str, got: tuple, expected: tuple) -> str:
    return (
        f"{name} has shape {got}, expected {tuple(expected)}: a column (n, 1) combined with a "
        "flat vector (n,) broadcasts to an (n, n) table of every pair; give both operands the "
        "same shape first (reshape(-1, 1) for a column, or [:, 0] / ravel() for a flat vector)"
    )


def _matches(g: np.ndarray, value, rtol: float, atol: float) -> bool:
    """Whether ``g`` equals a mistake's value (any value that is not numeric never matches)."""
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return _close(g, v, rtol, atol)


def diagnosis(
    got,
    expected,
    name: str = "result",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    batch_size: int | None = None,
    mistakes: Sequence[Mistake] = (),
) -> tuple[str, str] | None:
    """Like :func:`diagnose`, but return ``(code, message)``: the failure's code too.

    >>> import numpy as np
    >>> diagnosis(np.ones((3, 2)), np.ones((2, 3)), "dW")
    ('transposed', 'dW has shape (3, 2), expected (2, 3): it looks transposed')
    >>> diagnosis(np.array([2.0, 4.0]), np.array([1.0, 2.0]), "db") is None
    False
    """
    try:
        exp = np.asarray(expected)
        g = _as_numeric(got, name)
    except CheckFailed as err:
        return err.code, str(err)
    if g.shape != exp.shape:
        if g.dtype.kind in "biuf":
            for mistake in mistakes:
                if _matches(g.astype(np.float64), mistake.value, rtol, atol):
                    return mistake.code, f"{name}: {mistake.hint}"
        if _broadcast_table(g.shape, exp.shape):
            return "broadcast_column_row", _broadcast_message(name, g.shape, exp.shape)
        if g.shape == exp.shape[::-1] and g.ndim == 2:
            return (
                "transposed",
                f"{name} has shape {g.shape}, expected {exp.shape}: it looks transposed",
            )
        if g.size == exp.size and g.size > 1:
            return "stray_axis", (
                f"{name} has shape {g.shape}, expected {exp.shape}: same number of entries, "
                "so check for a stray column/row axis (reshape or ravel) or a missing transpose"
            )
        if exp.ndim == 0:
            return "expected_scalar", (
                f"{name} has shape {g.shape}, expected a single number: "
                "return a float (e.g. float(...)), not an array"
            )
        return "wrong_shape", f"{name} has shape {g.shape}, expected {exp.shape}"
    if g.dtype.kind == "c":
        return "bad_dtype", f"{name} has complex dtype {g.dtype}, expected real numbers"
    if g.dtype.kind == "b" and exp.dtype.kind != "b":
        return "bad_dtype", f"{name} has boolean dtype, expected numbers"
    if not np.isfinite(g).all():
        return "non_finite", _non_finite_message(name, g)
    got_dtype = g.dtype
    integer = got_dtype.kind in "iu" and exp.dtype.kind == "f"
    g = g.astype(np.float64)
    e = exp.astype(np.float64)
    if _close(g, e, rtol, atol):
        return None
    for mistake in mistakes:
        if _matches(g, mistake.value, rtol, atol):
            return mistake.code, f"{name}: {mistake.hint}"
    if integer:
        return "bad_dtype", (
            f"{name} has integer dtype {got_dtype}, expected floating point: "
            "start from a float array (e.g. np.zeros(d) or w.astype(float))"
        )
    if _close(g, -e, rtol, atol):
        return _factor(name, -1.0, batch_size, single=g.size == 1)
    if g.ndim == 2 and g.shape[0] == g.shape[1] and _close(g.T, e, rtol, atol):
        return "transposed", f"{name} looks transposed: swap the roles of rows and columns"
    denom = float(np.sum(e * e))
    if denom > 0:
        c = float(np.sum(g * e) / denom)
        if abs(c) > 1e-12 and _close(g, c * e, rtol, atol):
            return _factor(name, c, batch_size, single=g.size == 1)
    if g.ndim == 0:
        return "wrong_value", f"{name} has the wrong value"
    wrong = ~np.isclose(g, e, rtol=rtol, atol=atol)
    largest = float(np.max(np.abs(g - e)))
    return "wrong_values", (
        f"{name}: {int(wrong.sum())} of {wrong.size} entries differ from the expected values "
        f"(the largest error is of order {largest:.0e})"
    )


def diagnose(
    got,
    expected,
    name: str = "result",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    batch_size: int | None = None,
    mistakes: Sequence[Mistake] = (),
) -> str | None:
    """Return ``None`` when ``got`` matches ``expected``, else a message saying what is wrong.

    Parameters
    ----------
    got : the student's value (anything; ``None`` and non-numeric values are diagnosed)
    expected : the reference value, a number or an array
    name : how the message refers to the value, e.g. ``"criterion_gradient(X, y, w, b)[0]"``
    rtol, atol : tolerances as in ``np.allclose``
    batch_size : the N of a batch average, so that a factor N or 1/N is named as such
    mistakes : typical mistakes of this part (:class:`Mistake`), named when ``got`` equals one

    >>> import numpy as np
    >>> diagnose(np.array([1.0, 2.0]), np.array([1.0, 2.0])) is None
    True
    >>> print(diagnose(np.ones((3, 2)), np.ones((2, 3)), "dW"))
    dW has shape (3, 2), expected (2, 3): it looks transposed
    >>> print(diagnose(np.array([1, 2]), np.array([1.2, 2.0]), "w"))
    w has integer dtype int64, expected floating point: ...
    >>> print(diagnose(np.array([-2.0, 4.0]), np.array([1.0, -2.0]), "db"))
    db has the wrong sign and is off by a factor of 2 (too large)
    """
    found = diagnosis(
        got, expected, name, rtol=rtol, atol=atol, batch_size=batch_size, mistakes=mistakes
    )
    return None if found is None else found[1]
