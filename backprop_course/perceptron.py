"""The perceptron: a hyperplane ``w^T x + b = 0``, its criterion, and how to train it.

A point ``x`` with label ``y`` in ``{-1, +1}`` is on the right side of the hyperplane when
``y (w^T x + b) > 0``. The *perceptron criterion* adds up how far the misclassified points are
on the wrong side::

    error(w, b) = - sum_{i in M} y_i (w^T x_i + b)          M = {i : y_i (w^T x_i + b) <= 0}

It is never negative (each term of the sum is <= 0), and it is 0 exactly when no point is
misclassified. Its gradient, on the region where ``M`` does not change, is::

    d error / d w = - sum_{i in M} y_i x_i        d error / d b = - sum_{i in M} y_i

(Hajij's slides print both without the minus sign.) Gradient descent on it gives the batch
update, and one term at a time gives the classic per-example rule applied to a misclassified
point: ``w <- w + lr y_i x_i``, ``b <- b + lr y_i``.

Shapes: ``X`` is ``(n, d)``, ``y`` is ``(n,)`` with values -1/+1, ``w`` is ``(d,)`` and ``b`` a
float. Nothing passed in is modified.

>>> import numpy as np
>>> X = np.array([[2.0, 0.0], [-1.0, 0.0]]); y = np.array([1, -1])
>>> model = Perceptron(rng=0).fit(X, y)
>>> model.converged_, model.predict(X).tolist()
(True, [1, -1])
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validate import as_matrix, as_vector, check_count, check_positive

__all__ = [
    "ConvergenceWarning",
    "Perceptron",
    "batch_gd_step",
    "check_pm1_labels",
    "criterion",
    "criterion_gradient",
    "misclassified",
    "sgd_update",
    "signed_distance",
]


class ConvergenceWarning(UserWarning):
    """Issued when the perceptron stops at ``max_epochs`` with points still misclassified."""


def check_pm1_labels(y, n: int) -> np.ndarray:
    """Return ``y`` as a float vector of length ``n`` with values -1/+1, or raise ``ValueError``.

    The message names the labels found and, for 0/1 labels, how to convert them.

    >>> check_pm1_labels([1, -1, 1], 3).tolist()
    [1.0, -1.0, 1.0]
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) to match X, got shape {arr.shape}")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"y must hold numeric labels -1/+1, got dtype {arr.dtype}")
    if np.isnan(arr.astype(np.float64)).any():
        raise ValueError("y contains NaN; the perceptron needs labels -1/+1")
    bad = ~np.isin(arr, (-1, 1))
    if bad.any():
        found = sorted(np.unique(arr).tolist())[:6]
        hint = ""
        if set(found) <= {0, 1}:
            hint = "; for 0/1 labels use y = 2 * y - 1 (0 -> -1, 1 -> +1)"
        raise ValueError(f"perceptron labels must be -1 and +1, found labels {found}{hint}")
    return arr.astype(np.float64)


def _check_wb(w, b, d: int) -> tuple[np.ndarray, float]:
    w = as_vector(w, "w", length=d)
    b_arr = np.asarray(b, dtype=np.float64)
    if b_arr.ndim != 0:
        raise ValueError(f"b must be a scalar, got shape {b_arr.shape}")
    if not np.isfinite(b_arr):
        raise ValueError(f"b must be finite, got {float(b_arr)}")
    return w, float(b_arr)


def _check_data(X, y, w, b):
    X = as_matrix(X, "X")
    y = check_pm1_labels(y, X.shape[0])
    w, b = _check_wb(w, b, X.shape[1])
    return X, y, w, b


def signed_distance(
    X: np.ndarray, w: np.ndarray, b: float, *, normalize: bool = False
) -> np.ndarray:
    """The slides' ``d = w^T x + b`` for each row of ``X``; ``normalize`` divides by ``||w||``.

    ``w^T x + b`` has the sign of the side of the hyperplane ``x`` lies on, but it is the
    Euclidean distance only when ``||w|| = 1``; ``(w^T x + b) / ||w||`` is the true signed
    distance.

    Parameters
    ----------
    X : array ``(n, d)``
    w : array ``(d,)``; b : float
    normalize : divide by ``||w||`` (which must then be non-zero)

    Returns
    -------
    d : array ``(n,)``

    >>> X = np.array([[3.0, 4.0]])
    >>> signed_distance(X, np.array([2.0, 0.0]), -2.0).tolist()
    [4.0]
    >>> signed_distance(X, np.array([2.0, 0.0]), -2.0, normalize=True).tolist()
    [2.0]
    """
    X = as_matrix(X, "X")
    w, b = _check_wb(w, b, X.shape[1])
    d = X @ w + b
    if normalize:
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            raise ValueError("w is the zero vector: no hyperplane, so no distance to it")
        d = d / norm
    return d


def misclassified(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Boolean mask ``(n,)`` of the set ``M``: points with ``y_i (w^T x_i + b) <= 0``.

    A point exactly on the hyperplane counts as misclassified (it is on neither side), so a
    perceptron started at ``w = 0, b = 0`` still moves.

    >>> misclassified(np.array([[1.0], [-1.0]]), np.array([1, 1]), np.array([1.0]), 0.0).tolist()
    [False, True]
    """
    X, y, w, b = _check_data(X, y, w, b)
    return y * (X @ w + b) <= 0


def criterion(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """The perceptron criterion ``error(w, b) = - sum_{i in M} y_i (w^T x_i + b)`` (>= 0).

    Parameters
    ----------
    X : array ``(n, d)``; y : array ``(n,)`` of -1/+1; w : array ``(d,)``; b : float

    >>> X = np.array([[1.0], [-2.0]]); y = np.array([-1, 1])
    >>> print(f"{criterion(X, y, np.array([1.0]), 0.5):.2f}")  # 1.5 + 1.5
    3.00
    """
    X, y, w, b = _check_data(X, y, w, b)
    margins = y * (X @ w + b)
    return float(-np.sum(margins[margins <= 0]))


def criterion_gradient(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float
) -> tuple[np.ndarray, float]:
    """Gradient of :func:`criterion`: ``(-sum_M y_i x_i, -sum_M y_i)``.

    The criterion is piecewise linear; this is its gradient wherever no point lies exactly on
    the hyperplane (at such a kink it is one of the subgradients).

    Returns
    -------
    dw : array ``(d,)``; db : float

    >>> X = np.array([[1.0, 2.0], [3.0, 0.0]]); y = np.array([-1, 1])
    >>> dw, db = criterion_gradient(X, y, np.array([1.0, 0.0]), 0.0)  # only row 0 is wrong
    >>> dw.tolist(), db
    ([1.0, 2.0], 1.0)
    """
    X, y, w, b = _check_data(X, y, w, b)
    M = y * (X @ w + b) <= 0
    return -(y[M] @ X[M]), float(-np.sum(y[M]))


def batch_gd_step(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float
) -> tuple[np.ndarray, float]:
    """One gradient-descent step on the criterion over all points: ``w - lr dw, b - lr db``.

    That is ``w + lr sum_M y_i x_i`` and ``b + lr sum_M y_i``. Returns new values.

    >>> X = np.array([[1.0, 2.0], [3.0, 0.0]]); y = np.array([-1, 1])
    >>> w, b = batch_gd_step(X, y, np.array([1.0, 0.0]), 0.0, lr=0.5)
    >>> w.tolist(), b
    ([0.5, -1.0], -0.5)
    """
    lr = check_positive(lr, "lr")
    X, y, w, b = _check_data(X, y, w, b)
    dw, db = criterion_gradient(X, y, w, b)
    return w - lr * dw, b - lr * db


def sgd_update(
    x_i: np.ndarray, y_i: float, w: np.ndarray, b: float, lr: float
) -> tuple[np.ndarray, float]:
    """The per-example rule: if ``y_i (w^T x_i + b) <= 0``, ``w + lr y_i x_i, b + lr y_i``.

    A correctly classified point leaves ``(w, b)`` unchanged (copies are returned either way).
    On a misclassified point this is exactly a gradient step on that point's term
    ``-y_i (w^T x_i + b)`` of the criterion.

    Parameters
    ----------
    x_i : array ``(d,)``; y_i : -1 or +1; w : array ``(d,)``; b : float; lr : float > 0

    >>> w, b = sgd_update(np.array([1.0, 2.0]), -1, np.array([1.0, 0.0]), 0.0, lr=1.0)
    >>> w.tolist(), b
    ([0.0, -2.0], -1.0)
    """
    lr = check_positive(lr, "lr")
    x_i = as_vector(x_i, "x_i")
    y_i = float(check_pm1_labels(np.array([y_i]).reshape(-1), 1)[0])
    w, b = _check_wb(w, b, x_i.shape[0])
    if y_i * (x_i @ w + b) <= 0:
        return w + lr * y_i * x_i, b + lr * y_i
    return w.copy(), b


class Perceptron:
    """Rosenblatt's perceptron, trained by the per-example rule or by batch gradient descent.

    Parameters
    ----------
    lr : float > 0, the learning rate (the slides' ``eta`` or ``q``)
    max_epochs : int >= 1; training stops there even if points are still misclassified
    rng : seed or Generator for the small random initial ``w`` and the order of the points
    mode : ``"sgd"`` (one update per misclassified point, in a shuffled order each epoch) or
        ``"batch"`` (one :func:`batch_gd_step` per epoch)

    Attributes (after ``fit``)
    --------------------------
    w_ : array ``(d,)``; b_ : float
    converged_ : True when no training point is misclassified
    n_epochs_ : number of passes over the data that were run
    errors_history_ : list, the number of misclassified training points after each epoch

    On data that no hyperplane separates (XOR), training stops at ``max_epochs`` with
    ``converged_ = False`` and a :class:`ConvergenceWarning`.

    >>> from backprop_course import data
    >>> X, y = data.blobs(100, rng=0)
    >>> model = Perceptron(rng=0).fit(X, y)
    >>> model.converged_, model.score(X, y)
    (True, 1.0)
    """

    def __init__(
        self,
        lr: float = 1.0,
        max_epochs: int = 1000,
        rng: np.random.Generator | int | None = None,
        mode: str = "sgd",
    ):
        self.lr = lr
        self.max_epochs = max_epochs
        self.rng = rng
        self.mode = mode

    def fit(self, X: np.ndarray, y: np.ndarray) -> Perceptron:
        """Train on ``X (n, d)`` and labels ``y (n,)`` in {-1, +1}; returns ``self``."""
        lr = check_positive(self.lr, "lr")
        max_epochs = check_count(self.max_epochs, "max_epochs")
        if self.mode not in ("sgd", "batch"):
            raise ValueError(f"unknown mode {self.mode!r}; expected 'sgd' or 'batch'")
        rng = np.random.default_rng(self.rng)
        X = as_matrix(X, "X")
        y = check_pm1_labels(y, X.shape[0])
        n, d = X.shape
        w = rng.normal(scale=0.01, size=d)
        b = 0.0
        history = []
        converged = False
        for _ in range(max_epochs):
            if self.mode == "batch":
                M = y * (X @ w + b) <= 0
                w = w + lr * (y[M] @ X[M])
                b = b + lr * float(np.sum(y[M]))
            else:
                for i in rng.permutation(n):
                    if y[i] * (X[i] @ w + b) <= 0:
                        w = w + lr * y[i] * X[i]
                        b = b + lr * y[i]
            n_wrong = int(np.sum(y * (X @ w + b) <= 0))
            history.append(n_wrong)
            if n_wrong == 0:
                converged = True
                break
        self.w_, self.b_ = w, float(b)
        self.converged_ = converged
        self.n_epochs_ = len(history)
        self.errors_history_ = history
        if not converged:
            warnings.warn(
                f"perceptron did not converge in {max_epochs} epochs: {history[-1]} of {n} "
                "points are still misclassified (the data may not be linearly separable)",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _check_fitted(self):
        if not hasattr(self, "w_"):
            raise ValueError("this Perceptron is not fitted yet; call fit(X, y) first")

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """``w^T x + b`` for every row of ``X`` ``(n, d)``; returns ``(n,)``."""
        self._check_fitted()
        return signed_distance(X, self.w_, self.b_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels ``(n,)`` in {-1, +1}: the side of the hyperplane (+1 on it)."""
        return np.where(self.decision_function(X) >= 0, 1, -1).astype(np.int64)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of :meth:`predict` against labels ``y`` ``(n,)`` in {-1, +1}."""
        X = as_matrix(X, "X")
        y = check_pm1_labels(y, X.shape[0])
        return float(np.mean(self.predict(X) == y))
