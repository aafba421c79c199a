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

from collections.abc import Mapping, Sequence
from numbers import Number

import numpy as np

from backprop_course.grading.scoring.counters import CallCounter, CountingMul
from backprop_course.grading.scoring.diagnosis import (
    _CODE,
    CODES,
    CheckFailed,
    Mistake,
    _as_numeric,
    _broadcast_message,
    _broadcast_table,
    _fail,
    _matches,
    _non_finite_message,
    diagnose,
    diagnosis,
)
from backprop_course.grading.scoring.in_notebook import (
    check_vectorised,
    explain_shape_errors,
    use_reference,
)

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
    "check_vectorised",
    "expected_values",
    "CallCounter",
    "CountingMul",
]


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
    place: ...
    """
    if isinstance(before, Mapping):
        for key in before:
            check_unchanged(before[key], after[key], f"{name}[{key!r}]")
        return
    b = np.asarray(before)
    a = np.asarray(after)
    if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
        _fail(
            f"the function modified its argument {name} in place: build a new array for the "
            "result and leave the argument as it was (no `-=`, `+=` or item assignment on it)",
            "modified_input",
        )


def expected_values(stem: str) -> dict:
    """The expected values of exercise ``stem``'s public tests, stored as data (nested dicts of
    float arrays; see :mod:`backprop_course.grading.scoring.expected`): public test cells
    compare with these numbers instead of computing them with the formula being tested.

    >>> expected_values("05_matrix_backprop")["dense_forward"]["no_bias"].shape
    (3, 3)
    """
    from backprop_course.grading.scoring.expected import values

    return values(stem)
