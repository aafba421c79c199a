"""The forward and backward pass that exercise sheets after exercise 5 are given.

Exercise 6 trains a network with mini-batch SGD; the gradient it needs is exercise 5's
answer, so the sheet imports it from here instead of showing it (sheets can go out in any
order). Exercise 5 and earlier forbid this module, as they forbid :mod:`backprop_course.mlp`.

It is written on its own, without :mod:`backprop_course.mlp` (which exercise 6 forbids, since
it holds that sheet's answers), for exactly one network: tanh hidden layers, one sigmoid
output, the batch mean of the binary cross-entropy. ``tests/test_reference.py`` checks it
against :func:`backprop_course.mlp.loss_and_grads` and against finite differences.

>>> import numpy as np
>>> params = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros(2),
...           "W2": np.array([[0.5], [0.5]]), "b2": np.zeros(1)}
>>> loss, grads = loss_and_grads(params, np.array([[0.0]]), np.array([1]))
>>> print(f"{loss:.4f}", sorted(grads), grads["b2"].round(2).tolist())
0.6931 ['W1', 'W2', 'b1', 'b2'] [-0.5]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import as_matrix

__all__ = ["loss_and_grads"]


def _layers(params: Mapping[str, np.ndarray]) -> int:
    """The number of layers L of ``{"W1", "b1", ..., "WL", "bL"}``, or a clear ValueError."""
    if not isinstance(params, Mapping) or not params or len(params) % 2:
        raise ValueError("params must be a dict {'W1': ..., 'b1': ..., ..., 'WL': ..., 'bL': ...}")
    L = len(params) // 2
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if set(params) != expected:
        raise ValueError(f"params must have the keys {sorted(expected)}, got {sorted(params)}")
    for l in range(1, L + 1):
        W, b = np.shape(params[f"W{l}"]), np.shape(params[f"b{l}"])
        if len(W) != 2 or b != (W[1],):
            raise ValueError(f"W{l} must be (d_in, d_out) and b{l} (d_out,); got {W} and {b}")
        d_prev = np.shape(params[f"W{l - 1}"])[1] if l > 1 else W[0]
        if W[0] != d_prev:
            raise ValueError(f"W{l} has {W[0]} rows but layer {l - 1} has {d_prev} outputs")
    if np.shape(params[f"W{L}"])[1] != 1:
        shape = np.shape(params[f"W{L}"])
        raise ValueError(f"the last layer must have one output (a sigmoid), W{L} is {shape}")
    return L


def loss_and_grads(params: Mapping[str, np.ndarray], X, y) -> tuple[float, dict]:
    """Mean binary cross-entropy of a tanh network with a sigmoid output, and its gradients.

    Parameters
    ----------
    params : ``{"W1": (d_0, d_1), "b1": (d_1,), ..., "WL": (d_{L-1}, 1), "bL": (1,)}``
    X : ``(n, d_0)`` inputs, one row per example
    y : ``(n,)`` labels 0 or 1

    Returns
    -------
    loss : float, the batch mean
    grads : dict with the keys and shapes of ``params``
    """
    L = _layers(params)
    X = as_matrix(X, "X")
    y = np.asarray(y, dtype=float)
    if y.shape != (X.shape[0],) or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(
            f"y must be {X.shape[0]} labels 0 or 1, shape ({X.shape[0]},); got {y.shape}"
        )
    if X.shape[1] != np.shape(params["W1"])[0]:
        raise ValueError(f"X has {X.shape[1]} features but W1 expects {np.shape(params['W1'])[0]}")
    A = [X]
    for l in range(1, L + 1):
        S = A[-1] @ params[f"W{l}"] + params[f"b{l}"]
        A.append(np.tanh(S) if l < L else S)  # the last entry keeps the logits s
    s = A[-1][:, 0]
    loss = float(np.mean(np.logaddexp(0.0, s) - y * s))  # -y log p - (1-y) log(1-p), p = sigma(s)
    delta = ((1.0 / (1.0 + np.exp(-s)) - y) / len(s))[:, None]  # dL/ds, the 1/n of the mean
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = A[l - 1].T @ delta
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * (1.0 - A[l - 1] ** 2)
    return loss, grads
