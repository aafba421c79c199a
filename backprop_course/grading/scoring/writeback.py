"""In-place changes a student's function makes to its arguments, mirrored into the test's objects.

The student's kernel works on copies of the arguments a test passes; after the call it sends
them back as the call left them, and :func:`write_back` copies the changes into the test's own
arrays, lists and dicts, so a proxied call looks like a local one (a test can check that a
function leaves its input alone, or that an in-place update happened).
"""

from __future__ import annotations

import numpy as np


def write_back(original, changed) -> None:
    """Copy in-place changes the student's code made to its arguments into the test's objects.

    The kernel works on copies; this makes a proxied call look like a local one to the test
    (a test can check that a function does not modify its input). Only matching plain-data
    structures are updated: arrays of the same shape and dtype in place, list items, dict items.

    >>> w = np.zeros(2)
    >>> write_back((w, {"b": 1.0}), (np.ones(2), {"b": 2.0, "c": 3}))
    >>> w.tolist()
    [1.0, 1.0]
    """
    if isinstance(original, np.ndarray):
        if (
            isinstance(changed, np.ndarray)
            and changed.shape == original.shape
            and changed.dtype == original.dtype
            and original.flags.writeable
            and not np.array_equal(original, changed, equal_nan=original.dtype.kind in "fc")
        ):
            np.copyto(original, changed)
    elif isinstance(original, tuple) and isinstance(changed, tuple):
        if len(original) == len(changed):
            for o, c in zip(original, changed, strict=True):
                write_back(o, c)
    elif isinstance(original, list) and isinstance(changed, list):
        if not (_is_data(original) and _is_data(changed)):
            for o, c in zip(original, changed, strict=False):
                write_back(o, c)
            return
        for i, c in enumerate(changed[: len(original)]):
            if _same_kind(original[i], c):
                write_back(original[i], c)
            else:
                original[i] = c
        del original[len(changed) :]
        original.extend(changed[len(original) :])
    elif isinstance(original, dict) and isinstance(changed, dict):
        if not (_is_data(original) and _is_data(changed)):
            for key, o in original.items():
                if key in changed:
                    write_back(o, changed[key])
            return
        for key in [k for k in original if k not in changed]:
            del original[key]
        for key, c in changed.items():
            if key in original and _same_kind(original[key], c):
                write_back(original[key], c)
            else:
                original[key] = c


def _is_data(value, depth: int = 0) -> bool:
    """Plain data only (no functions, proxies or kernel objects), so it may be replaced."""
    if depth > 20:
        return False
    if isinstance(value, list | tuple):
        return all(_is_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_is_data(v, depth + 1) for v in value.values())
    return value is None or isinstance(value, np.ndarray | np.generic | int | float | complex | str)


def _same_kind(a, b) -> bool:
    """Whether ``a`` can be updated in place from ``b`` (or must be replaced)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
    return isinstance(a, list | dict | tuple) and type(a) is type(b)
