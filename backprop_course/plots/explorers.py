"""Figures of the explorers' results: what :mod:`backprop_course.explore` computes, drawn.

* :func:`plot_descent`: a :func:`~backprop_course.explore.descent` run, its path over the
  surface's contours and its loss per step;
* :func:`plot_training`: a :func:`~backprop_course.explore.train` run, its loss per epoch and
  its decision boundary;
* :func:`plot_backprop_frame`: one :func:`~backprop_course.explore.backprop_frames` frame of a
  backward pass, drawn on the computation graph.

Figures are built without pyplot (:class:`CourseFigure`, a ``matplotlib.figure.Figure`` that
renders itself as a PNG), so nothing is left open: in a notebook, end a cell with the returned
figure to show it exactly once; :func:`figure_png` gives the PNG bytes a widget shows.

>>> from backprop_course import explore
>>> fig = plot_descent(explore.descent("ill_conditioned", lr=0.05, n_steps=40))
>>> figure_png(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import scalar
from ..explore import (
    SURFACES,
    BackpropFrame,
    DescentResult,
    TrainingResult,
    _name,
    _name_and_op,
    _num,
)
from .curves import (
    _scatter_classes,
    contour_plot,
    decision_boundary,
    descent_path,
    loss_curve,
)
from .graphs import draw_computation_graph

__all__ = [
    "EXPLORER_DPI",
    "DescentFrames",
    "plot_descent",
    "plot_training",
    "plot_backprop_frame",
    "ACCUMULATE_COLOUR",
    "figure_png",
    "CourseFigure",
]


#: Resolution of the explorers' pictures: a 9-inch figure is 900 px wide, shown at most 900 px
#: wide (no downscaling on a laptop), its 10 pt text 14 px high (issue 21: 80 dpi was blurry).
EXPLORER_DPI = 100


def figure_png(fig: Figure, dpi: int = EXPLORER_DPI) -> bytes:
    """The figure as PNG bytes (what the widgets put in a ``widgets.Image``).

    >>> from backprop_course.explore import descent
    >>> figure_png(plot_descent(descent(n_steps=3)))[:4]
    b'\\x89PNG'
    """
    if not isinstance(fig, Figure):
        raise ValueError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    buf = io.BytesIO()
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class CourseFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter even if pyplot never ran.

    The course's figure functions build figures without pyplot (so a widget redraw leaves no
    open figure behind); IPython's matplotlib display hook is only installed once pyplot has
    loaded its backend, so these figures carry their own ``_repr_png_``.
    """

    def _repr_png_(self) -> bytes:
        return figure_png(self, dpi=int(self.dpi))


def _new_figure(width: float, height: float, ncols: int = 1):
    # fixed margins: constrained layout costs more than the drawing itself on a widget redraw
    fig = CourseFigure(figsize=(width, height))
    FigureCanvasAgg(fig)
    if ncols > 1:
        axes = fig.subplots(1, ncols)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.28)
    else:
        axes = fig.subplots()
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92)
    return fig, axes


def plot_descent(result: DescentResult) -> Figure:
    """Two panels: the path over the surface's contours, and ``f(w_t) - f_min`` per step (log).

    The window is the surface's own, so a diverging path leaves it (its last point inside is
    marked); the title says whether the run diverged and, for quadratics, the stable bound.

    >>> from backprop_course.explore import descent
    >>> fig = plot_descent(descent("ill_conditioned", lr=0.12, n_steps=30))
    >>> [ax.get_title().split(":")[0] for ax in fig.axes]
    ['ill_conditioned, lr=0.12', 'Loss per step']
    """
    if not isinstance(result, DescentResult):
        raise ValueError(f"result must be a DescentResult from descent(), got {result!r}")
    s = SURFACES[result.surface]
    fig, (ax_path, ax_loss) = _new_figure(9.0, 3.8, ncols=2)
    path = result.path.copy()
    lo = np.array([s.xlim[0], s.ylim[0]])
    hi = np.array([s.xlim[1], s.ylim[1]])
    inside = np.all((path >= lo) & (path <= hi), axis=1)
    if not inside.all():  # keep the first point outside: the line leaves the window towards it
        first_out = int(np.argmin(inside))
        path[first_out + 1 :] = np.nan
    descent_path(
        lambda w: s.f(w) - s.f_min + 1e-3,
        path,
        ax_path,
        xlim=s.xlim,
        ylim=s.ylim,
        levels=18,
        log_levels=True,
        title="",
    )
    status = "DIVERGED" if result.diverged else "converging"
    title = f"{s.name}, lr={result.lr:.3g}: {status}"
    if result.max_stable_lr is not None:
        title += f" (stable below {result.max_stable_lr:.3g})"
    # y=1.0 pins the titles where matplotlib would put them (no ticks or offset text above
    # these axes) without measuring every tick label first: a fifth of a widget redraw
    ax_path.set_title(title, color="red" if result.diverged else "black", fontsize=10, y=1.0)
    gap = result.losses - result.f_min
    with np.errstate(invalid="ignore"):
        gap = np.where(np.isfinite(gap), np.maximum(gap, 1e-16), gap)
    loss_curve(gap, ax_loss, log=True, xlabel="step t", ylabel="f(w_t) - min f", title="")
    ax_loss.set_title(f"Loss per step: final {result.final_loss:.3g}", fontsize=10, y=1.0)
    return fig


def plot_training(result: TrainingResult) -> Figure:
    """Two panels: the loss per epoch and the decision boundary ``p(y=1|x) = 0.5``.

    >>> from backprop_course.explore import train
    >>> fig = plot_training(train("xor", epochs=30, rng=1))
    >>> [ax.get_xlabel() for ax in fig.axes[:2]]
    ['epoch', '$x_1$']
    """
    if not isinstance(result, TrainingResult):
        raise ValueError(f"result must be a TrainingResult from train(), got {result!r}")
    fig, (ax_loss, ax_db) = _new_figure(9.0, 3.8, ncols=2)
    loss_curve(result.loss_history, ax_loss, title="")
    # titles pinned at y=1.0 as in plot_descent; the loss axis may show an offset ("1e271",
    # "+6.9e-1") at its top left, but a centred title this short never reaches it
    if result.diverged:
        ax_loss.set_title(
            f"DIVERGED: training loss ({result.epochs_run} epochs)", color="red", fontsize=10, y=1.0
        )
    else:
        ax_loss.set_title(f"Training loss ({result.epochs_run} epochs)", fontsize=10, y=1.0)
    s = result.settings
    if not np.isfinite(result.loss_history[-1]):  # overflowed: the points, no boundary
        _scatter_classes(ax_db, result.X, result.y, np.unique(result.y))
        ax_db.set_xlabel("$x_1$")
        ax_db.set_ylabel("$x_2$")
        ax_db.set_title("diverged: no decision boundary", color="red", fontsize=10, y=1.0)
        ax_db.legend(loc="best", fontsize="small")
        return fig
    decision_boundary(
        lambda P: result.model.predict_proba(P)[:, 0], result.X, result.y, ax_db, resolution=80
    )
    ax_db.set_title(
        f"{s.dataset}: training accuracy {result.accuracy:.3f} (width {s.hidden_width}, "
        f"{s.activation})",
        fontsize=10,
        y=1.0,
    )
    return fig


#: Border colour of nodes that accumulate a second (third...) contribution in a step.
ACCUMULATE_COLOUR = "#9467bd"


def plot_backprop_frame(root: scalar.Value, frame: BackpropFrame) -> Figure:
    """Draw the graph with the partial gradients of ``frame``; the current node is orange.

    The edges of the current step are orange and labelled with their local derivative
    ``d node / d child``; a box below the graph writes out each
    ``child.grad += local x incoming = product``. Children that accumulate (a second or later
    contribution) have a purple border and are named in the title.

    >>> from backprop_course.explore import backprop_frames, example_graph
    >>> root = example_graph("neuron")
    >>> frames = backprop_frames(root)
    >>> fig = plot_backprop_frame(root, frames[1])
    >>> fig.axes[0].get_title()
    'Step 1/7: node L (**2) sends dL/dL = 1 to its inputs'
    """
    if not isinstance(frame, BackpropFrame):
        raise ValueError(f"frame must be a BackpropFrame, got {type(frame).__name__}")
    if not isinstance(root, scalar.Value):
        raise ValueError(f"root must be a scalar.Value, got {type(root).__name__}")
    nodes, edges = root.trace()
    by_id = {id(v): v for v in nodes}
    if set(frame.grads) != set(by_id):
        raise ValueError("frame does not belong to this graph; use backprop_frames(root)")
    fig, ax = _new_figure(9.0, 4.0)
    step = frame.step
    labels, hot_edges, lines = {}, [], []
    if step is not None:
        slots = [i for i, (_child, p) in enumerate(edges) if p is step.node]
        for i, c in zip(slots, step.contributions, strict=True):
            labels[i] = f"{c.local_grad:.3g}"
            hot_edges.append(edges[i])
            lines.append(
                f"{_name(c.child)}.grad += {_num(c.local_grad)} x {_num(step.upstream)}"
                f" = {_num(c.product)}   ->  {_num(c.child_grad_after)}"
                + ("   (accumulates)" if id(c.child) in frame.accumulated else "")
            )

    def edge_label(c, p, i):
        return labels.get(i)

    grads = {by_id[k]: v for k, v in frame.grads.items()}
    draw_computation_graph(
        (nodes, edges),
        ax,
        highlight=None if step is None else step.node,
        highlight_edges=hot_edges,
        edge_labels=edge_label,
        grads=grads,
        outline={by_id[k]: ACCUMULATE_COLOUR for k in frame.accumulated},
    )
    for t in ax.texts:  # legible on a laptop (issue 21): nodes 9.5 pt, edge labels 10 pt bold
        if t.get_fontsize() < 8:
            t.set_fontsize(10)
            t.set_fontweight("bold")
        else:
            t.set_fontsize(9.5)
    if step is None:
        title = f"Before the backward pass: d{_name(root)}/d{_name(root)} = 1"
    else:
        n_steps = sum(1 for v in nodes if v.children)  # backward_steps: one per non-leaf
        title = (
            f"Step {frame.index}/{n_steps}: node {_name_and_op(step.node)} sends "
            f"d{_name(root)}/d{_name(step.node)} = {step.upstream:.4g} to its inputs"
        )
        acc = [_name(v) for v in nodes if id(v) in frame.accumulated]
        if acc:
            title += f"; {', '.join(acc)} accumulate"
        # room below the graph for the text box and no more: its height in inches (8 pt lines
        # plus padding) as a share of the axes' height, turned into data units
        lo, hi = ax.get_ylim()
        axes_in = ax.get_position().height * fig.get_size_inches()[1]
        text_in = 0.2 * len(lines) + 0.2
        ax.set_ylim(lo - text_in * (hi - lo) / max(axes_in - text_in, 0.5), hi)
        ax.text(
            0.01,
            0.01,
            "\n".join(lines),
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            family="monospace",
            fontsize=10,
            bbox={"boxstyle": "round,pad=0.4", "fc": "#fff7ec", "ec": "#ff7f0e"},
        )
    ax.set_title(title, fontsize=11, y=1.0)  # pinned: see plot_descent
    return fig


# --------------------------------------------------------------------------------------------


def _rgba_png(canvas: FigureCanvasAgg) -> bytes:
    """PNG bytes of what the canvas holds now (zlib's fastest level: a redraw is on a clock)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


class DescentFrames:
    """Pictures of :func:`~backprop_course.explore.descent` runs on one surface, drawn fast.

    The learning-rate explorer redraws on every slider move (issue 21: at most 60 ms from
    release to picture). A profile of :func:`plot_descent` puts most of its time in laying out
    ticks and contours, which do not change with the learning rate; so here the contours, axes
    and ticks are drawn once per surface and number of steps, and each picture restores them
    and draws only the path, the loss curve, their end marks and the titles (Agg blitting).
    The loss axis is fixed (log, ``1e-12 .. 1e6``) so its ticks never move: a diverging loss
    leaves it at the top, with the red "DIVERGED" title and a red ``x`` at the last point
    shown.

    >>> from backprop_course.explore import descent
    >>> frames = DescentFrames("ill_conditioned", n_steps=40)
    >>> frames.png(descent("ill_conditioned", lr=0.2, n_steps=40))[:4]
    b'\\x89PNG'
    >>> frames.title.get_text()
    'ill_conditioned, lr=0.2: DIVERGED (stable below 0.1)'
    """

    LOSS_RANGE = (1e-12, 1e6)

    def __init__(self, surface: str, n_steps: int, dpi: int = EXPLORER_DPI) -> None:
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {surface!r}")
        s = SURFACES[surface]
        self.surface, self.n_steps = surface, int(n_steps)
        fig, (ax_path, ax_loss) = _new_figure(9.0, 3.8, ncols=2)
        fig.set_dpi(dpi)
        self.fig, self.canvas = fig, fig.canvas
        contour_plot(
            lambda w: s.f(w) - s.f_min + 1e-3,
            s.xlim,
            s.ylim,
            ax_path,
            levels=18,
            log_levels=True,
            title="",
        )
        ax_path.plot(*s.start, "o", color="k", ms=6, zorder=5)
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(*self.LOSS_RANGE)
        ax_loss.set_xlim(0, max(self.n_steps, 1))
        ax_loss.set_xlabel("step t")
        ax_loss.set_ylabel("f(w_t) - min f")
        ax_loss.grid(True, which="major", alpha=0.3)

        def dynamic(artist):
            artist.set_animated(True)
            return artist

        self.path = dynamic(ax_path.plot([], [], "o-", ms=3, lw=1.2, color="C0")[0])
        self.loss = dynamic(ax_loss.plot([], [], color="C0", lw=1.5)[0])
        self.ends = [
            dynamic(ax.plot([], [], "x", color="red", ms=10, mew=2, zorder=6)[0])
            for ax in (ax_path, ax_loss)
        ]
        self.title = dynamic(ax_path.set_title(" ", fontsize=10, y=1.0))
        self.loss_title = dynamic(ax_loss.set_title(" ", fontsize=10, y=1.0))
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def png(self, result: DescentResult) -> bytes:
        """PNG bytes of ``result`` (a run on this surface with this many steps)."""
        if not isinstance(result, DescentResult):
            raise ValueError(f"result must be a DescentResult from descent(), got {result!r}")
        if (result.surface, result.n_steps) != (self.surface, self.n_steps):
            raise ValueError(
                f"these frames are for {self.surface!r} with {self.n_steps} steps, got a run "
                f"on {result.surface!r} with {result.n_steps}; make DescentFrames for it"
            )
        s = SURFACES[result.surface]
        path = result.path
        lo = np.array([s.xlim[0], s.ylim[0]])
        hi = np.array([s.xlim[1], s.ylim[1]])
        inside = np.all((path >= lo) & (path <= hi), axis=1)
        end = int(np.argmin(inside)) + 1 if not inside.all() else path.shape[0]
        shown = path[:end]  # up to the first point outside: the line leaves towards it
        self.path.set_data(shown[:, 0], shown[:, 1])
        with np.errstate(invalid="ignore"):
            gap = np.clip(result.losses - result.f_min, *self.LOSS_RANGE)
        finite = np.isfinite(gap)
        last = int(np.argmin(finite)) if not finite.all() else gap.shape[0]
        t = np.arange(last)
        self.loss.set_data(t, gap[:last])
        bad = result.diverged
        q = shown[inside[:end]] if bad else shown[:0]
        self.ends[0].set_data(q[-1:, 0], q[-1:, 1])
        # the loss's end mark where it leaves the axis (or its last finite value)
        top = np.flatnonzero(gap[:last] >= self.LOSS_RANGE[1])
        k = (top[0] if top.size else last - 1) if bad else None
        self.ends[1].set_data([] if k is None else [k], [] if k is None else [gap[k]])
        title = f"{s.name}, lr={result.lr:.3g}: {'DIVERGED' if bad else 'converging'}"
        if result.max_stable_lr is not None:
            title += f" (stable below {result.max_stable_lr:.3g})"
        self.title.set_text(title)
        self.title.set_color("red" if bad else "black")
        self.loss_title.set_text(f"Loss per step: final {result.final_loss:.3g}")
        self.canvas.restore_region(self.background)
        for artist in (self.path, self.loss, *self.ends, self.title, self.loss_title):
            artist.axes.draw_artist(artist)
        return _rgba_png(self.canvas)
