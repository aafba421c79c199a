"""The four gate patterns of the backward pass, drawn from :mod:`backprop_course.scalar`.

A gate that receives the gradient ``g`` from above hands its inputs ``g`` times its local
derivatives, and four gates do it in a way worth remembering:

* **add distributes**: ``z = x + y`` gives both inputs ``g`` (local derivatives 1 and 1);
* **mul swaps**: ``z = x y`` gives ``x`` the gradient ``y g`` and ``y`` the gradient ``x g``;
* **max routes**: ``z = max(x, y)`` gives the larger input ``g`` and the other 0 (ReLU is
  ``max(s, 0)``: a router that passes ``g`` when ``s > 0`` and blocks it otherwise);
* **a fork sums**: a value used twice gets the *sum* of the gradients its uses send back.

:func:`gate_patterns` computes the numbers with ``scalar.Value`` (no formula is typed in
twice); :func:`draw_gate_patterns` draws them, forward values above each wire and gradients
below it.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> pats = gate_patterns(x=3.0, y=-1.0, upstream=2.0, second=-0.5)
>>> [(p.name, p.grads) for p in pats]
[('add', (2.0, 2.0)), ('mul', (-2.0, 6.0)), ('max', (2.0, 0.0)), ('fork', (1.5,))]
>>> len(draw_gate_patterns().axes)
4
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..scalar import Value

__all__ = ["GatePattern", "gate_patterns", "draw_gate_patterns"]

_FORWARD = "#1f1f1f"
_BACKWARD = "#d35400"  # the orange of a backward step in draw_computation_graph, darker


class GatePattern(NamedTuple):
    """One gate: its inputs' names and values, output, upstream gradients and input gradients.

    For ``fork`` the single input ``x`` feeds two uses; ``upstream`` holds the two gradients
    they send back and ``grads`` the one gradient of ``x``, their sum.
    """

    name: str
    title: str
    symbol: str
    inputs: tuple[tuple[str, float], ...]
    output: float
    upstream: tuple[float, ...]
    grads: tuple[float, ...]
    rule: str


def _real(v, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(float(v)):
        raise ValueError(f"{what} must be a finite real number, got {v!r}")
    return float(v)


def _through(gate: Value, upstream: float) -> None:
    """Backward from ``gate`` as if the node above it had sent ``upstream``."""
    root = gate * upstream  # d root / d gate = upstream
    root.backward()


def gate_patterns(
    x: float = 3.0, y: float = -1.0, upstream: float = 2.0, second: float = -0.5
) -> list[GatePattern]:
    """The gradients that add, mul, max and a fork hand back, computed by ``scalar.Value``.

    Parameters
    ----------
    x, y : the gate's inputs (finite, ``x != y`` so that max has a winner)
    upstream : the gradient ``g = dL/dz`` arriving at each gate's output
    second : for the fork, the gradient the second use of ``x`` sends back (the first sends
        ``upstream``)

    Returns
    -------
    list of :class:`GatePattern`: ``add``, ``mul``, ``max``, ``fork``, in that order.

    >>> [p.grads for p in gate_patterns(x=1.0, y=4.0, upstream=-1.0, second=3.0)]
    [(-1.0, -1.0), (-4.0, -1.0), (0.0, -1.0), (2.0,)]
    """
    x, y = _real(x, "x"), _real(y, "y")
    g, g2 = _real(upstream, "upstream"), _real(second, "second")
    if x == y:
        raise ValueError(f"x and y must differ so that max has a winner, got x = y = {x:g}")
    out = []
    for name, title, symbol, op in (
        ("add", "add distributes", "+", lambda a, b: a + b),
        ("mul", "mul swaps", "×", lambda a, b: a * b),
        ("max", "max routes", "max", lambda a, b: a.maximum(b)),
    ):
        a, b = Value(x, "x"), Value(y, "y")
        z = op(a, b)
        _through(z, g)
        rule = {
            "add": f"both get g = {g:g}",
            "mul": f"x gets y·g = {a.grad:g}, y gets x·g = {b.grad:g}",
            "max": f"{'x' if x > y else 'y'} (the larger) gets g, the other 0",
        }[name]
        out.append(
            GatePattern(
                name, title, symbol, (("x", x), ("y", y)), z.data, (g,), (a.grad, b.grad), rule
            )
        )
    a = Value(x, "x")
    use1, use2 = a * 1.0, a * 1.0  # two uses of the same x
    root = use1 * g + use2 * g2
    root.backward()
    out.append(
        GatePattern(
            "fork",
            "a fork sums",
            "",
            (("x", x),),
            x,
            (g, g2),
            (a.grad,),
            f"x gets g1 + g2 = {a.grad:g}",
        )
    )
    return out


def _wire(ax, start, end, above: str, below: str) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": "#555555",
            "lw": 1.4,
            "shrinkA": 14,
            "shrinkB": 16,
        },
    )
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    ax.text(mx, my + 0.13, above, ha="center", va="bottom", fontsize=11, color=_FORWARD)
    ax.text(
        mx, my - 0.13, below, ha="center", va="top", fontsize=11, color=_BACKWARD, fontweight="bold"
    )


def _draw_one(ax, p: GatePattern) -> None:
    if p.name == "fork":
        ((name, value),) = p.inputs
        ax.text(
            0.0,
            0.0,
            name,
            ha="center",
            va="center",
            fontsize=13,
            bbox={"boxstyle": "circle", "fc": "#e8f1e4", "ec": "#555555"},
        )
        for k, (yy, gk) in enumerate(zip((0.7, -0.7), p.upstream, strict=True)):
            _wire(ax, (0.0, 0.0), (2.0, yy), f"{value:g}", f"g{k + 1} = {gk:g}")
            ax.text(2.2, yy, f"use {k + 1}", ha="left", va="center", fontsize=10)
        ax.text(
            0.0,
            -0.45,
            f"grad {p.grads[0]:g}",
            ha="center",
            va="top",
            fontsize=11,
            color=_BACKWARD,
            fontweight="bold",
        )
    else:
        for (name, value), gk, yy in zip(p.inputs, p.grads, (0.7, -0.7), strict=True):
            ax.text(
                0.0,
                yy,
                name,
                ha="center",
                va="center",
                fontsize=13,
                bbox={"boxstyle": "circle", "fc": "#e8f1e4", "ec": "#555555"},
            )
            _wire(ax, (0.0, yy), (1.4, 0.0), f"{value:g}", f"{gk:g}")
        ax.text(
            1.4,
            0.0,
            p.symbol,
            ha="center",
            va="center",
            fontsize=13 if len(p.symbol) == 1 else 10,
            bbox={"boxstyle": "circle,pad=0.4", "fc": "#f4f6fb", "ec": "#555555"},
        )
        _wire(ax, (1.4, 0.0), (2.7, 0.0), f"{p.output:g}", f"g = {p.upstream[0]:g}")
    ax.set_title(p.title, fontsize=13)
    ax.text(1.35, -1.35, p.rule, ha="center", va="center", fontsize=10.5)
    ax.set_xlim(-0.5, 3.1)
    ax.set_ylim(-1.6, 1.2)
    ax.set_axis_off()


def draw_gate_patterns(
    x: float = 3.0, y: float = -1.0, upstream: float = 2.0, second: float = -0.5
) -> Figure:
    """Four panels: add distributes, mul swaps, max routes, a fork sums.

    Each wire shows its forward value above it (black) and the gradient flowing back along it
    below it (orange, bold); a gate's output wire receives ``g = upstream``. Arguments as for
    :func:`gate_patterns`, which computes every number drawn.

    Returns
    -------
    matplotlib Figure with four Axes, titled by the pattern.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> [ax.get_title() for ax in draw_gate_patterns().axes]
    ['add distributes', 'mul swaps', 'max routes', 'a fork sums']
    """
    patterns = gate_patterns(x, y, upstream, second)
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    for ax, p in zip(axes, patterns, strict=True):
        _draw_one(ax, p)
    fig.suptitle(
        "above each wire: its forward value;  below it, in orange: the gradient flowing back",
        fontsize=11,
        y=0.99,
    )
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.82, wspace=0.08)
    return fig
