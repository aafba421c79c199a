"""Test helpers for exercise notebooks: say *what* is wrong with an answer, never the answer.

Each ``check_*`` function returns ``None`` when the answer is right and otherwise raises
:class:`CheckFailed` (an ``AssertionError``, so nbgrader and our grader both count the test as
failed) with a message a student can act on:

- the function returned ``None`` (a ``return`` is missing) or something that is not an array;
- the shape is wrong (got vs expected shape), or the result is transposed, or a column
  ``(n, 1)`` came back where a flat ``(n,)`` vector was expected;
- the values contain NaN or infinity, or have an integer / boolean / complex dtype;
- the values have the wrong sign, or are off by a constant factor: exactly the batch size
  ("the batch average 1/N looks missing"), 1/N, 2 or 1/2;
- the function modified one of its inputs in place;
- otherwise: how many entries differ and by how much at most.

Where a test measures the work a function does (how often it calls the loss, how many
multiplications it makes), it hands the function a :class:`CallCounter` or a
:class:`CountingMul` and reads ``count`` afterwards: the count comes from what the code did,
never from a number the code reports. The grader mirrors such a counter in the student's
kernel (see ``boundary/session.py``), so the same test works in a notebook and when graded.

- a typical mistake the test names itself (:class:`Mistake`: the value that mistake gives, and
  what to tell the student), such as a missing derivative factor or an off-by-one layer index;
  or a property the test checks with :func:`expect` (an ``assert`` that names its mistake).

Messages name shapes, dtypes and ratios but never print expected values, so public tests can
run these helpers without giving the answer away. Every failure also carries a stable,
machine-readable ``code`` (``CheckFailed.code``: one of :data:`CODES`, or a :class:`Mistake`'s
own code), which the grader records next to the message so a class report can count mistakes.

>>> import numpy as np
>>> expected = np.array([0.5, -1.0, 2.0])
>>> check_array(expected * 4, expected, "grad", batch_size=4)
Traceback (most recent call last):
...
backprop_course.grading.scoring.checks.CheckFailed: grad is too large by a factor of 4 = N, ...
looks like the batch average 1/N is missing
"""

from __future__ import annotations

import contextvars
import operator
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Number

import numpy as np

__all__ = [
    "CODES",
    "CheckFailed",
    "Mistake",
    "diagnose",
    "diagnosis",
    "check_array",
    "check_scalar",
    "check_shape",
    "check_finite",
    "check_params",
    "check_unchanged",
    "expect",
    "explain_shape_errors",
    "use_reference",
    "CallCounter",
    "CountingMul",
]


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


def check_array(
    got,
    expected,
    name: str = "result",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    batch_size: int | None = None,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Fail with a helpful message unless ``got`` equals ``expected`` within tolerance.

    Same arguments as :func:`diagnose`; the :class:`CheckFailed` carries the failure's code.

    >>> import numpy as np
    >>> check_array(np.array([0.1, 0.2]), np.array([0.1, 0.2]), "d")
    >>> check_array(None, np.zeros(2), "signed_distance(X, w, b)")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: signed_distance(X, w, b) is None: ...
    forget to `return` its result?
    """
    found = diagnosis(
        got, expected, name, rtol=rtol, atol=atol, batch_size=batch_size, mistakes=mistakes
    )
    if found is not None:
        _fail(found[1], found[0])


def check_scalar(
    got,
    expected: float,
    name: str = "result",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    batch_size: int | None = None,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Like :func:`check_array` for a single number (a Python or numpy scalar, or 0-d array).

    >>> check_scalar(3.0, 1.5, "loss")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: loss is off by a factor of 2 (too large)
    >>> check_scalar([1.5], 1.5, "loss")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: loss has shape (1,), expected a single
    number: ...
    """
    if isinstance(got, bool):
        _fail(f"{name} is a bool ({got}), but a number was expected", "bad_dtype")
    check_array(
        got,
        np.float64(expected),
        name,
        rtol=rtol,
        atol=atol,
        batch_size=batch_size,
        mistakes=mistakes,
    )


def check_shape(got, shape: tuple[int, ...], name: str = "result") -> np.ndarray:
    """Fail unless ``got`` is a numeric array of exactly ``shape``; return it as an array.

    >>> import numpy as np
    >>> check_shape(np.zeros((4, 1)), (4,), "d")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: d has shape (4, 1), expected (4,):
    a column came back where a flat vector was expected (use .ravel() or index [:, 0])
    """
    arr = _as_numeric(got, name)
    shape = tuple(shape)
    if arr.shape != shape:
        if _broadcast_table(arr.shape, shape):
            _fail(_broadcast_message(name, arr.shape, shape), "broadcast_column_row")
        if arr.ndim == 2 and arr.shape[1] == 1 and shape == (arr.shape[0],):
            _fail(
                f"{name} has shape {arr.shape}, expected {shape}: a column came back where a "
                "flat vector was expected (use .ravel() or index [:, 0])",
                "stray_axis",
            )
        if arr.ndim == 1 and shape == (arr.shape[0], 1):
            _fail(
                f"{name} has shape {arr.shape}, expected {shape}: a flat vector came back where "
                "a column was expected (use .reshape(-1, 1) or keep the axis, e.g. [:, None])",
                "stray_axis",
            )
        if len(shape) == 2 and arr.shape == shape[::-1]:
            _fail(
                f"{name} has shape {arr.shape}, expected {shape}: it looks transposed", "transposed"
            )
        _fail(f"{name} has shape {arr.shape}, expected {shape}", "wrong_shape")
    return arr


def check_finite(got, name: str = "result") -> np.ndarray:
    """Fail unless ``got`` is numeric and free of NaN and infinity; return it as an array.

    >>> import numpy as np
    >>> check_finite(np.array([1.0, np.nan]), "path")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: path contains NaN or infinity ...
    """
    arr = _as_numeric(got, name)
    if arr.dtype.kind == "c":
        _fail(f"{name} has complex dtype {arr.dtype}, expected real numbers", "bad_dtype")
    if not np.isfinite(arr).all():
        _fail(_non_finite_message(name, arr), "non_finite")
    return arr


def check_params(
    got,
    expected: Mapping[str, np.ndarray],
    name: str = "grads",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    batch_size: int | None = None,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Check a dict of arrays (parameters or gradients) key by key.

    A :class:`Mistake` here holds a dict: its entry for a key is what that mistake gives there.

    >>> import numpy as np
    >>> expected = {"W1": np.ones((2, 3)), "b1": np.ones(3)}
    >>> check_params({"W1": np.ones((2, 3))}, expected)
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: grads is missing the key(s) ['b1'] ...
    >>> check_params({"W1": np.ones((2, 3)), "b1": np.zeros(3)}, expected)
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: grads['b1'] is all zeros: ...
    (e.g. the bias forgotten)?
    """
    if got is None:
        _fail(f"{name} is None: did the function forget to `return` its result?", "none_returned")
    if not isinstance(got, Mapping):
        _fail(
            f"{name} is a {type(got).__name__}, expected a dict with keys {sorted(expected)}",
            "not_a_dict",
        )
    missing = sorted(set(expected) - set(got))
    if missing:
        _fail(
            f"{name} is missing the key(s) {missing} (expected keys {sorted(expected)})",
            "missing_key",
        )
    extra = sorted(set(got) - set(expected), key=str)
    if extra:
        _fail(
            f"{name} has unexpected key(s) {extra} (expected keys {sorted(expected)})",
            "extra_key",
        )
    for key in sorted(expected):
        exp = np.asarray(expected[key])
        arr = got[key]
        label = f"{name}[{key!r}]"
        here = [
            Mistake(m.code, m.value[key], m.hint)
            for m in mistakes
            if isinstance(m.value, Mapping) and key in m.value
        ]
        if (
            isinstance(arr, np.ndarray | Number)
            and np.shape(arr) == exp.shape
            and np.any(exp != 0)
            and np.all(np.asarray(arr) == 0)
            and not any(_matches(np.asarray(arr), m.value, rtol, atol) for m in here)
        ):  # all zeros, unless a mistake the test names gives zeros there (a named one wins)
            _fail(
                f"{label} is all zeros: was this gradient never computed "
                "(e.g. the bias forgotten)?",
                "zero_gradient",
            )
        check_array(arr, exp, label, rtol=rtol, atol=atol, batch_size=batch_size, mistakes=here)


def expect(condition, message: str, code: str) -> None:
    """Fail with ``message`` and the mistake's ``code`` unless ``condition`` holds.

    An ``assert`` that names its mistake: where a test checks a property (a count, a
    convergence, the keys of a dict) rather than comparing values, a plain ``assert`` would
    give the grader only the code ``assertion``; ``expect`` gives it the mistake the failing
    condition reveals, so a class report can count it. The message says what is wrong in
    words, never the expected value.

    >>> n_epochs = 100
    >>> expect(n_epochs < 100, "the loop never stops: stop after an epoch without mistakes",
    ...        "never_stops")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: the loop never stops: ...
    >>> expect(True, "unused", "never_stops")
    """
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValueError(f"a code must be lower-case letters, digits and _, got {code!r}")
    if not condition:
        _fail(message, code)


def check_unchanged(before, after, name: str = "input") -> None:
    """Fail if ``after`` (an argument after the call) differs from ``before`` (a copy).

    Works for arrays and for dicts of arrays.

    >>> import numpy as np
    >>> w = np.array([1.0, 2.0]); saved = w.copy()
    >>> w += 1  # what a careless update does to the caller's array
    >>> check_unchanged(saved, w, "w")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: the function modified its argument w in
    place; ...
    """
    if isinstance(before, Mapping):
        for key in before:
            check_unchanged(before[key], after[key], f"{name}[{key!r}]")
        return
    b = np.asarray(before)
    a = np.asarray(after)
    if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
        _fail(
            f"the function modified its argument {name} in place; compute a new array instead "
            "(e.g. w_new = w - lr * grad, not w -= ...)",
            "modified_input",
        )


class CallCounter:
    """A function wrapped so that its calls are counted (e.g. the forward passes of a loss).

    Hand it to code whose work is to be measured; ``count`` then says what the code did. When
    a test passes one to a student's function under the grader, the grader makes a counted
    twin of ``fn`` in the student's kernel and adds the twin's calls to ``count`` after each
    call (a twin whose count goes down, i.e. was tampered with, fails the test).

    >>> loss = CallCounter(lambda p: float(p["w"] ** 2))
    >>> loss({"w": 3.0}), loss.count
    (9.0, 1)
    """

    def __init__(self, fn) -> None:
        if not callable(fn):
            raise TypeError(f"CallCounter needs a function, got {type(fn).__name__}")
        self.fn = fn
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1
        return self.fn(*args, **kwargs)

    def reset(self) -> None:
        """Start counting from zero again."""
        self.count = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {getattr(self.fn, '__name__', self.fn)!r}: {self.count}>"


class CountingMul(CallCounter):
    """A multiply that counts its calls: ``mul(a, b)`` is ``op(a, b)``, ``operator.mul`` unless
    told otherwise.

    A test may hand a function another ``op`` (``operator.add``, say) to see that every
    multiplication it was asked to route through ``mul`` did go through it: a product computed
    with ``*`` behind ``mul``'s back would not change with ``op``.

    >>> mul = CountingMul()
    >>> mul(mul(2.0, 3.0), 0.5), mul.count
    (3.0, 2)
    >>> import operator
    >>> CountingMul(operator.add)(2.0, 3.0)
    5.0
    """

    def __init__(self, op=operator.mul) -> None:
        super().__init__(op)


def explain_shape_errors() -> bool:
    """In a notebook, show numpy's shape errors in the student's names and shapes.

    After this call, a failed check shows no frame of the grader's own code (the traceback
    starts and ends in the notebook), and a ``ValueError`` that numpy raises because shapes do
    not fit (``A @ B`` with the wrong operand order, a missing transpose, arrays from the wrong
    layer) is shown as one paragraph naming the expression, the shapes of its operands and the
    rule they break (see ``grading/kernel/shapes.py``), instead of a traceback through numpy's
    internals; every other error keeps IPython's usual traceback. The exercises' setup cells
    call it. Returns False (and changes nothing) outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from backprop_course.grading.kernel.shapes import explain_shape_error

    def show(self, etype, value, tb, tb_offset=None):
        # IPython leaves the display to the handler; the cell still fails (status "error")
        explained = explain_shape_error(value) if isinstance(value, ValueError) else None
        if explained is None:
            self.showtraceback((etype, value, _own_frames(tb)), tb_offset=tb_offset)
            return None
        stb = [f"\x1b[0;31mValueError\x1b[0m: {explained}"]
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((ValueError, CheckFailed), show)
    return True


def _own_frames(tb):
    """``tb`` without the frames of the grading package (a failed check's ``_fail`` and
    ``raise``): what a student reads starts and ends in the notebook's own code."""
    import os
    import types

    grading = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    kept = []
    while tb is not None:
        if not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(grading):
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for frame in reversed(kept):
        out = types.TracebackType(out, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return out


#: Set by the grader while it runs a test cell: ``hook(names, namespace)`` binds ``names`` to
#: their references in the student's kernel (and the test's proxies) until the cell ends.
STAND_IN: contextvars.ContextVar = contextvars.ContextVar("stand_in", default=None)


def use_reference(*names: str) -> None:
    """For the rest of this test cell, run the reference versions of the other parts ``names``.

    A test of one part calls the functions of other parts through it (``fit`` calls
    ``loss_and_grads``); with these bound to reference versions, the part is scored on its own
    code, and a mistake in another part costs points only there. In a notebook the names are
    bound in the cell's namespace and put back when the cell ends; under the grader they are
    bound in the student's kernel for that test (outside IPython they stay bound). Names
    without a reference raise ValueError.

    >>> ns = {"dense_forward": "mine"}
    >>> exec("from backprop_course.grading import checks\\n"
    ...      "checks.use_reference('dense_forward')", ns)
    >>> ns["dense_forward"].__module__
    'backprop_course.grading.scoring.references'
    """
    hook = STAND_IN.get()
    caller = sys._getframe(1).f_globals
    if hook is not None:
        hook(names, caller)
        return
    from backprop_course.grading.scoring import references

    bound = references.functions(names)
    saved = {name: caller.get(name, bound) for name in bound}
    caller.update(bound)

    def restore(*_args) -> None:
        for name, value in saved.items():
            if value is bound:
                caller.pop(name, None)
            else:
                caller[name] = value

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None or caller is not shell.user_ns:
        return

    def once(*_args) -> None:
        restore()
        shell.events.unregister("post_run_cell", once)

    shell.events.register("post_run_cell", once)
