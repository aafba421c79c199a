"""Figures of trained models: confusion matrices, image grids of (mis)classified examples, and
the loss along a random direction around a minimum (flat versus sharp minima).

Each drawing function takes ``ax=None`` (a new figure is made when it is None), labels its
axes and returns the Axes. Two small helpers compute what the minima figure draws:
:func:`random_direction` (filter-normalised, after Li et al. 2018, "Visualizing the Loss
Landscape of Neural Nets"), :func:`sharpest_direction` (the top eigenvector of the Hessian,
by power iteration) and :func:`losses_along`.

>>> import numpy as np
>>> confusion_counts([0, 1, 1, 2], [0, 1, 2, 2]).tolist()
[[1, 0, 0], [0, 1, 1], [0, 0, 1]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_vector, check_count
from .curves import _axes

__all__ = [
    "confusion_counts",
    "confusion_matrix",
    "image_grid",
    "misclassified_examples",
    "random_direction",
    "sharpest_direction",
    "losses_along",
    "loss_along_direction",
]


def _int_labels(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {arr.shape}")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.size and (np.any(arr < 0) or np.any(arr != np.round(arr))):
        bad = np.unique(arr[(arr < 0) | (arr != np.round(arr))])[:5].tolist()
        raise ValueError(f"{name} must hold integer class labels 0, 1, 2, ..., found {bad}")
    return arr.astype(np.int64)


def confusion_counts(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Count matrix ``C (k, k)``: ``C[i, j]`` is the number of examples of true class ``i``
    predicted as class ``j`` (rows true, columns predicted; the diagonal is correct).

    Parameters
    ----------
    y_true, y_pred : integer labels ``(n,)`` in ``0..k-1``
    n_classes : ``k``; default ``max(y_true, y_pred) + 1``

    >>> C = confusion_counts([0, 0, 1], [0, 1, 1], n_classes=3)
    >>> C.tolist(), int(C.trace())
    ([[1, 1, 0], [0, 1, 0], [0, 0, 0]], 2)
    """
    t, p = _int_labels(y_true, "y_true"), _int_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if n_classes is None:
        n_classes = max(top, 1)
    n_classes = check_count(n_classes, "n_classes")
    if top > n_classes:
        raise ValueError(f"labels go up to {top - 1} but n_classes is {n_classes}")
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def confusion_matrix(
    y_true,
    y_pred,
    class_names: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
    *,
    normalize: bool = False,
    cmap: str = "Blues",
    title: str | None = None,
) -> plt.Axes:
    """Draw the confusion matrix of :func:`confusion_counts` with the count in every cell.

    Parameters
    ----------
    y_true, y_pred : integer labels ``(n,)``
    class_names : tick labels, one per class (default ``0..k-1``); their number sets ``k``
    normalize : colour (and print) each row as a fraction of that class's examples
    title : default states the accuracy, ``trace(C) / n``

    >>> ax = confusion_matrix([0, 1, 1], [0, 1, 0])
    >>> ax.get_xlabel(), ax.get_title()
    ('predicted class', 'confusion matrix\\naccuracy 0.667 on 3 examples')
    """
    n_classes = None if class_names is None else len(class_names)
    C = confusion_counts(y_true, y_pred, n_classes)
    k = C.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    shown = C.astype(np.float64)
    if normalize:
        shown = shown / np.maximum(C.sum(axis=1, keepdims=True), 1)
    ax = _axes(ax, figsize=None)
    im = ax.imshow(shown, cmap=cmap, vmin=0)
    threshold = shown.max() / 2 if shown.max() > 0 else 1.0
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(C[i, j])
            colour = "white" if shown[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    n = int(C.sum())
    if title is None:
        acc = C.trace() / n if n else float("nan")
        title = f"confusion matrix\naccuracy {acc:.3f} on {n} examples"
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, label="fraction of the row" if normalize else "count")
    return ax


def image_grid(
    images,
    titles: Sequence[str] | None = None,
    *,
    image_shape: tuple[int, int] | None = None,
    ncols: int = 10,
    ax: plt.Axes | None = None,
    cmap: str = "gray_r",
    title: str | None = None,
    fontsize: float = 9,
) -> plt.Axes:
    """Tile small grey images into one Axes, with an optional caption above each.

    Parameters
    ----------
    images : ``(m, h, w)``, or ``(m, h * w)`` flattened rows with ``image_shape=(h, w)``
    titles : ``m`` captions
    ncols : images per row of the grid
    fontsize : size of the captions

    >>> ax = image_grid(np.zeros((3, 4)), ["a", "b", "c"], image_shape=(2, 2), ncols=2)
    >>> [t.get_text() for t in ax.texts]
    ['a', 'b', 'c']
    """
    arr = np.asarray(images, dtype=np.float64)
    if image_shape is not None:
        h, w = (check_count(s, "image_shape entries") for s in image_shape)
        if arr.ndim != 2 or arr.shape[1] != h * w:
            raise ValueError(
                f"flattened images must have shape (m, {h * w}) for image_shape {(h, w)}, "
                f"got {arr.shape}"
            )
        arr = arr.reshape(-1, h, w)
    if arr.ndim != 3:
        raise ValueError(
            f"images must have shape (m, h, w), or (m, h*w) with image_shape, got {arr.shape}"
        )
    m, h, w = arr.shape
    if titles is not None and len(titles) != m:
        raise ValueError(f"got {len(titles)} titles for {m} images")
    ncols = check_count(ncols, "ncols")
    ax = _axes(ax, figsize=None)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    if m == 0:
        ax.text(0.5, 0.5, "no images to show", ha="center", va="center", transform=ax.transAxes)
        return ax
    cols = min(ncols, m)
    rows = -(-m // cols)
    gap = max(1, min(h, w) // 4)
    cap = max(3, h // 2) if titles is not None else 0  # room for the caption above each image
    cell_h, cell_w = cap + h + gap, w + gap
    lo, hi = float(arr.min()), float(arr.max())
    mosaic = np.full((rows * cell_h, cols * cell_w), np.nan)
    for k in range(m):
        r, c = divmod(k, cols)
        y0, x0 = r * cell_h + cap, c * cell_w
        mosaic[y0 : y0 + h, x0 : x0 + w] = arr[k]
        if titles is not None:
            ax.text(
                x0 + w / 2 - 0.5, y0 - 0.7, titles[k], ha="center", va="bottom", fontsize=fontsize
            )
    cm = plt.get_cmap(cmap).with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cm, vmin=lo, vmax=hi if hi > lo else lo + 1, interpolation="nearest")
    return ax


def misclassified_examples(
    images,
    y_true,
    y_pred,
    *,
    image_shape: tuple[int, int] | None = None,
    max_images: int = 40,
    ncols: int = 10,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Show the examples whose prediction is wrong, captioned ``true -> predicted``.

    Parameters
    ----------
    images : as in :func:`image_grid`, one per label
    y_true, y_pred : integer labels ``(m,)``
    max_images : show at most this many (the first ones, in data order)

    >>> ax = misclassified_examples(np.eye(4), [0, 1, 2, 3], [0, 2, 2, 1], image_shape=(2, 2))
    >>> [t.get_text() for t in ax.texts], ax.get_title()
    (['1→2', '3→1'], '2 misclassified of 4 (true→predicted), showing 2')
    """
    t, p = _int_labels(y_true, "y_true"), _int_labels(y_pred, "y_pred")
    images = np.asarray(images)
    n = len(images)
    if t.shape != (n,) or p.shape != (n,):
        raise ValueError(
            f"y_true and y_pred need one label per image ({n}), got {t.shape} and {p.shape}"
        )
    max_images = check_count(max_images, "max_images")
    wrong = np.flatnonzero(t != p)
    shown = wrong[:max_images]
    ax = image_grid(
        images[shown],
        [f"{t[i]}→{p[i]}" for i in shown],
        image_shape=image_shape,
        ncols=ncols,
        ax=ax,
    )
    ax.set_title(f"{len(wrong)} misclassified of {n} (true→predicted), showing {len(shown)}")
    return ax


def random_direction(
    params: Mapping[str, np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    normalize: str = "filter",
) -> dict[str, np.ndarray]:
    """A random direction in parameter space, with the keys and shapes of ``params``.

    ``normalize="filter"`` (Li et al. 2018) scales each column ``d[:, j]`` of a weight matrix
    (the weights into unit ``j``) to the norm of ``W[:, j]``, and sets bias directions to zero,
    so a step ``alpha`` moves every unit by the same *relative* amount and minima of networks
    with different weight scales can be compared. ``normalize="none"``: unit-norm direction
    over all parameters.

    >>> p = {"W1": np.array([[3.0], [4.0]]), "b1": np.array([1.0])}
    >>> d = random_direction(p, rng=0)
    >>> round(float(np.linalg.norm(d["W1"][:, 0])), 6), d["b1"].tolist()
    (5.0, [0.0])
    """
    rng = np.random.default_rng(rng)
    if normalize not in ("filter", "none"):
        raise ValueError(f"unknown normalize {normalize!r}; expected 'filter' or 'none'")
    direction = {k: rng.standard_normal(np.shape(v)) for k, v in params.items()}
    if normalize == "none":
        total = np.sqrt(sum(float(np.sum(d * d)) for d in direction.values()))
        return {k: d / total for k, d in direction.items()}
    out = {}
    for k, d in direction.items():
        v = np.asarray(params[k], dtype=np.float64)
        if v.ndim == 2:
            out[k] = d * np.linalg.norm(v, axis=0) / np.linalg.norm(d, axis=0)
        else:
            out[k] = np.zeros_like(d)
    return out


def sharpest_direction(
    grad_fn: Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]],
    params: Mapping[str, np.ndarray],
    *,
    n_iter: int = 50,
    eps: float = 1e-4,
    rng: np.random.Generator | int | None = 0,
) -> tuple[float, dict[str, np.ndarray]]:
    """The sharpness ``lambda_max`` (largest Hessian eigenvalue) of a loss at ``params`` and its
    unit eigenvector, as a direction with the keys and shapes of ``params``.

    Power iteration ``v <- H v / ||H v||`` with Hessian-vector products from central differences
    of the gradient, ``H v ~ (g(w + eps v) - g(w - eps v)) / (2 eps)`` (two gradient calls per
    iteration, the Hessian itself is never formed). It converges to the eigenvalue of largest
    magnitude, which at a minimum is ``lambda_max >= 0``. Gradient descent with learning rate
    ``eta`` can only stay near a minimum whose ``lambda_max < 2 / eta`` (lecture 2's condition on
    ``f = (lambda/2) w^2``, applied along the sharpest direction).

    Parameters
    ----------
    grad_fn : ``params -> grads`` (same keys and shapes), e.g. from ``mlp.loss_and_grads``
    params : the point, e.g. trained parameters; not modified
    n_iter : power iterations; eps : finite-difference step; rng : seed of the start vector

    Returns
    -------
    lam : float, the Rayleigh quotient ``v^T H v`` at the last iterate
    direction : dict of arrays, ``||direction|| = 1`` over all parameters

    >>> H = np.diag([1.0, 5.0])
    >>> lam, d = sharpest_direction(lambda p: {"w": H @ p["w"]}, {"w": np.zeros(2)})
    >>> print(f"{lam:.4f}", np.abs(d["w"]).round(4).tolist())
    5.0000 [0.0, 1.0]
    """
    n_iter = check_count(n_iter, "n_iter")
    keys = list(params)
    shapes = [np.shape(params[k]) for k in keys]
    sizes = [int(np.prod(s)) for s in shapes]
    w = np.concatenate([np.asarray(params[k], dtype=np.float64).ravel() for k in keys])

    def unflatten(vec):
        parts = np.split(vec, np.cumsum(sizes)[:-1])
        return {k: part.reshape(s) for k, part, s in zip(keys, parts, shapes, strict=True)}

    def flat_grad(vec):
        g = grad_fn(unflatten(vec))
        return np.concatenate([np.asarray(g[k], dtype=np.float64).ravel() for k in keys])

    rng = np.random.default_rng(rng)
    v = rng.standard_normal(w.size)
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(n_iter):
        hv = (flat_grad(w + eps * v) - flat_grad(w - eps * v)) / (2 * eps)
        lam = float(v @ hv)
        norm = np.linalg.norm(hv)
        if norm == 0:
            break
        v = hv / norm
    return lam, unflatten(v)


def losses_along(
    loss_fn: Callable[[Mapping[str, np.ndarray]], float],
    params: Mapping[str, np.ndarray],
    direction: Mapping[str, np.ndarray],
    alphas,
) -> np.ndarray:
    """``loss_fn(params + alpha * direction)`` for every ``alpha``; ``params`` is not changed.

    >>> p = {"w": np.array([1.0])}
    >>> losses_along(lambda q: float(q["w"][0] ** 2), p, {"w": np.array([1.0])}, [-1, 0, 1])
    array([0., 1., 4.])
    """
    alphas = as_vector(alphas, "alphas")
    if set(direction) != set(params):
        raise ValueError(f"direction has keys {sorted(direction)}, params has {sorted(params)}")
    for k in params:
        if np.shape(direction[k]) != np.shape(params[k]):
            raise ValueError(
                f"direction[{k!r}] has shape {np.shape(direction[k])}, "
                f"expected {np.shape(params[k])}"
            )
    return np.array(
        [
            float(loss_fn({k: np.asarray(params[k]) + a * direction[k] for k in params}))
            for a in alphas
        ]
    )


def loss_along_direction(
    alphas,
    losses_by_label: Mapping[str, np.ndarray],
    ax: plt.Axes | None = None,
    *,
    title: str = "loss along a random filter-normalised direction",
    ylabel: str = "training loss",
) -> plt.Axes:
    """Plot one curve per minimum: the loss at ``params + alpha * direction`` against ``alpha``.

    A flat minimum gives a wide, shallow curve; a sharp one a narrow, steep curve.

    >>> ax = loss_along_direction([-1, 0, 1], {"flat": [0.2, 0.1, 0.2], "sharp": [2, 0.1, 3]})
    >>> [line.get_label() for line in ax.lines], ax.get_xlabel()
    (['flat', 'sharp', 'alpha = 0: the trained parameters'], 'step alpha along the direction')
    """
    alphas = as_vector(alphas, "alphas")
    if not losses_by_label:
        raise ValueError("losses_by_label is empty; give at least one curve")
    ax = _axes(ax, figsize=None)
    for label, losses in losses_by_label.items():
        losses = np.asarray(losses, dtype=np.float64)
        if losses.shape != alphas.shape:
            raise ValueError(
                f"curve {label!r} has shape {losses.shape}, expected {alphas.shape} like alphas"
            )
        ax.plot(alphas, losses, marker=".", label=str(label))
    ax.axvline(0.0, color="grey", lw=0.8, ls=":", label="alpha = 0: the trained parameters")
    ax.set_xlabel("step alpha along the direction")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return ax
