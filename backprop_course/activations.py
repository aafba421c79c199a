"""Activation functions ``theta`` and their derivatives ``theta'``.

Each activation is applied elementwise to the pre-activations ``S`` (the slides' ``s``, ``a_i``
or ``u``). All are numerically stable: ``sigmoid(-1e4)`` is exactly 0 with no overflow warning.

>>> import numpy as np
>>> print(sigmoid(np.array([-1e4, 0.0, 1e4])))
[0.  0.5 1. ]
>>> print(get("relu").derivative(np.array([-2.0, 3.0])))
[0. 1.]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import check_choice


def sigmoid(s: np.ndarray) -> np.ndarray:
    """Logistic function ``sigma(s) = 1 / (1 + exp(-s))``, elementwise, any shape.

    Computed as ``exp(-|s|)`` based halves so no ``exp`` overflows.

    >>> float(sigmoid(np.array(0.0)))
    0.5
    """
    s = np.asarray(s, dtype=np.result_type(s, np.float32))
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(s.dtype, copy=False)


def sigmoid_derivative(s: np.ndarray) -> np.ndarray:
    """``sigma'(s) = sigma(s) (1 - sigma(s))``, elementwise.

    >>> float(sigmoid_derivative(np.array(0.0)))
    0.25
    """
    p = sigmoid(s)
    return p * (1.0 - p)


def tanh(s: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, elementwise.

    >>> float(tanh(np.array(0.0)))
    0.0
    """
    return np.tanh(s)


def tanh_derivative(s: np.ndarray) -> np.ndarray:
    """``tanh'(s) = 1 - tanh(s)^2``, elementwise.

    >>> float(tanh_derivative(np.array(0.0)))
    1.0
    """
    t = np.tanh(s)
    return 1.0 - t * t


def relu(s: np.ndarray) -> np.ndarray:
    """``ReLU(s) = max(s, 0)``, elementwise.

    >>> relu(np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return np.maximum(s, 0.0)


def relu_derivative(s: np.ndarray) -> np.ndarray:
    """``ReLU'(s)``: 1 where ``s > 0``, else 0 (we take 0 at the kink ``s = 0``).

    >>> relu_derivative(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    s = np.asarray(s)
    return (s > 0).astype(np.result_type(s, np.float32))


def identity(s: np.ndarray) -> np.ndarray:
    """The identity ``theta(s) = s`` (a linear output, as in regression).

    Returns a new array, so changing the result never changes ``s``.

    >>> identity(np.array([1.5])).tolist()
    [1.5]
    """
    return np.array(s, copy=True)


def identity_derivative(s: np.ndarray) -> np.ndarray:
    """``theta'(s) = 1`` everywhere.

    >>> identity_derivative(np.array([1.5, -2.0])).tolist()
    [1.0, 1.0]
    """
    s = np.asarray(s)
    return np.ones_like(s, dtype=np.result_type(s, np.float32))


@dataclass(frozen=True)
class Activation:
    """An activation by name: ``function(s)``, ``derivative(s)`` and ``derivative_from_output``.

    ``derivative_from_output(a, s)`` gives ``theta'(s)`` reusing ``a = theta(s)`` from the
    forward pass where that is cheaper (sigmoid, tanh), as the matrix-form backprop does.
    """

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    derivative_from_output: Callable[[np.ndarray, np.ndarray], np.ndarray]


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative, lambda a, s: a * (1.0 - a)),
    "tanh": Activation("tanh", tanh, tanh_derivative, lambda a, s: 1.0 - a * a),
    "relu": Activation("relu", relu, relu_derivative, lambda a, s: (s > 0).astype(a.dtype)),
    "identity": Activation("identity", identity, identity_derivative, lambda a, s: np.ones_like(a)),
}


def get(name: str) -> Activation:
    """Look up an activation by name; raise ``ValueError`` for an unknown name.

    >>> get("tanh").name
    'tanh'
    """
    check_choice(name, "activation", ACTIVATIONS)
    return ACTIVATIONS[name]
