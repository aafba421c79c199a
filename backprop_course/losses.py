"""Losses averaged over a batch, with their gradients.

Shapes: predictions ``y_hat`` and targets ``y`` are ``(n,)`` or ``(n, k)``; a loss is a float,
the mean over the ``n`` examples of the per-example loss (summed over the ``k`` outputs).
Gradients have the shape of the prediction and already include the ``1/n`` of the mean.

Per example, the slides write the squared error as ``(y - y')^2`` and the binary
cross-entropy as ``-[y log y_hat + (1 - y) log(1 - y_hat)]``; the last slide deck sums the
cross-entropy over the examples, we average it so that the learning rate does not depend on
the batch size.

>>> import numpy as np
>>> print(f"{squared_error(np.array([1.0, 3.0]), np.array([0.0, 1.0])):.2f}")
2.50
>>> bool(np.isfinite(binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]))))
True
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid

#: Predictions are clipped to ``[EPS, 1 - EPS]`` inside the probability form of cross-entropy,
#: so a prediction of exactly 0 or 1 gives a large but finite loss (about 27.6 per example).
EPS = 1e-12


def _batch_size(y_hat: np.ndarray, y: np.ndarray) -> int:
    if y_hat.shape != y.shape:
        raise ValueError(f"prediction and target shapes differ: y_hat {y_hat.shape} vs y {y.shape}")
    if y_hat.ndim == 0 or y_hat.shape[0] == 0:
        raise ValueError(f"a loss needs a batch of at least one example, got shape {y_hat.shape}")
    return y_hat.shape[0]


def squared_error(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error ``(1/n) sum_n sum_k (y_hat - y)^2``.

    Parameters
    ----------
    y_hat, y : arrays of the same shape ``(n,)`` or ``(n, k)``

    >>> squared_error(np.array([[2.0]]), np.array([[0.0]]))
    4.0
    """
    y_hat, y = np.asarray(y_hat), np.asarray(y)
    n = _batch_size(y_hat, y)
    r = y_hat - y
    return float(np.sum(r * r) / n)


def squared_error_gradient(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of :func:`squared_error` with respect to ``y_hat``: ``2 (y_hat - y) / n``.

    >>> squared_error_gradient(np.array([2.0, 0.0]), np.array([0.0, 0.0])).tolist()
    [2.0, 0.0]
    """
    y_hat, y = np.asarray(y_hat), np.asarray(y)
    n = _batch_size(y_hat, y)
    return 2.0 * (y_hat - y) / n


def binary_cross_entropy(p: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy ``-(1/n) sum [y log p + (1 - y) log(1 - p)]``.

    ``p`` are probabilities in ``[0, 1]``, ``y`` labels 0/1; ``p`` is clipped to
    ``[EPS, 1 - EPS]`` so the loss stays finite. Prefer
    :func:`binary_cross_entropy_with_logits` when the logits are at hand.

    >>> print(f"{binary_cross_entropy(np.array([0.5]), np.array([1.0])):.4f}")
    0.6931
    """
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = _batch_size(p, y)
    q = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.sum(y * np.log(q) + (1.0 - y) * np.log1p(-q)) / n)


def binary_cross_entropy_gradient(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` w.r.t. ``p``: ``(-y/p + (1-y)/(1-p)) / n``.

    >>> print(binary_cross_entropy_gradient(np.array([0.5]), np.array([1.0])))
    [-2.]
    """
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = _batch_size(p, y)
    q = np.clip(p, EPS, 1.0 - EPS)
    return (-y / q + (1.0 - y) / (1.0 - q)) / n


def binary_cross_entropy_with_logits(s: np.ndarray, y: np.ndarray) -> float:
    """Binary cross-entropy of ``p = sigmoid(s)`` computed from the logits ``s``.

    Uses ``-log sigma(s) = log(1 + e^{-s})`` written as ``logaddexp(0, s) - y s``, exact and
    finite for any ``s`` (no ``log(0)``).

    >>> print(f"{binary_cross_entropy_with_logits(np.array([1e4]), np.array([0.0])):.1f}")
    10000.0
    """
    s, y = np.asarray(s), np.asarray(y)
    n = _batch_size(s, y)
    return float(np.sum(np.logaddexp(0.0, s) - y * s) / n)


def binary_cross_entropy_with_logits_gradient(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient w.r.t. the logits: ``(sigmoid(s) - y) / n`` (the famous simplification).

    >>> binary_cross_entropy_with_logits_gradient(np.array([0.0]), np.array([1.0])).tolist()
    [-0.5]
    """
    s, y = np.asarray(s), np.asarray(y)
    n = _batch_size(s, y)
    return (sigmoid(s) - y) / n


def softmax(s: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits ``s`` of shape ``(n, k)``, shifted by the row max for stability.

    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    s = np.asarray(s)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_with_logits(s: np.ndarray, Y: np.ndarray) -> float:
    """Mean categorical cross-entropy of ``softmax(s)`` against one-hot targets ``Y`` ``(n, k)``.

    >>> print(f"{cross_entropy_with_logits(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])):.4f}")
    0.6931
    """
    s, Y = np.asarray(s), np.asarray(Y)
    n = _batch_size(s, Y)
    m = s.max(axis=1, keepdims=True)
    log_z = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
    return float(np.sum(log_z - np.sum(Y * s, axis=1)) / n)


def cross_entropy_with_logits_gradient(s: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gradient w.r.t. the logits: ``(softmax(s) - Y) / n``.

    >>> cross_entropy_with_logits_gradient(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])).tolist()
    [[-0.5, 0.5]]
    """
    s, Y = np.asarray(s), np.asarray(Y)
    n = _batch_size(s, Y)
    return (softmax(s) - Y) / n
