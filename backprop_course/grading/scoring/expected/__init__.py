"""Expected values of the exercises' public tests, as data: the public test cells compare with
these numbers, so no cell computes an expected value with the formula the student must write.

``values("05_matrix_backprop")`` returns the numbers of that exercise (nested dicts; lists of
numbers become float arrays; a list of ``{"code", "value"}`` mistakes stays a list). They are
stored as JSON text in ``_<stem>.py`` (a module, so every install has it) and written by
:func:`backprop_course.grading.scoring.expected.make.write` from the public inputs;
``tests/test_checks.py`` checks the stored numbers are what ``make`` computes today.

>>> v = values("05_matrix_backprop")
>>> v["dense_backward"]["dW"].shape
(3, 2)
"""

from __future__ import annotations

import functools
import importlib
import json

import numpy as np

#: Exercises with stored values (their notebook stems).
STEMS = (
    "01_perceptron",
    "02_gradient_descent",
    "03_naive_gradients",
    "04_backprop_derivation",
    "05_matrix_backprop",
    "06_training_with_sgd",
)


def _arrays(value):
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_arrays(v) for v in value]
    if isinstance(value, list | int | float):
        return np.array(value, dtype=float)
    return value


@functools.cache
def _load(stem: str) -> str:
    if stem not in STEMS:
        raise ValueError(f"no expected values for {stem!r}; there are some for {list(STEMS)}")
    return importlib.import_module(f"{__name__}._{stem[:2]}").TEXT


def values(stem: str) -> dict:
    """The public tests' expected values of exercise ``stem`` (a fresh copy each call)."""
    return _arrays(json.loads(_load(stem)))
