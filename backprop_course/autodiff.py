"""Backpropagation as reverse-mode automatic differentiation, and forward mode by contrast.

Every node of a computation graph maps its inputs to its output and has a local Jacobian
``J = d output / d input``. The chain rule multiplies these Jacobians along the graph; the
two modes differ only in the order of the products:

* **reverse mode** (backprop, :meth:`backprop_course.scalar.Value.backward`,
  :func:`backprop_course.mlp.backward`, PyTorch's ``loss.backward()``) starts from the output
  and carries a row vector ``u = dL/d output`` down the graph; each node multiplies it by
  its local Jacobian, ``u @ J``, a *vector-Jacobian product* (VJP). One pass gives the
  derivative of **one output** with respect to **every input**.
* **forward mode** starts from the inputs and carries a tangent ``t = d input / d x_i`` up
  the graph; each node computes ``J @ t``, a Jacobian-vector product. :class:`Dual` numbers
  do it by arithmetic: ``(a + a' e)(b + b' e) = ab + (a b' + a' b) e`` with ``e^2 = 0``. One
  pass gives the derivative of **every output** with respect to **one input**.

So for a loss (one output, many parameters) reverse mode needs one pass where forward mode
needs one per parameter; the price of reverse mode is memory: the forward values every local
Jacobian needs must be kept until the backward pass reaches them (:func:`cache_bytes`).

>>> f = lambda x, y: (x * y + x).tanh()
>>> print([f"{g:.4f}" for g in forward_gradient(f, [0.5, -0.3])[0]])
['0.6208', '0.4434']
>>> print([f"{g:.4f}" for g in reverse_gradient(f, [0.5, -0.3])[0]])
['0.6208', '0.4434']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np

from . import activations, mlp
from .scalar import Value

__all__ = [
    "Dual",
    "forward_gradient",
    "reverse_gradient",
    "jacobian_forward",
    "jacobian_reverse",
    "layer_jacobian",
    "cache_bytes",
]


class Dual:
    """A dual number ``value + tangent * e`` with ``e^2 = 0``: forward-mode autodiff.

    Seed an input with tangent 1 (``Dual(x, 1.0)``) and every other input with 0; the
    tangent of any result is then its derivative with respect to that input. The methods
    match :class:`~backprop_course.scalar.Value`'s (``tanh``, ``sigmoid``, ``relu``,
    ``exp``, ``log``, ``**``), so one function runs on both.

    >>> x = Dual(3.0, 1.0)
    >>> z = x * x + 2 * x         # dz/dx = 2x + 2 = 8
    >>> z.value, z.tangent
    (15.0, 8.0)
    """

    __array_ufunc__ = None

    def __init__(self, value: float, tangent: float = 0.0) -> None:
        for name, v in (("value", value), ("tangent", tangent)):
            if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):
                raise ValueError(f"a Dual's {name} must be a finite real number, got {v!r}")
        self.value, self.tangent = float(value), float(tangent)

    def __repr__(self) -> str:
        return f"Dual({self.value:.6g}, {self.tangent:.6g})"

    @staticmethod
    def _coerce(other) -> Dual:
        return other if isinstance(other, Dual) else Dual(other, 0.0)

    def _chain(self, value: float, local: float) -> Dual:
        """``f(self)`` with ``f' = local``: the tangent is ``local * tangent`` (a 1x1 JVP)."""
        return Dual(value, local * self.tangent)

    def __add__(self, other) -> Dual:
        o = Dual._coerce(other)
        return Dual(self.value + o.value, self.tangent + o.tangent)

    __radd__ = __add__

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other) -> Dual:
        return self + (-Dual._coerce(other))

    def __rsub__(self, other) -> Dual:
        return Dual._coerce(other) - self

    def __mul__(self, other) -> Dual:
        o = Dual._coerce(other)
        return Dual(self.value * o.value, self.value * o.tangent + self.tangent * o.value)

    __rmul__ = __mul__

    def __truediv__(self, other) -> Dual:
        o = Dual._coerce(other)
        if o.value == 0:
            raise ValueError("division of a Dual by zero")
        return Dual(
            self.value / o.value, (self.tangent * o.value - self.value * o.tangent) / o.value**2
        )

    def __rtruediv__(self, other) -> Dual:
        return Dual._coerce(other) / self

    def __pow__(self, n) -> Dual:
        if isinstance(n, Dual | bool) or not isinstance(n, Real):
            raise ValueError(f"a Dual exponent must be a plain number, got {n!r}")
        if self.value == 0 and n < 1:
            raise ValueError(f"0 ** {n} has no finite derivative; a Dual needs a base != 0 here")
        return self._chain(self.value**n, n * self.value ** (n - 1) if n != 0 else 0.0)

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return self._chain(t, 1.0 - t * t)

    def sigmoid(self) -> Dual:
        s = float(activations.sigmoid(np.array(self.value)))
        return self._chain(s, s * (1.0 - s))

    def relu(self) -> Dual:
        return self._chain(max(self.value, 0.0), 1.0 if self.value > 0 else 0.0)

    def exp(self) -> Dual:
        e = math.exp(self.value)
        return self._chain(e, e)

    def log(self) -> Dual:
        if self.value <= 0:
            raise ValueError(f"log needs a positive argument, got {self.value:.6g}")
        return self._chain(math.log(self.value), 1.0 / self.value)


def _outputs(result) -> list:
    return list(result) if isinstance(result, list | tuple) else [result]


def _check_point(x: Sequence[float]) -> list[float]:
    x = [float(v) for v in np.asarray(x, dtype=float).ravel()]
    if not x or not all(math.isfinite(v) for v in x):
        raise ValueError(f"x must be a non-empty sequence of finite numbers, got {x!r}")
    return x


def jacobian_forward(f: Callable, x: Sequence[float]) -> tuple[np.ndarray, int]:
    """The Jacobian ``(m, n)`` of ``f: R^n -> R^m`` by forward mode; returns ``(J, passes)``.

    ``f`` takes ``n`` positional numbers and returns one number or a sequence of ``m``. Pass
    ``i`` seeds input ``i`` with tangent 1 and fills column ``i``: ``n`` passes.

    >>> J, passes = jacobian_forward(lambda x, y: [x * y, x + y], [2.0, 5.0])
    >>> J.tolist(), passes
    ([[5.0, 2.0], [1.0, 1.0]], 2)
    """
    x = _check_point(x)
    columns = []
    for i in range(len(x)):
        out = _outputs(f(*[Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(x)]))
        columns.append([Dual._coerce(o).tangent for o in out])
    return np.array(columns).T, len(x)


def jacobian_reverse(f: Callable, x: Sequence[float]) -> tuple[np.ndarray, int]:
    """The Jacobian ``(m, n)`` of ``f`` by reverse mode (:class:`Value`); ``(J, passes)``.

    One forward pass builds the graph; one backward pass per output ``k`` fills row ``k``:
    ``m`` passes.

    >>> J, passes = jacobian_reverse(lambda x, y: [x * y, x + y], [2.0, 5.0])
    >>> J.tolist(), passes
    ([[5.0, 2.0], [1.0, 1.0]], 2)
    """
    x = _check_point(x)
    inputs = [Value(v) for v in x]
    rows = []
    for out in _outputs(f(*inputs)):
        for v in inputs:  # an input that output k does not use keeps no stale gradient
            v.grad = 0.0
        Value._coerce(out).backward()
        rows.append([v.grad for v in inputs])
    return np.array(rows), len(rows)


def forward_gradient(f: Callable, x: Sequence[float]) -> tuple[np.ndarray, int]:
    """Gradient ``(n,)`` of a scalar ``f`` by forward mode: ``n`` passes, one per input."""
    J, passes = jacobian_forward(f, x)
    if J.shape[0] != 1:
        raise ValueError(f"f must return one number for a gradient, it returned {J.shape[0]}")
    return J[0], passes


def reverse_gradient(f: Callable, x: Sequence[float]) -> tuple[np.ndarray, int]:
    """Gradient ``(n,)`` of a scalar ``f`` by reverse mode: one pass, whatever ``n``."""
    J, passes = jacobian_reverse(f, x)
    if J.shape[0] != 1:
        raise ValueError(f"f must return one number for a gradient, it returned {J.shape[0]}")
    return J[0], passes


def layer_jacobian(
    params: dict[str, np.ndarray], cache: list, l: int, k: int = 0, hidden: str = "tanh"
) -> np.ndarray:
    """The local Jacobian ``d s_l / d s_{l-1}`` ``(d_l, d_{l-1})`` of example ``k``, ``l >= 2``.

    ``s_l = theta(s_{l-1}) @ W_l + b_l``, so ``J[j, i] = W_l[i, j] theta'(s_{l-1}[i])``, i.e.
    ``J = W_l.T * theta'(s_{l-1})``. The backward message of :func:`mlp.backward` is the
    vector-Jacobian product ``delta_{l-1}[k] = delta_l[k] @ J``, which ``mlp`` computes as
    ``(delta_l @ W_l.T) * theta'(S_{l-1})`` without ever forming ``J``.

    >>> p = mlp.init_params([2, 3, 2], rng=0)
    >>> out, cache = mlp.forward(p, np.ones((1, 2)))
    >>> layer_jacobian(p, cache, 2).shape
    (2, 3)
    """
    L = mlp.n_layers(params)
    if not isinstance(l, int) or not 2 <= l <= L:
        raise ValueError(f"l must be a layer 2..{L} (layer 1's input is X, not an s), got {l!r}")
    S_prev, A_prev = cache[l - 1]
    if not isinstance(k, int) or not 0 <= k < S_prev.shape[0]:
        raise ValueError(f"k must be an example 0..{S_prev.shape[0] - 1}, got {k!r}")
    dact = activations.get(hidden).derivative_from_output(A_prev[k], S_prev[k])
    return params[f"W{l}"].T * dact


def cache_bytes(cache: list) -> int:
    """Bytes held by a forward cache of :func:`mlp.forward`: every ``S_l`` and ``A_l`` (and X).

    This is what reverse mode must keep between the forward and the backward pass; it grows
    with the batch size times the total width, ``n * (d_0 + 2 (d_1 + ... + d_L))`` numbers.

    >>> out, cache = mlp.forward(mlp.init_params([4, 3, 1], rng=0), np.ones((10, 4)))
    >>> cache_bytes(cache), 8 * 10 * (4 + 2 * (3 + 1))
    (960, 960)
    """
    return int(sum(arr.nbytes for pair in cache for arr in pair if arr is not None))
