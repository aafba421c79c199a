"""Gradients the slow ways, with their cost counted: why backpropagation was needed.

Two naive methods, each next to what it costs:

* **Finite differences**: nudge one weight, run the whole network forward again, see how the
  loss moved. A network with ``E`` weights needs ``E + 1`` forward passes (one-sided) or
  ``2E`` (central), and each pass costs about ``E`` multiply-adds: ``O(E^2)`` in all.
* **The naive chain rule** on the 1-D chain of the "naive vs backprop" deck,
  ``y_hat = a w_T ... w_2 w_1 x`` (``z_0 = x``, ``z_t = w_t z_{t-1}``, ``y_hat = a z_T``)::

      dy_hat/dw_i = a * w_T * ... * w_{i+1} * z_{i-1}

  computed from scratch for every ``i`` takes ``T - i + 1`` multiplications, so
  ``T + (T - 1) + ... + 1 = T (T + 1) / 2`` in all: ``O(T^2)``. Backpropagation reuses the
  running product ``dy_hat/dz_t``: one multiplication for each gradient and one to step back,
  ``2T - 1`` in all: ``O(T)``.

Every function here returns the number of operations it actually performed (counted in its
loops), so lectures can tabulate and plot them; :mod:`backprop_course.complexity` fits slopes.

>>> grads, n = naive_chain_gradients(2.0, [1.0, 3.0, 0.5], 4.0)
>>> grads.tolist(), n
([12.0, 4.0, 24.0], 6)
>>> grads, n = backprop_chain_gradients(2.0, [1.0, 3.0, 0.5], 4.0)
>>> grads.tolist(), n
([12.0, 4.0, 24.0], 5)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import losses, mlp
from ._validate import as_vector, check_positive

__all__ = [
    "ChainForward",
    "FiniteDifferenceResult",
    "backprop_chain_gradients",
    "chain_finite_difference_gradients",
    "chain_forward",
    "count_edges",
    "finite_difference_gradients",
    "mlp_finite_difference_gradients",
    "naive_chain_gradients",
]


# ---- finite differences ------------------------------------------------------------------
@dataclass
class FiniteDifferenceResult:
    """Finite-difference gradients and what they cost.

    Attributes
    ----------
    grads : dict of arrays (or one array), shaped like the parameters
    n_forward : int
        Forward passes (calls of the loss): ``2E`` central, ``E + 1`` one-sided.
    n_madds : int or None
        ``n_forward * forward_madds`` when the cost of one forward pass was given.
    """

    grads: dict[str, np.ndarray] | np.ndarray
    n_forward: int
    n_madds: int | None


def finite_difference_gradients(
    loss_fn: Callable,
    params: Mapping[str, np.ndarray] | np.ndarray,
    eps: float = 1e-6,
    *,
    central: bool = True,
    forward_madds: int | None = None,
) -> FiniteDifferenceResult:
    """Gradient of ``loss_fn(params)`` w.r.t. every weight, one weight at a time.

    Central: ``dL/dw ~ (L(w + eps) - L(w - eps)) / (2 eps)``, error ``O(eps^2)``, two forward
    passes per weight. One-sided: ``(L(w + eps) - L(w)) / eps``, error ``O(eps)``, one pass per
    weight plus one for ``L(w)``.

    Parameters
    ----------
    loss_fn : callable
        Takes parameters shaped like ``params`` (a dict of arrays, or one array) and returns
        the loss, a number. It receives fresh copies; ``params`` is never modified.
    params : dict ``{"W1": ..., ...}`` or an array of any shape, ``E`` numbers in all
    eps : the step, > 0
    central : central (default) or one-sided differences
    forward_madds : the multiply-adds of one forward pass, if known (``n * E`` for an MLP on
        ``n`` examples, see :func:`count_edges`), to report ``n_madds``

    Returns
    -------
    FiniteDifferenceResult with ``grads``, ``n_forward`` and ``n_madds``

    >>> r = finite_difference_gradients(lambda w: float(w[0] ** 2 + 3 * w[1]), np.array([1.0, 2.0]))
    >>> np.round(r.grads, 6).tolist(), r.n_forward
    ([2.0, 3.0], 4)
    >>> finite_difference_gradients(lambda w: float(w @ w), np.ones(3), central=False).n_forward
    4
    """
    eps = check_positive(eps, "eps")
    single = not isinstance(params, Mapping)
    if single:
        flat = as_vector(np.ravel(params), "params")
        base = {"w": np.array(flat, copy=True).reshape(np.shape(params))}
    else:
        if not params:
            raise ValueError("params is empty; nothing to differentiate")
        base = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        for k, v in base.items():
            if not np.isfinite(v).all():
                raise ValueError(f"params[{k!r}] contains NaN or infinity")
    if forward_madds is not None and (
        isinstance(forward_madds, bool) or not isinstance(forward_madds, int | np.integer)
    ):
        raise ValueError(f"forward_madds must be an int or None, got {forward_madds!r}")

    n_forward = 0

    def loss(trial: dict[str, np.ndarray], where: str) -> float:
        nonlocal n_forward
        n_forward += 1
        arg = trial["w"].copy() if single else {k: v.copy() for k, v in trial.items()}
        value = loss_fn(arg)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"loss_fn must return a number, got {value!r}") from None
        if not np.isfinite(value):
            raise ValueError(f"loss_fn returned {value} {where}; cannot take differences")
        return value

    f0 = None if central else loss(base, "at params")
    grads = {}
    for key, w in base.items():
        g = np.zeros_like(w)
        flat, gflat = w.reshape(-1), g.reshape(-1)  # views into base[key] and g
        for idx in range(flat.size):
            old = flat[idx]
            where = f"at {key}[{idx}] + eps"
            flat[idx] = old + eps
            f_plus = loss(base, where)
            if central:
                flat[idx] = old - eps
                f_minus = loss(base, where.replace("+", "-"))
                gflat[idx] = (f_plus - f_minus) / (2 * eps)
            else:
                gflat[idx] = (f_plus - f0) / eps
            flat[idx] = old
        grads[key] = g
    n_madds = None if forward_madds is None else n_forward * int(forward_madds)
    return FiniteDifferenceResult(grads["w"] if single else grads, n_forward, n_madds)


def count_edges(sizes_or_params: Sequence[int] | Mapping[str, np.ndarray]) -> int:
    """``E``, the number of weights of an MLP, biases included (a bias is an edge from 1).

    ``E = sum_t (d_{t-1} + 1) d_t``; one forward pass on ``n`` examples costs ``n E``
    multiply-adds.

    >>> count_edges([2, 3, 1]), count_edges(mlp.init_params([2, 3, 1], rng=0))
    (13, 13)
    """
    if isinstance(sizes_or_params, Mapping):
        L = mlp.n_layers(sizes_or_params)
        sizes = [np.shape(sizes_or_params["W1"])[0]]
        sizes += [np.shape(sizes_or_params[f"W{t}"])[1] for t in range(1, L + 1)]
    else:
        sizes = list(sizes_or_params)
        if len(sizes) < 2 or any(
            isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 1 for d in sizes
        ):
            raise ValueError(f"sizes must be at least two integers >= 1, got {sizes}")
    return int(sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True)))


def mlp_finite_difference_gradients(
    params: Mapping[str, np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    hidden: str = "tanh",
    output: str = "sigmoid",
    loss: str = "bce",
    eps: float = 1e-6,
    *,
    central: bool = True,
) -> FiniteDifferenceResult:
    """Finite-difference gradients of ``mlp``'s batch-mean loss, with the cost counted.

    Each forward pass is ``mlp``'s on all ``n`` examples, ``n E`` multiply-adds, so central
    differences cost ``2E`` passes and ``2 n E^2`` multiply-adds.

    Parameters
    ----------
    params : dict from ``mlp.init_params``; X ``(n, d_0)``; y, hidden, output, loss as in
        ``mlp.loss_and_grads``

    >>> p = mlp.init_params([2, 3, 1], rng=0)
    >>> r = mlp_finite_difference_gradients(p, np.ones((4, 2)), [0, 1, 1, 0])
    >>> r.n_forward, r.n_madds, sorted(r.grads) == sorted(p)
    (26, 1352, True)
    """
    mlp.loss_and_grads(params, X, y, hidden, output, loss)  # validates everything once
    n = np.shape(X)[0]
    L = mlp.n_layers(params)
    Y = mlp.targets(y, n, np.shape(params[f"W{L}"])[1], loss)

    def loss_fn(p):  # a forward pass only: no gradients are computed here
        out, cache = mlp.forward(p, X, hidden, output)
        logits = cache[-1][0]
        if loss == "bce":
            return losses.binary_cross_entropy_with_logits(logits, Y)
        if loss == "ce":
            return losses.cross_entropy_with_logits(logits, Y)
        return losses.squared_error(out, Y)

    return finite_difference_gradients(
        loss_fn, params, eps, central=central, forward_madds=n * count_edges(params)
    )


# ---- the 1-D chain y_hat = a w_T ... w_1 x --------------------------------------------------
class ChainForward(NamedTuple):
    """The chain's forward pass: ``y_hat``, the node values ``z = [z_0 = x, z_1, ..., z_T]``
    and the ``T + 1`` multiplications it took."""

    y_hat: float
    z: np.ndarray
    n_mults: int


def _chain_inputs(a, ws, x):
    for name, v in (("a", a), ("x", x)):
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise ValueError(f"{name} must be a number, got {v!r}")
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    ws = as_vector(ws, "ws")
    if ws.size == 0:
        raise ValueError("ws must hold at least one weight w_1 (the chain length T >= 1)")
    return float(a), ws, float(x)


def chain_forward(a: float, ws: Sequence[float] | np.ndarray, x: float) -> ChainForward:
    """Forward pass of ``y_hat = a w_T ... w_2 w_1 x``, storing every node.

    Parameters
    ----------
    a : the output weight
    ws : array ``(T,)``, ``ws[i - 1]`` is ``w_i`` (``w_1`` acts first, on ``x``)
    x : the input

    Returns
    -------
    ChainForward ``(y_hat, z (T + 1,), n_mults = T + 1)``, with ``z_t = w_t z_{t-1}``

    >>> out = chain_forward(2.0, [1.0, 3.0, 0.5], 4.0)
    >>> out.y_hat, out.z.tolist(), out.n_mults
    (12.0, [4.0, 4.0, 12.0, 6.0], 4)
    """
    a, ws, x = _chain_inputs(a, ws, x)
    T = ws.size
    z = np.empty(T + 1)
    z[0] = x
    n_mults = 0
    for t in range(1, T + 1):
        z[t] = ws[t - 1] * z[t - 1]  # z_t = w_t z_{t-1}
        n_mults += 1
    y_hat = a * z[T]
    n_mults += 1
    return ChainForward(float(y_hat), z, n_mults)


def naive_chain_gradients(
    a: float, ws: Sequence[float] | np.ndarray, x: float, *, include_forward: bool = False
) -> tuple[np.ndarray, int]:
    """``dy_hat/dw_i`` for every ``i`` by the chain rule, each product computed from scratch.

    ``dy_hat/dw_i = dy_hat/dz_T * dz_T/dz_{T-1} * ... * dz_{i+1}/dz_i * dz_i/dw_i
    = a * w_T * ... * w_{i+1} * z_{i-1}``: ``T - i + 1`` multiplications, nothing reused
    between different ``i``; ``T (T + 1) / 2`` in all. (``dL/dw_i`` is one more
    multiplication by ``dL/dy_hat``.)

    Parameters
    ----------
    a, ws, x : as in :func:`chain_forward`
    include_forward : also count the ``T + 1`` multiplications of the forward pass that
        provides ``z_{i-1}``

    Returns
    -------
    grads : array ``(T,)``, ``grads[i - 1] = dy_hat/dw_i``
    n_mults : int, ``T (T + 1) / 2`` (plus ``T + 1`` with ``include_forward``)

    >>> naive_chain_gradients(1.0, np.ones(10), 1.0)[1]
    55
    """
    a, ws, x = _chain_inputs(a, ws, x)
    forward = chain_forward(a, ws, x)
    T = ws.size
    grads = np.empty(T)
    n_mults = forward.n_mults if include_forward else 0
    for i in range(1, T + 1):
        g = a  # dy_hat/dz_T
        for t in range(T, i, -1):
            g = g * ws[t - 1]  # times dz_t/dz_{t-1} = w_t
            n_mults += 1
        g = g * forward.z[i - 1]  # times dz_i/dw_i = z_{i-1}
        n_mults += 1
        grads[i - 1] = g
    return grads, n_mults


def backprop_chain_gradients(
    a: float, ws: Sequence[float] | np.ndarray, x: float, *, include_forward: bool = False
) -> tuple[np.ndarray, int]:
    """``dy_hat/dw_i`` for every ``i`` by backpropagation: one backward sweep, ``O(T)``.

    Keep ``g_t = dy_hat/dz_t``, starting from ``g_T = a``; then for ``t = T, ..., 1``:
    ``dy_hat/dw_t = g_t z_{t-1}`` and ``g_{t-1} = g_t w_t``. That is ``T + (T - 1) = 2T - 1``
    multiplications.

    Parameters and returns as :func:`naive_chain_gradients`, with ``n_mults = 2T - 1`` (plus
    ``T + 1`` for the forward pass with ``include_forward``).

    >>> backprop_chain_gradients(1.0, np.ones(10), 1.0)[1]
    19
    """
    a, ws, x = _chain_inputs(a, ws, x)
    forward = chain_forward(a, ws, x)
    T = ws.size
    grads = np.empty(T)
    n_mults = forward.n_mults if include_forward else 0
    g = a  # g_T = dy_hat/dz_T
    for t in range(T, 0, -1):
        grads[t - 1] = g * forward.z[t - 1]  # dy_hat/dw_t = g_t z_{t-1}
        n_mults += 1
        if t > 1:
            g = g * ws[t - 1]  # g_{t-1} = g_t w_t
            n_mults += 1
    return grads, n_mults


def chain_finite_difference_gradients(
    a: float,
    ws: Sequence[float] | np.ndarray,
    x: float,
    eps: float = 1e-6,
    *,
    central: bool = True,
) -> tuple[np.ndarray, int]:
    """``dy_hat/dw_i`` by finite differences on the chain, counting forward multiplications.

    Each forward pass takes ``T + 1`` multiplications; central differences need ``2T`` passes,
    ``2T (T + 1)`` multiplications, one-sided ``(T + 1)^2``.

    >>> g, n = chain_finite_difference_gradients(2.0, [1.0, 3.0, 0.5], 4.0)
    >>> np.round(g, 6).tolist(), n
    ([12.0, 4.0, 24.0], 24)
    """
    a, ws, x = _chain_inputs(a, ws, x)
    result = finite_difference_gradients(
        lambda w: chain_forward(a, w, x).y_hat,
        ws,
        eps,
        central=central,
        forward_madds=ws.size + 1,
    )
    return result.grads, result.n_madds
