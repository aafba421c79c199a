"""Seeded toy data sets in the plane: ``(n, rng) -> (X, y)``.

Every function returns ``X`` of shape ``(n, 2)`` (float64) and integer labels ``y`` of shape
``(n,)``; ``labels=(0, 1)`` (for cross-entropy) or ``labels=(-1, 1)`` (for the perceptron)
chooses the label values. The same ``rng`` seed always gives the same data.

>>> X, y = moons(6, rng=0)
>>> X.shape, sorted(set(y.tolist()))
((6, 2), [0, 1])
>>> X, y = blobs(4, rng=0)
>>> sorted(set(y.tolist()))
[-1, 1]
"""

from __future__ import annotations

import numpy as np

from ._validate import check_count, check_positive

LABEL_SETS = ((0, 1), (-1, 1))


def _finish(X: np.ndarray, y01: np.ndarray, labels, rng: np.random.Generator):
    labels = tuple(labels) if not isinstance(labels, str) else labels
    if labels not in LABEL_SETS:
        raise ValueError(f"labels must be (0, 1) or (-1, 1), got {labels!r}")
    order = rng.permutation(len(y01))
    y = np.where(y01 == 1, labels[1], labels[0]).astype(np.int64)
    return X[order].astype(np.float64), y[order]


def _halves(n: int) -> tuple[int, int, np.ndarray]:
    """Class sizes ``n0 = n // 2`` and ``n1 = n - n0``, and labels ``y01``: n0 zeros, n1 ones."""
    n = check_count(n, "n", minimum=2)
    n0, n1 = n // 2, n - n // 2
    return n0, n1, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def blobs(
    n: int,
    rng: np.random.Generator | int | None = None,
    *,
    margin: float = 0.3,
    labels=(-1, 1),
):
    """Two Gaussian clouds that are linearly separable with at least ``margin`` of room.

    The true separating line passes through the origin with a random normal ``w``; points that
    fall within ``margin`` of it are pushed out, so a perceptron is guaranteed to converge.

    >>> X, y = blobs(50, rng=1)
    >>> X.shape
    (50, 2)
    """
    rng = np.random.default_rng(rng)
    n0, n1, y01 = _halves(n)
    margin = check_positive(margin, "margin")
    angle = rng.uniform(0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    sign = np.where(y01 == 1, 1.0, -1.0)
    X = rng.normal(size=(n, 2)) * 0.7 + 1.5 * sign[:, None] * w
    proj = X @ w
    short = sign * proj < margin
    X[short] += ((margin - sign[short] * proj[short]) * sign[short])[:, None] * w
    return _finish(X, y01, labels, rng)


def xor(n: int, rng: np.random.Generator | int | None = None, *, noise: float = 0.2, labels=(0, 1)):
    """Four clusters at the corners ``(+-1, +-1)``; the label is 1 where ``x1 * x2 < 0``.

    No line separates the classes: the perceptron's classic failure case.

    >>> X, y = xor(8, rng=0)
    >>> X.shape
    (8, 2)
    """
    rng = np.random.default_rng(rng)
    n = check_count(n, "n", minimum=4)
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    which = np.arange(n) % 4
    X = corners[which] + rng.normal(scale=noise, size=(n, 2))
    y01 = (which >= 2).astype(int)
    return _finish(X, y01, labels, rng)


def moons(
    n: int, rng: np.random.Generator | int | None = None, *, noise: float = 0.1, labels=(0, 1)
):
    """Two interleaving half circles with Gaussian noise of standard deviation ``noise``.

    >>> X, y = moons(100, rng=0, noise=0.0)
    >>> bool(np.all((X[:, 1] >= -0.5) & (X[:, 1] <= 1.0)))
    True
    """
    rng = np.random.default_rng(rng)
    n0, n1, y01 = _halves(n)
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    X = np.r_[
        np.c_[np.cos(t0), np.sin(t0)],
        np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)],
    ]
    X += rng.normal(scale=noise, size=X.shape)
    return _finish(X, y01, labels, rng)


def circles(
    n: int,
    rng: np.random.Generator | int | None = None,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    labels=(0, 1),
):
    """A small circle (label 1, radius ``factor``) inside a large one (label 0, radius 1).

    >>> X, y = circles(100, rng=0, noise=0.0)
    >>> r = np.hypot(X[:, 0], X[:, 1]); bool(np.allclose(r[y == 1], 0.5))
    True
    """
    rng = np.random.default_rng(rng)
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie in (0, 1), got {factor}")
    n0, n1, y01 = _halves(n)
    t0 = rng.uniform(0, 2 * np.pi, n0)
    t1 = rng.uniform(0, 2 * np.pi, n1)
    X = np.r_[np.c_[np.cos(t0), np.sin(t0)], factor * np.c_[np.cos(t1), np.sin(t1)]]
    X += rng.normal(scale=noise, size=X.shape)
    return _finish(X, y01, labels, rng)


def spirals(
    n: int,
    rng: np.random.Generator | int | None = None,
    *,
    noise: float = 0.1,
    turns: float = 1.5,
    labels=(0, 1),
):
    """Two interleaved spiral arms, each turning ``turns`` times around the origin.

    >>> X, y = spirals(10, rng=0)
    >>> X.shape
    (10, 2)
    """
    rng = np.random.default_rng(rng)
    n0, n1, y01 = _halves(n)
    arms = []
    for k, m in enumerate((n0, n1)):
        t = np.sqrt(rng.uniform(0.02, 1, m)) * turns * 2 * np.pi
        r = t / (turns * 2 * np.pi)
        arms.append(np.c_[r * np.cos(t + k * np.pi), r * np.sin(t + k * np.pi)])
    X = np.r_[arms[0], arms[1]] + rng.normal(scale=noise * 0.25, size=(n0 + n1, 2))
    return _finish(X, y01, labels, rng)


#: The toy sets by name, for widgets and command lines.
DATASETS = {"blobs": blobs, "xor": xor, "moons": moons, "circles": circles, "spirals": spirals}
