"""Curves for the lectures: decision boundaries, loss curves, descent paths, complexity plots.

Every function draws on ``ax`` (a new figure and Axes when ``ax`` is None), labels its axes,
gives it a title, and returns the Axes, so figures compose with ``plt.subplots``::

    fig, (left, right) = plt.subplots(1, 2)
    decision_boundary(model.predict, X, y, ax=left)
    loss_curve(model.loss_history_, ax=right, log=True)

Bad input (wrong shapes, NaN in the data, unknown options) raises ``ValueError`` saying what
was expected. Nothing the caller passes is modified.

>>> import numpy as np
>>> ax = loss_curve([1.0, 0.5, 0.25], log=True)
>>> ax.get_yscale(), ax.get_ylabel()
('log', 'loss')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.ticker import NullFormatter

from .._validate import as_matrix, as_vector, check_count

__all__ = [
    "decision_boundary",
    "linear_boundaries",
    "loss_curve",
    "descent_path",
    "contour_plot",
    "complexity_plot",
    "loglog_slope",
    "curves_plot",
    "SIGNED_CMAP",
    "signed_color",
]

# one colour per class, the same in the points and (lighter) in the filled regions
CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")

#: The course's one colour convention for signed quantities (weights, backward messages, a
#: network's output): negative is blue, zero is white, positive is red, as the classes -1/0
#: (blue) and +1 (red) are drawn. Every figure of a sign uses it with limits symmetric about 0.
SIGNED_CMAP = "RdBu_r"


def signed_color(value: float, vmax: float) -> tuple[float, float, float, float]:
    """The RGBA colour of ``value`` on :data:`SIGNED_CMAP`, for values in ``[-vmax, vmax]``.

    >>> bool(signed_color(-1.0, 1.0)[2] > signed_color(-1.0, 1.0)[0])  # negative: blue
    True
    >>> signed_color(2.0, 1.0) == signed_color(1.0, 1.0)  # clipped at +vmax: red
    True
    """
    vmax = float(vmax) if np.isfinite(vmax) and vmax > 0 else 1.0
    return plt.get_cmap(SIGNED_CMAP)(0.5 + 0.5 * float(np.clip(value / vmax, -1.0, 1.0)))


def _axes(ax: Axes | None, figsize=(5.0, 4.0)) -> Axes:
    """``ax`` checked, or a new figure's Axes when None (``figsize=None``: matplotlib's default)."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _points_and_labels(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = as_matrix(X, "X")
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns (points in the plane), got shape {X.shape}")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got shape {y.shape}")
    if y.dtype == object or not np.issubdtype(y.dtype, np.number) or not np.isfinite(y).all():
        raise ValueError("y must contain finite numeric class labels (e.g. -1/+1 or 0/1)")
    classes = np.unique(y)
    if len(classes) > len(CLASS_COLORS):
        raise ValueError(
            f"y has {len(classes)} distinct labels; "
            f"at most {len(CLASS_COLORS)} classes can be drawn"
        )
    return X, y, classes


def _label_text(c, signed: bool) -> str:
    c = float(c)
    if c == int(c):
        return f"y = {int(c):+d}" if signed else f"y = {int(c)}"
    return f"y = {c:g}"


def _scatter_classes(ax: Axes, X, y, classes, *, s=18) -> None:
    signed = bool((classes < 0).any())  # -1/+1 labels read as "y = -1", "y = +1"
    for k, c in enumerate(classes):
        mask = y == c
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=s,
            color=CLASS_COLORS[k],
            edgecolors="white",
            linewidths=0.5,
            label=_label_text(c, signed),
            zorder=3,
        )


def _grid(X, margin: float, resolution: int, xlim=None, ylim=None):
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    x0, x1 = (lo[0], hi[0]) if xlim is None else _limits(xlim, "xlim")
    y0, y1 = (lo[1], hi[1]) if ylim is None else _limits(ylim, "ylim")
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    return gx, gy


def _limits(lim, name: str) -> tuple[float, float]:
    lim = as_vector(lim, name, length=2)
    if not lim[0] < lim[1]:
        raise ValueError(f"{name} must be (low, high) with low < high, got {lim.tolist()}")
    return float(lim[0]), float(lim[1])


def decision_boundary(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    *,
    threshold: float | None = None,
    resolution: int = 200,
    margin: float = 0.5,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    title: str = "Decision boundary",
) -> Axes:
    """Fill the plane by the classifier's output and draw the labelled points on top.

    Parameters
    ----------
    predict_fn : callable ``(m, 2) -> (m,)`` (or ``(m, 1)``): predicted labels (-1/+1, 0/1 or
        class indices), probabilities, or scores, evaluated on a ``resolution x resolution`` grid.
    X : array ``(n, 2)``; y : array ``(n,)`` of class labels (any label set, e.g. -1/+1 or 0/1).
    threshold : level of ``predict_fn`` drawn as the boundary line. Default: midway between the
        two labels of ``y`` (0 for -1/+1, 0.5 for 0/1); with more classes, no line is drawn
        unless given (the filled regions already show the boundaries).
    margin : room around the data when ``xlim``/``ylim`` are not given.

    Returns
    -------
    ax : the Axes, with filled regions (``ax.collections``), one scatter per class and a legend.

    >>> import numpy as np
    >>> X = np.array([[-1.0, 0.0], [1.0, 0.0]]); y = np.array([-1, 1])
    >>> ax = decision_boundary(lambda P: np.sign(P[:, 0]), X, y, resolution=20)
    >>> sorted(t.get_text() for t in ax.get_legend().get_texts())
    ['y = +1', 'y = -1']
    """
    X, y, classes = _points_and_labels(X, y)
    resolution = check_count(resolution, "resolution", minimum=2)
    margin = float(margin)
    if not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if not callable(predict_fn):
        raise ValueError(f"predict_fn must be callable (m, 2) -> (m,), got {predict_fn!r}")
    ax = _axes(ax)
    gx, gy = _grid(X, margin, resolution, xlim, ylim)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    Z = np.asarray(predict_fn(grid), dtype=np.float64)
    if Z.ndim == 2 and Z.shape[1] == 1:
        Z = Z[:, 0]
    if Z.shape != (grid.shape[0],):
        raise ValueError(
            f"predict_fn must return one value per grid point, shape ({grid.shape[0]},), "
            f"got shape {Z.shape}"
        )
    if not np.isfinite(Z).all():
        raise ValueError("predict_fn returned NaN or infinity on the plotting grid")
    Z = Z.reshape(gx.shape)

    cmap = ListedColormap([CLASS_COLORS[k] for k in range(len(classes))])
    discrete = np.isin(Z, classes).all()
    if discrete or len(classes) > 2:
        # regions by predicted class: boundaries sit midway between consecutive labels
        mids = (classes[:-1] + classes[1:]) / 2
        levels = np.r_[min(Z.min(), classes[0]) - 1, mids, max(Z.max(), classes[-1]) + 1]
        ax.contourf(gx, gy, Z, levels=levels, cmap=cmap, alpha=0.25)
    else:
        lo, hi = min(Z.min(), classes[0]), max(Z.max(), classes[-1])
        ax.contourf(gx, gy, Z, levels=np.linspace(lo, hi, 21), cmap=SIGNED_CMAP, alpha=0.35)
    if threshold is None and len(classes) == 2:
        threshold = float(classes.mean())
    if threshold is not None and Z.min() < threshold < Z.max():
        ax.contour(gx, gy, Z, levels=[float(threshold)], colors="k", linewidths=1.5)
    _scatter_classes(ax, X, y, classes)
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def linear_boundaries(
    X: np.ndarray,
    y: np.ndarray,
    weights: Sequence[tuple[np.ndarray, float]],
    ax: Axes | None = None,
    *,
    labels: Sequence[str] | None = None,
    margin: float = 0.5,
    title: str = "Separating lines",
) -> Axes:
    """Draw the points and the lines ``w^T x + b = 0`` for a sequence of ``(w, b)``.

    Earlier lines are paler, the last is black, so a sequence of perceptron updates shows the
    boundary moving. An arrow from the last line's point nearest the origin shows ``w``, the
    side where ``w^T x + b > 0`` (predicted +1).

    Parameters
    ----------
    X : array ``(n, 2)``; y : array ``(n,)`` labels.
    weights : sequence of ``(w, b)`` with ``w`` of shape ``(2,)`` (not all zero) and ``b`` a number.
    labels : optional legend text, one per line.

    >>> import numpy as np
    >>> X = np.array([[-1.0, 0.0], [1.0, 0.0]]); y = np.array([-1, 1])
    >>> ax = linear_boundaries(X, y, [(np.array([1.0, 0.0]), 0.0)], labels=["w = (1, 0)"])
    >>> len(ax.lines)
    1
    """
    X, y, classes = _points_and_labels(X, y)
    weights = list(weights)
    if not weights:
        raise ValueError("weights must contain at least one (w, b) pair")
    if labels is not None and len(labels) != len(weights):
        raise ValueError(f"labels has {len(labels)} entries for {len(weights)} (w, b) pairs")
    ax = _axes(ax)
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    t = np.linspace(-1.0, 1.0, 2) * 2 * float(np.abs(np.r_[lo, hi]).max() + 1)
    n = len(weights)
    for k, pair in enumerate(weights):
        try:
            w, b = pair
        except (TypeError, ValueError):
            raise ValueError(f"weights[{k}] must be a pair (w, b), got {pair!r}") from None
        w = as_vector(w, f"weights[{k}][0]", length=2)
        b = float(b)
        norm = np.linalg.norm(w)
        if norm == 0:
            raise ValueError(f"weights[{k}] has w = 0, which defines no line")
        p0 = -b * w / norm**2  # the point of the line nearest the origin
        direction = np.array([-w[1], w[0]]) / norm
        line = p0 + t[:, None] * direction
        last = k == n - 1
        shade = 0.85 - 0.6 * k / max(n - 1, 1)
        ax.plot(
            line[:, 0],
            line[:, 1],
            color="k" if last else str(shade),
            lw=2 if last else 1,
            label=None if labels is None else labels[k],
        )
        if last:
            ax.annotate(
                "",
                xy=p0 + 0.8 * w / norm,
                xytext=p0,
                arrowprops={"arrowstyle": "->", "color": "k", "lw": 1.5},
            )
    _scatter_classes(ax, X, y, classes)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def _series(values, name: str) -> dict[str, np.ndarray]:
    """A mapping name -> 1-D float array (NaN/inf allowed: they mark divergence)."""
    if isinstance(values, Mapping):
        items = list(values.items())
        if not items:
            raise ValueError(f"{name} is an empty mapping; give at least one series")
    else:
        items = [(None, values)]
    out = {}
    for key, v in items:
        arr = np.asarray(v)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"{name} must be numbers, got dtype {arr.dtype}")
        if arr.ndim != 1 or arr.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {arr.shape}")
        out[key] = arr.astype(np.float64)
    return out


def _mark_diverged(ax: Axes, x: float, y: float) -> None:
    """A red ``x`` and "diverged" at the last finite point of a curve or path."""
    ax.plot(x, y, "x", color="red", ms=10, mew=2, zorder=4)
    ax.annotate("diverged", (x, y), textcoords="offset points", xytext=(4, 4), color="red")


def loss_curve(
    losses: Sequence[float] | np.ndarray | Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    *,
    log: bool = False,
    xlabel: str = "epoch",
    ylabel: str = "loss",
    title: str = "Training loss",
    label: str | None = None,
) -> Axes:
    """Plot a loss history (or several, given as ``{label: losses}``) and mark divergence.

    A non-finite entry (NaN or infinity, as ``MLP.fit`` or ``gradient_descent`` leave after
    divergence) ends the curve: a red ``x`` and the text "diverged" mark the last finite value.

    Parameters
    ----------
    losses : array ``(T,)`` or mapping ``label -> (T_k,)``; the x axis is the index 0..T-1.
    log : log-scale y axis; the finite losses must then be > 0.

    >>> import numpy as np
    >>> ax = loss_curve({"lr 0.1": [1.0, 0.5], "lr 9": [1.0, 8.0, np.inf]})
    >>> [t.get_text() for t in ax.texts]
    ['diverged']
    """
    series = _series(losses, "losses")
    if label is not None:
        if len(series) != 1 or None not in series:
            raise ValueError("label applies to a single series; use a mapping for several")
        series = {label: series[None]}
    ax = _axes(ax)
    for key, arr in series.items():
        finite = np.isfinite(arr)
        if log and (arr[finite] <= 0).any():
            raise ValueError(f"log=True needs positive losses, got {arr[finite].min():g}")
        bad = np.flatnonzero(~finite)
        end = bad[0] if bad.size else arr.shape[0]
        steps = np.arange(end)
        ax.plot(steps, arr[:end], label=key)
        if bad.size:
            if end == 0:
                raise ValueError(f"losses{'' if key is None else f'[{key!r}]'} starts non-finite")
            _mark_diverged(ax, end - 1, arr[end - 1])
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if any(k is not None for k in series):
        ax.legend(loc="best", fontsize="small")
    return ax


def _evaluate_surface(f: Callable, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """``f`` on a grid: first as ``f(stack([gx, gy]))`` (vectorised), else point by point."""
    try:
        with np.errstate(all="ignore"):
            Z = np.asarray(f(np.stack([gx, gy])), dtype=np.float64)
        if Z.shape == gx.shape:
            return Z
    except Exception:  # noqa: BLE001 - fall back to calling f on one point at a time
        pass
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    Z = np.array([float(f(p)) for p in pts]).reshape(gx.shape)
    return Z


def contour_plot(
    f: Callable[[np.ndarray], float],
    xlim: Sequence[float],
    ylim: Sequence[float],
    ax: Axes | None = None,
    *,
    levels: int = 25,
    log_levels: bool = False,
    resolution: int = 150,
    xlabel: str = "$w_1$",
    ylabel: str = "$w_2$",
    title: str = "Contours of $f$",
) -> Axes:
    """Contour lines of a function of two variables over ``xlim x ylim``.

    ``f`` receives a point ``w`` of shape ``(2,)``; for speed it is first tried on the whole grid
    at once as ``f(np.stack([W1, W2]))`` (so ``lambda w: w[0]**2 + 10 * w[1]**2`` is evaluated in
    one call) and called point by point if that does not give one value per grid point.

    Parameters
    ----------
    log_levels : space the levels geometrically (for functions spanning decades; needs f > 0
        somewhere on the grid).

    >>> ax = contour_plot(lambda w: w[0] ** 2 + w[1] ** 2, (-1, 1), (-1, 1), resolution=20)
    >>> ax.get_xlabel()
    '$w_1$'
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {f!r}")
    x0, x1 = _limits(xlim, "xlim")
    y0, y1 = _limits(ylim, "ylim")
    levels = check_count(levels, "levels", minimum=2)
    resolution = check_count(resolution, "resolution", minimum=2)
    ax = _axes(ax)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    Z = _evaluate_surface(f, gx, gy)
    finite = np.isfinite(Z)
    if not finite.any():
        raise ValueError("f is NaN or infinite everywhere on the grid")
    lo, hi = Z[finite].min(), Z[finite].max()
    if log_levels:
        pos = Z[finite & (Z > 0)]
        if pos.size == 0:
            raise ValueError("log_levels=True needs f > 0 somewhere on the grid")
        lv = np.geomspace(max(pos.min(), hi * 1e-6), hi, levels)
    else:
        lv = np.linspace(lo, hi, levels)
    lv = np.unique(lv)
    if lv.size < 2:
        lv = np.array([lo - 1, lo + 1])
    ax.contour(gx, gy, Z, levels=lv, cmap="viridis", linewidths=0.8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def descent_path(
    f: Callable[[np.ndarray], float],
    path: np.ndarray | Mapping[str, np.ndarray],
    ax: Axes | None = None,
    *,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    margin: float = 0.5,
    levels: int = 25,
    log_levels: bool = False,
    title: str = "Gradient descent path",
) -> Axes:
    """Draw gradient-descent iterates over the contours of a function of two weights.

    Parameters
    ----------
    f : callable ``(2,) -> float`` (see :func:`contour_plot` for how it is evaluated).
    path : array ``(T + 1, 2)``, as returned by ``optim.gradient_descent``, or a mapping
        ``label -> path`` to compare several runs. Rows of NaN (divergence) end a path; its last
        finite point is then marked with a red ``x`` and "diverged".
    xlim, ylim : plotting window; by default the finite points of all paths plus ``margin``.

    Returns
    -------
    ax : the Axes; each path is one line with markers (``ax.lines``), the start a black dot.

    >>> import numpy as np
    >>> from backprop_course.optim import gradient_descent
    >>> p = gradient_descent(lambda w: 2 * w, np.array([1.0, 1.0]), lr=0.25, n_steps=5)
    >>> ax = descent_path(lambda w: w[0] ** 2 + w[1] ** 2, p)
    >>> ax.get_title()
    'Gradient descent path'
    """
    if isinstance(path, Mapping):
        if not path:
            raise ValueError("path is an empty mapping; give at least one path")
        paths = {str(k): np.asarray(v, dtype=np.float64) for k, v in path.items()}
    else:
        paths = {None: np.asarray(path, dtype=np.float64)}
    finite_pts = []
    for key, p in paths.items():
        name = "path" if key is None else f"path[{key!r}]"
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
            raise ValueError(f"{name} must have shape (T + 1, 2), got shape {p.shape}")
        ok = np.isfinite(p).all(axis=1)
        if not ok[0]:
            raise ValueError(f"{name} must start at a finite point, got {p[0].tolist()}")
        finite_pts.append(p[ok])
    pts = np.vstack(finite_pts)
    margin = float(margin)
    if xlim is None or ylim is None:
        lo = pts.min(axis=0) - margin
        hi = pts.max(axis=0) + margin
        xlim = (lo[0], hi[0]) if xlim is None else xlim
        ylim = (lo[1], hi[1]) if ylim is None else ylim
    ax = contour_plot(
        f, xlim, ylim, ax, levels=levels, log_levels=log_levels, title=title, resolution=150
    )
    for key, p in paths.items():
        ok = np.isfinite(p).all(axis=1)
        end = int(np.argmin(ok)) if not ok.all() else p.shape[0]
        q = p[:end]
        ax.plot(q[:, 0], q[:, 1], "o-", ms=3, lw=1.2, label=key)
        if end < p.shape[0]:
            _mark_diverged(ax, q[-1, 0], q[-1, 1])
    starts = np.array([p[0] for p in paths.values()])
    ax.plot(starts[:, 0], starts[:, 1], "o", color="k", ms=6, zorder=5, label="start")
    ax.legend(loc="best", fontsize="small")
    return ax


def loglog_slope(sizes: Sequence[float], costs: Sequence[float]) -> float:
    """Least-squares slope of ``log(cost)`` against ``log(size)``: the ``p`` in ``cost ~ size^p``.

    >>> round(loglog_slope([1, 2, 4, 8], [3, 12, 48, 192]), 6)
    2.0
    """
    sizes = as_vector(sizes, "sizes")
    costs = as_vector(costs, "costs", length=sizes.shape[0])
    if sizes.shape[0] < 2 or np.unique(sizes).size < 2:
        raise ValueError("a slope needs at least two different sizes")
    if (sizes <= 0).any() or (costs <= 0).any():
        raise ValueError("sizes and costs must be > 0 on a log-log plot")
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def complexity_plot(
    sizes: Sequence[float],
    costs_by_method: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    *,
    xlabel: str = "number of weights $E$",
    ylabel: str = "cost",
    title: str = "Cost as the network grows",
) -> Axes:
    """Log-log plot of cost against size for each method, with the fitted slope in the legend.

    On log-log axes ``cost = c * size^p`` is a straight line of slope ``p``; the legend reads
    e.g. "naive (slope 2.00)". Use it for exact operation counts and for timings alike.

    Parameters
    ----------
    sizes : array ``(k,)`` of positive sizes (k >= 2).
    costs_by_method : mapping ``method -> (k,)`` of positive costs at those sizes.

    >>> ax = complexity_plot([1, 2, 4], {"naive": [1, 4, 16], "backprop": [2, 4, 8]})
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['naive (slope 2.00)', 'backprop (slope 1.00)']
    """
    if not isinstance(costs_by_method, Mapping) or not costs_by_method:
        raise ValueError("costs_by_method must be a non-empty mapping method -> costs")
    sizes_arr = as_vector(sizes, "sizes")
    slopes = {m: loglog_slope(sizes_arr, c) for m, c in costs_by_method.items()}
    ax = _axes(ax)
    for m, c in costs_by_method.items():
        ax.plot(sizes_arr, np.asarray(c, float), "o-", label=f"{m} (slope {slopes[m]:.2f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short ranges
    ticks = np.unique(sizes_arr)
    if ticks.size <= 12 and np.all(ticks == np.round(ticks)):  # label the measured sizes
        ax.set_xticks(ticks, labels=[f"{int(t):,}" for t in ticks])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return ax


def curves_plot(
    x: Sequence[float],
    ys: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    *,
    xlabel: str = "x",
    ylabel: str = "y",
    title: str = "",
    logy: bool = False,
) -> Axes:
    """Several labelled curves over a common ``x`` (e.g. a loss along a line through weight space).

    >>> ax = curves_plot([0, 1, 2], {"linear": [1, 0, 1]}, xlabel="t", ylabel="loss", title="t")
    >>> ax.get_legend().get_texts()[0].get_text()
    'linear'
    """
    x = as_vector(x, "x")
    if not isinstance(ys, Mapping) or not ys:
        raise ValueError("ys must be a non-empty mapping label -> values")
    ax = _axes(ax)
    for k, v in ys.items():
        v = as_vector(v, f"ys[{k!r}]", length=x.shape[0])
        if logy and (v <= 0).any():
            raise ValueError(f"logy=True needs positive values, ys[{k!r}] has {v.min():g}")
        ax.plot(x, v, label=k)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax
