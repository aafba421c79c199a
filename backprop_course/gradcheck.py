"""Numerical gradients by central differences, relative errors, and a checker that says
which parameter and which element disagree.

Central differences ``(f(w + h) - f(w - h)) / 2h`` have error ``O(h^2)``; the one-sided
``(f(w + h) - f(w)) / h`` on the slides has error ``O(h)``. With ``h = 1e-6`` in float64,
analytic and numerical gradients of a smooth loss agree to about ``1e-8`` relative error.

>>> import numpy as np
>>> g = numerical_gradient(lambda w: float(np.sum(w ** 3)), np.array([1.0, 2.0]))
>>> np.round(g, 6).tolist()
[3.0, 12.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np


def numerical_gradient(
    f: Callable[[np.ndarray], float], w: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``w`` (any shape).

    ``f`` is called ``2 * w.size`` times on perturbed copies; ``w`` itself is not modified.

    >>> numerical_gradient(lambda w: float(w @ w), np.array([1.0, -2.0])).round(6).tolist()
    [2.0, -4.0]
    """
    w = np.array(w, dtype=np.float64)
    grad = np.zeros_like(w)
    flat, gflat = w.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f(w.copy())
        flat[i] = old - eps
        f_minus = f(w.copy())
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def numerical_gradients(
    loss_fn: Callable[[Mapping[str, np.ndarray]], float],
    params: Mapping[str, np.ndarray],
    eps: float = 1e-6,
) -> dict[str, np.ndarray]:
    """Central-difference gradient of ``loss_fn(params)`` with respect to every parameter.

    >>> p = {"a": np.array([1.0]), "b": np.array([2.0])}
    >>> g = numerical_gradients(lambda q: float(q["a"][0] * q["b"][0]), p)
    >>> round(float(g["a"][0]), 6), round(float(g["b"][0]), 6)
    (2.0, 1.0)
    """
    out = {}
    for key in params:

        def f(w, key=key):
            trial = {
                k: (w if k == key else np.asarray(v, dtype=np.float64)) for k, v in params.items()
            }
            return float(loss_fn(trial))

        out[key] = numerical_gradient(f, params[key], eps)
    return out


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> np.ndarray:
    """Elementwise ``|a - b| / max(|a| + |b|, floor)``; 0 where both are (near) zero.

    >>> relative_error(np.array([1.0, 0.0]), np.array([1.1, 0.0])).round(4).tolist()
    [0.0476, 0.0]
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


@dataclass
class GradCheckResult:
    """What :func:`check_gradients` found: ``ok``, and for the worst element its parameter
    ``key``, ``index``, ``analytic`` and ``numeric`` values and ``rel_error``; ``first`` names
    the first disagreeing element in parameter order (None when all agree)."""

    ok: bool
    max_rel_error: float
    key: str | None
    index: tuple[int, ...] | None
    analytic: float | None
    numeric: float | None
    first: str | None

    def __str__(self) -> str:
        if self.ok:
            return f"gradient check passed: max relative error {self.max_rel_error:.2e}"
        return (
            f"gradient check FAILED: {self.first}; worst is {self.key}{list(self.index)}: "
            f"analytic {self.analytic:.6g} vs numerical {self.numeric:.6g} "
            f"(relative error {self.max_rel_error:.2e})"
        )


def check_gradients(
    loss_fn: Callable[[Mapping[str, np.ndarray]], float],
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    *,
    eps: float = 1e-6,
    tol: float = 1e-6,
    atol: float = 1e-9,
) -> GradCheckResult:
    """Compare analytic ``grads`` with central differences of ``loss_fn`` for every parameter.

    An element disagrees when its relative error exceeds ``tol`` and its absolute error exceeds
    ``atol`` (so gradients that are both essentially zero pass).

    >>> p = {"w": np.array([1.0, 2.0])}
    >>> loss = lambda q: float(np.sum(q["w"] ** 2))
    >>> check_gradients(loss, p, {"w": 2 * p["w"]}).ok
    True
    >>> print(check_gradients(loss, p, {"w": p["w"]}))  # doctest: +ELLIPSIS
    gradient check FAILED: w[0]: analytic 1 vs numerical 2; worst is ...
    """
    if set(grads) != set(params):
        raise ValueError(f"grads has keys {sorted(grads)}, params has {sorted(params)}")
    numeric = numerical_gradients(loss_fn, params, eps)
    worst = (0.0, None, None)
    first = None
    for key in params:
        g = np.asarray(grads[key], dtype=np.float64)
        if g.shape != np.shape(params[key]):
            raise ValueError(
                f"grads[{key!r}] has shape {g.shape}, expected {np.shape(params[key])}"
            )
        with np.errstate(invalid="ignore"):
            rel = relative_error(g, numeric[key])
            err = np.abs(g - numeric[key])
        # written as "not (close)" so that a NaN or infinite gradient counts as a disagreement
        bad = ~((rel <= tol) | (err <= atol))
        if bad.any() and first is None:
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            first = f"{key}{list(idx)}: analytic {g[idx]:.6g} vs numerical {numeric[key][idx]:.6g}"
        masked = np.where(bad, np.where(np.isnan(rel), np.inf, rel), 0.0)
        if masked.size and masked.max() > worst[0]:
            idx = np.unravel_index(int(masked.argmax()), masked.shape)
            worst = (float(masked.max()), key, tuple(int(i) for i in idx))
    rel_max, key, idx = worst
    return GradCheckResult(
        ok=first is None,
        max_rel_error=rel_max,
        key=key,
        index=idx,
        analytic=None if key is None else float(np.asarray(grads[key])[idx]),
        numeric=None if key is None else float(numeric[key][idx]),
        first=first,
    )
