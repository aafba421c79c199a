"""Figures of deep networks at initialisation (lecture 8): gradient norms per layer on a log
scale, histograms of activations or gradients layer by layer, and a map of dead ReLU units.

Each function draws what :mod:`backprop_course.depth` measured, takes ``ax=None`` (a new
figure when None), labels its axes and returns the Axes.

>>> from backprop_course import depth
>>> s = depth.layer_statistics(*depth.deep_net("relu", "he", depth=3, width=8, rng=0), "relu")
>>> ax = gradient_norms({"ReLU, He": s})
>>> ax.get_yscale()
'log'
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from .._validate import as_matrix
from ..depth import LayerStats, dead_units
from .curves import _axes

__all__ = ["gradient_norms", "layer_histograms", "dead_units_map"]


def _stats(value, name: str) -> LayerStats:
    if not isinstance(value, LayerStats):
        raise ValueError(
            f"{name} must be a LayerStats from depth.layer_statistics, got {type(value).__name__}"
        )
    return value


def gradient_norms(
    runs: Mapping[str, LayerStats], ax: Axes | None = None, title: str | None = None
) -> Axes:
    """``||dW_l||`` against the layer ``l = 1..L``, one line per run, on a log scale.

    A line that falls towards layer 1 is a vanishing gradient: the first layers learn
    orders of magnitude more slowly than the last. A level line is a healthy net.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty dict {label: LayerStats}")
    ax = _axes(ax, figsize=(6.0, 4.0))
    for label, stats in runs.items():
        g = _stats(stats, f"runs[{label!r}]").grad_norm
        layers = np.arange(1, g.size + 1)
        if np.any(g <= 0):  # a dead layer has a zero gradient: nothing to draw on a log axis
            ax.plot(layers[g > 0], g[g > 0], marker="o", label=f"{label} (zero in some layers)")
        else:
            ax.plot(layers, g, marker="o", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("weight layer l (1 = next to the input)")
    ax.set_ylabel("gradient norm ||dW_l||")
    ax.set_xticks(np.arange(1, max(s.grad_norm.size for s in runs.values()) + 1))
    ax.set_title(title or "gradient norm per layer at initialisation")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return ax


def layer_histograms(
    stats: LayerStats,
    kind: str = "activations",
    ax: Axes | None = None,
    title: str | None = None,
    bins: int = 60,
) -> Axes:
    """One histogram per layer (a line, darker = deeper) of the activations ``A_l`` or the
    weight gradients ``dW_l``, with each layer's standard deviation in the legend.

    Activations that pile up at 0 have collapsed; at +-1 (tanh) or 0 and 1 (sigmoid) they
    have saturated. Gradients whose histogram narrows layer by layer are vanishing.
    """
    stats = _stats(stats, "stats")
    if kind not in ("activations", "gradients"):
        raise ValueError(f"kind must be 'activations' or 'gradients', got {kind!r}")
    arrays = stats.activations if kind == "activations" else stats.weight_grads
    ax = _axes(ax, figsize=(6.0, 4.0))
    values = np.concatenate([a.ravel() for a in arrays])
    top = float(np.max(np.abs(values))) or 1.0
    edges = np.linspace(-top, top, bins + 1)
    if kind == "activations" and stats.hidden in ("relu", "sigmoid"):
        edges = np.linspace(min(0.0, float(values.min())), top, bins + 1)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(arrays)))
    for l, (a, colour) in enumerate(zip(arrays, colours, strict=True), start=1):
        counts, _ = np.histogram(a.ravel(), bins=edges)
        share = counts / a.size
        ax.stairs(share, edges, color=colour, label=f"layer {l}: std {a.std():.2g}")
    ax.set_xlabel("A_l entries" if kind == "activations" else "dW_l entries")
    ax.set_ylabel("fraction of entries")
    ax.set_title(title or f"{kind} layer by layer ({stats.hidden})")
    ax.legend(fontsize=7, ncol=2 if len(arrays) > 6 else 1)
    return ax


def dead_units_map(A: np.ndarray, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Which unit fires for which example: ``A[k, j] > 0`` drawn white, ``<= 0`` black.

    Columns are units, rows examples. A dead unit is a black column (0 for every example),
    marked with a red tick above it; its incoming weights get a zero gradient.
    """
    A = as_matrix(A, "A")
    dead = dead_units(A)
    ax = _axes(ax, figsize=(6.0, 3.0))
    ax.imshow(A > 0, cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    cols = np.flatnonzero(dead)
    # the marks sit in a strip above row 0, inside the axes (an artist drawn outside them
    # would make tight_layout shrink the axes)
    ax.plot(cols, np.full(cols.size, -0.02 * A.shape[0]), "v", color="red", markersize=4)
    ax.set_ylim(A.shape[0] - 0.5, -0.04 * A.shape[0] - 0.5)
    ax.set_xlabel("unit j")
    ax.set_ylabel("example k")
    ax.set_title(title or f"{dead.sum()} of {dead.size} units dead (red: never > 0)")
    return ax
