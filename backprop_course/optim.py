"""Gradient descent, shuffled mini-batches and the SGD step.

The slides' update ``w_i := w_i - eta * df/dw_i`` is applied to every coordinate at once (the
*simultaneous* update): all partial derivatives are evaluated at the old point first.

>>> import numpy as np
>>> path = gradient_descent(lambda w: 2 * w, np.array([1.0]), lr=0.25, n_steps=3)
>>> path[:, 0].tolist()
[1.0, 0.5, 0.25, 0.125]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from ._validate import as_vector, check_count, check_positive


def gradient_descent(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    w0: np.ndarray,
    lr: float,
    n_steps: int,
) -> np.ndarray:
    """Run ``n_steps`` of ``w <- w - lr * grad_fn(w)`` and return the whole path.

    Parameters
    ----------
    grad_fn : callable ``(d,) -> (d,)``, the gradient of the function being minimised
    w0 : array ``(d,)``, the starting point (not modified)
    lr : float > 0, the learning rate (the slides' ``eta`` or ``q``)
    n_steps : int >= 0

    Returns
    -------
    path : array ``(n_steps + 1, d)``; ``path[0]`` is ``w0``. Once the iterates overflow to
        infinity or NaN (a learning rate far too large), the remaining rows repeat NaN and no
        further gradients are evaluated.

    >>> gradient_descent(lambda w: w, np.array([2.0, -2.0]), lr=0.5, n_steps=1).tolist()
    [[2.0, -2.0], [1.0, -1.0]]
    """
    w = as_vector(w0, "w0").copy()
    lr = check_positive(lr, "lr")
    n_steps = check_count(n_steps, "n_steps", minimum=0)
    path = np.full((n_steps + 1, w.shape[0]), np.nan)
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            g = np.asarray(grad_fn(w), dtype=np.float64)
            if g.shape != w.shape:
                raise ValueError(f"grad_fn returned shape {g.shape}, expected {w.shape}")
            w = w - lr * g
            if not np.isfinite(w).all():
                break
            path[t + 1] = w
    return path


def minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield shuffled mini-batches ``(X_b, y_b)`` covering every example once (one epoch).

    The data are shuffled with ``rng`` and cut into ``ceil(n / batch_size)`` batches; the last
    may be smaller. Shuffling makes each batch gradient an unbiased estimate of the full one.

    Parameters
    ----------
    X : array ``(n, d)``; y : array ``(n,)`` or ``(n, k)``; batch_size : int >= 1

    >>> X = np.arange(10.0).reshape(5, 2); y = np.arange(5)
    >>> [len(yb) for _, yb in minibatches(X, y, 2, rng=0)]
    [2, 2, 1]
    """
    rng = np.random.default_rng(rng)
    X = np.asarray(X)
    y = np.asarray(y)
    batch_size = check_count(batch_size, "batch_size")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(f"X has {X.shape[0]} rows but y has shape {y.shape}")
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def sgd_step(
    params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    """Return new parameters ``theta - lr * g`` for every key; the inputs are not modified.

    >>> sgd_step({"w": np.array([1.0])}, {"w": np.array([2.0])}, lr=0.1)["w"].tolist()
    [0.8]
    """
    lr = check_positive(lr, "lr")
    if set(params) != set(grads):
        raise ValueError(
            f"params and grads must have the same keys, got {sorted(params)} and {sorted(grads)}"
        )
    new = {}
    for k, p in params.items():
        g = np.asarray(grads[k])
        if g.shape != np.shape(p):
            raise ValueError(f"grads[{k!r}] has shape {g.shape}, params[{k!r}] has {np.shape(p)}")
        new[k] = p - lr * g
    return new
