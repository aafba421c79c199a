"""Drawings of computation graphs and layered networks, with matplotlib only.

No graphviz binary is needed: nodes are placed by a small layered layout (inputs on the left,
the output on the right, each node one column after its deepest input, nodes in a column sorted
by the average height of their neighbours so edges cross less).

``draw_computation_graph`` draws a :mod:`backprop_course.scalar` graph: every node shows its
operation, its value (forward pass) and, after ``backward()``, its gradient ``dL/dnode``.
``draw_network`` draws a fully connected network ``[d_0, d_1, ..., d_L]``; given parameters, each
weight ``w_ij`` (from unit ``i`` to unit ``j``, our ``W_l[i, j]``) is an edge whose width grows
with ``|w_ij|`` and whose colour shows its sign.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> ax = draw_network([2, 3, 1])
>>> len(ax.lines)  # 2*3 + 3*1 connections
9
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Integral

import numpy as np
from matplotlib.axes import Axes

from .curves import _axes, signed_color

__all__ = ["draw_computation_graph", "draw_network", "graph_layout"]

_HIGHLIGHT = "#ff7f0e"
_FANOUT = "#2ca02c"
_NODE_FACE = "#f4f6fb"
_INPUT_FACE = "#e8f1e4"
#: Text sizes (points) of a node's box and of an edge label: legible on a laptop screen when a
#: 9-inch-wide figure is shown at its natural size (issue 21).
NODE_FONTSIZE = 11.0
EDGE_FONTSIZE = 10.5


def _trace(root_or_trace) -> tuple[list, list]:
    """Return ``(nodes, edges)``: nodes in topological order (inputs first), edges (child, parent).

    Accepts a node with a ``.trace()`` method, a ``(nodes, edges)`` pair, or any node with
    ``.children``, which is then walked here.
    """
    obj = root_or_trace
    if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], list | tuple):
        nodes, edges = list(obj[0]), [tuple(e) for e in obj[1]]
    elif hasattr(obj, "trace") and callable(obj.trace):
        nodes, edges = obj.trace()
        nodes, edges = list(nodes), [tuple(e) for e in edges]
    elif hasattr(obj, "children") and hasattr(obj, "data"):
        nodes, edges, seen = [], [], set()

        def visit(v):
            if id(v) in seen:
                return
            seen.add(id(v))
            for c in v.children:
                visit(c)
                edges.append((c, v))
            nodes.append(v)

        visit(obj)
    else:
        raise ValueError(
            "root_or_trace must be a scalar.Value (with .trace() or .children) or a "
            f"(nodes, edges) pair, got {type(obj).__name__}"
        )
    if not nodes:
        raise ValueError("the graph has no nodes")
    ids = {id(v) for v in nodes}
    for e in edges:
        if len(e) != 2 or id(e[0]) not in ids or id(e[1]) not in ids:
            raise ValueError("every edge must be a (child, parent) pair of nodes of the graph")
    return nodes, edges


def graph_layout(root_or_trace) -> dict[int, tuple[float, float]]:
    """Positions ``{id(node): (x, y)}`` of a computation graph's nodes: column ``x``, row ``y``.

    Inputs get column 0 unless they only feed later nodes, in which case they sit one column
    before their first consumer (constants next to where they are used); every other node sits
    one column after its deepest child. Within a column, nodes are ordered by the mean row of
    their neighbours (two sweeps of the barycentre heuristic) and centred on ``y = 0``.

    Parameters
    ----------
    root_or_trace : a ``scalar.Value`` or a ``(nodes, edges)`` pair

    Returns
    -------
    dict mapping ``id(node)`` to ``(column, row)``; the root (last node) is in the last column.

    >>> class N:  # any object with .data and .children works, e.g. a scalar.Value
    ...     def __init__(self, *children):
    ...         self.data, self.children = 0.0, children
    >>> a, b = N(), N()
    >>> c = N(a, b)
    >>> pos = graph_layout(c)
    >>> pos[id(c)][0], pos[id(a)][0], pos[id(a)][1] != pos[id(b)][1]
    (1, 0, True)
    """
    nodes, edges = _trace(root_or_trace)
    children = {id(v): [] for v in nodes}
    parents = {id(v): [] for v in nodes}
    for c, p in edges:
        children[id(p)].append(id(c))
        parents[id(c)].append(id(p))
    order = [id(v) for v in nodes]
    depth: dict[int, int] = {}
    remaining = list(order)
    # longest path from the leaves; nodes are topologically sorted, but be safe if not
    for _ in range(len(order) + 1):
        pending = []
        for k in remaining:
            if all(c in depth for c in children[k]):
                depth[k] = 1 + max((depth[c] for c in children[k]), default=-1)
            else:
                pending.append(k)
        remaining = pending
        if not remaining:
            break
    if remaining:
        raise ValueError("the graph has a cycle; a computation graph must be acyclic")
    for k in order:  # pull leaves towards their first consumer
        if not children[k] and parents[k]:
            depth[k] = max(0, min(depth[p] for p in parents[k]) - 1)
    n_cols = max(depth.values()) + 1
    columns: list[list[int]] = [[] for _ in range(n_cols)]
    for k in order:
        columns[depth[k]].append(k)
    row = {}
    for col in columns:
        for i, k in enumerate(col):
            row[k] = i - (len(col) - 1) / 2

    def sweep(cols, neighbours):
        for col in cols:
            keyed = []
            for i, k in enumerate(col):
                ys = [row[m] for m in neighbours[k] if m in row]
                keyed.append((np.mean(ys) if ys else row[k], i, k))
            keyed.sort()
            col[:] = [k for _, _, k in keyed]
            for i, k in enumerate(col):
                row[k] = i - (len(col) - 1) / 2

    for _ in range(2):
        sweep(columns[1:], children)
        sweep(columns[-2::-1], parents)
    return {k: (depth[k], -row[k]) for k in order}


def _as_set(items) -> set[int]:
    if items is None:
        return set()
    if hasattr(items, "data") and hasattr(items, "children"):
        return {id(items)}
    return {id(v) for v in items}


def _fmt(x: float, fmt: str) -> str:
    x = float(x)
    return format(x, fmt) if np.isfinite(x) else str(x)


def draw_computation_graph(
    root_or_trace,
    ax: Axes | None = None,
    show_grads: bool = True,
    highlight=None,
    *,
    highlight_edges: Iterable[tuple] | None = None,
    edge_labels: Mapping[tuple, str] | Callable | None = None,
    mark_fanout: bool = True,
    grads: Mapping | None = None,
    outline: Mapping | None = None,
    fmt: str = ".3f",
    title: str | None = None,
) -> Axes:
    """Draw a scalar computation graph as a layered DAG, inputs left, output right.

    Each node is a box: its label and operation (``*``, ``+``, ``tanh``...; inputs have none;
    an unlabelled operation shows what it computes, ``x1*w1``, so two products differ),
    ``data`` (its forward value) and, when ``show_grads``, ``grad`` (``dL/dnode`` after
    ``root.backward()``). An arrow goes from each child to the node computed from it; a child
    used twice (``x * x``) gets two arrows. Nodes that feed several others, where backward
    *accumulates* (sums) gradient contributions, get a green border when ``mark_fanout``.

    Parameters
    ----------
    root_or_trace : a ``scalar.Value`` (its whole graph is drawn) or ``root.trace()``, i.e.
        ``(nodes, edges)`` with nodes in topological order and edges ``(child, parent)``
    ax : Axes to draw into, or None for a new figure sized to the graph
    show_grads : also print each node's ``.grad``
    highlight : a node or iterable of nodes drawn in orange (e.g. the node a backward step
        is processing)
    highlight_edges : iterable of ``(child, parent)`` pairs drawn thick and orange
    edge_labels : ``{(child, parent): text}`` or a function ``(child, parent, index) -> text or
        None`` labelling edges, e.g. with the local derivative ``d parent / d child``
    mark_fanout : outline nodes with more than one outgoing edge in green
    grads : ``{node: value}`` shown instead of ``node.grad`` (e.g. the partial sums midway
        through a backward pass); nodes missing from it show their ``.grad``
    outline : ``{node: colour}`` border colours (thick) for chosen nodes, e.g. the nodes a
        backward step accumulates into; ``highlight`` wins over it
    fmt : format spec for numbers
    title : Axes title

    Text is :data:`NODE_FONTSIZE` and :data:`EDGE_FONTSIZE` points, shrunk (not below 7) when
    the widest box would not fit its column of the Axes.

    Returns
    -------
    The Axes drawn into.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from backprop_course.scalar import Value
    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
    >>> loss = (x * w).tanh(); loss.label = "L"
    >>> loss.backward()
    >>> ax = draw_computation_graph(loss, highlight=loss)
    >>> sorted(t.get_text().splitlines()[0] for t in ax.texts if "data" in t.get_text())
    ['L  (tanh)', 'w', 'x', 'x*w']
    """
    nodes, edges = _trace(root_or_trace)
    pos = graph_layout((nodes, edges))
    n_cols = max(x for x, _ in pos.values()) + 1
    tallest = max(Counter(x for x, _ in pos.values()).values())
    ax = _axes(ax, figsize=(max(4.5, 2.6 * n_cols), max(2.6, 1.45 * tallest + 0.8)))
    shown_grads = {id(k): float(v) for k, v in (grads or {}).items()}
    outlines = {id(k): c for k, c in (outline or {}).items()}
    hi_nodes = _as_set(highlight)
    hi_edges = {(id(c), id(p)) for c, p in (highlight_edges or ())}
    fanout = Counter(id(c) for c, _ in edges)

    texts = {}
    for v in nodes:
        label = str(getattr(v, "label", "") or "")
        op = str(getattr(v, "op", "") or "")
        if label or not op:
            head = (label or "const") + (f"  ({op})" if op else "")
        else:  # an unlabelled operation writes itself out (x1*w1), so two products differ
            head = str(getattr(v, "name", "") or f"·  ({op})")
        lines = [head, f"data {_fmt(v.data, fmt)}"]
        if show_grads:
            g = shown_grads.get(id(v), getattr(v, "grad", np.nan))
            lines.append(f"grad {_fmt(g, fmt)}")
        texts[id(v)] = "\n".join(lines)
    # the widest box must fit its column: shrink the text (not below 7 pt) on a small Axes
    widest = max(len(line) for t in texts.values() for line in t.splitlines())
    fig = ax.figure
    col_inches = ax.get_position().width * fig.get_figwidth() / n_cols
    fit = 0.92 * col_inches * 72 / (0.6 * widest + 1.0)
    node_size = max(7.0, min(NODE_FONTSIZE, fit))
    edge_size = node_size * EDGE_FONTSIZE / NODE_FONTSIZE

    boxes = {}
    for v in nodes:
        x, y = pos[id(v)]
        is_input = not getattr(v, "children", ())
        edge, lw = "#555555", 1.0
        if mark_fanout and fanout[id(v)] > 1:
            edge, lw = _FANOUT, 2.2
        if id(v) in outlines:
            edge, lw = outlines[id(v)], 3.0
        face = _INPUT_FACE if is_input else _NODE_FACE
        if id(v) in hi_nodes:
            edge, lw, face = _HIGHLIGHT, 3.0, "#fff1de"
        boxes[id(v)] = ax.text(
            x,
            y,
            texts[id(v)],
            ha="center",
            va="center",
            fontsize=node_size,
            family="monospace",
            zorder=3,
            bbox={"boxstyle": "round,pad=0.35", "fc": face, "ec": edge, "lw": lw},
        )

    # spread multiple edges between the same pair (x * x) over the box side
    pair_count = Counter((id(c), id(p)) for c, p in edges)
    pair_seen: Counter[tuple[int, int]] = Counter()
    labels = []
    for i, (c, p) in enumerate(edges):
        key = (id(c), id(p))
        k = pair_seen[key]
        pair_seen[key] += 1
        m = pair_count[key]
        frac = 0.5 if m == 1 else 0.25 + 0.5 * k / (m - 1)
        hot = key in hi_edges
        span = pos[id(p)][0] - pos[id(c)][0]
        rad = 0.0 if span <= 1 else (-0.2 if pos[id(c)][1] >= pos[id(p)][1] else 0.2)
        ax.annotate(
            "",
            xy=(0.0, frac),
            xycoords=boxes[id(p)],
            xytext=(1.0, frac),
            textcoords=boxes[id(c)],
            arrowprops={
                "arrowstyle": "-|>",
                "color": _HIGHLIGHT if hot else "#666666",
                "lw": 2.4 if hot else 1.0,
                "shrinkA": 2,
                "shrinkB": 2,
                "connectionstyle": f"arc3,rad={rad}",
            },
            zorder=2,
        )
        text = None
        if callable(edge_labels):
            text = edge_labels(c, p, i)
        elif edge_labels is not None:
            text = edge_labels.get((c, p))
        if text:
            labels.append((pos[id(c)], pos[id(p)], rad, k, m, text, hot))
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    to_display = ax.transData

    def along(x0, y0, x1, y1, rad, t):
        # a point of the drawn edge: arc3 draws a quadratic Bezier in display coordinates whose
        # control point is the midpoint moved by rad times the edge turned a quarter (labels
        # of curved edges that skip a column would otherwise sit on the node they pass)
        (X0, Y0), (X1, Y1) = to_display.transform([(x0, y0), (x1, y1)])
        cx, cy = (X0 + X1) / 2 + rad * (Y1 - Y0), (Y0 + Y1) / 2 - rad * (X1 - X0)
        u = 1.0 - t
        return np.array(
            [u * u * X0 + 2 * u * t * cx + t * t * X1, u * u * Y0 + 2 * u * t * cy + t * t * Y1]
        )

    # labels at the middle of their edge; two that would overlap (edges crossing in the
    # middle) move towards the node they point to, the node whose local derivative they are
    mids = [along(*c, *q, rad, 0.5) for c, q, rad, *_ in labels]
    near = edge_size * 2.2 * ax.figure.dpi / 72
    crowded = {
        a
        for a in range(len(mids))
        for b in range(len(mids))
        if a != b and np.hypot(*(mids[a] - mids[b])) < near
    }
    for n, ((x0, y0), (x1, y1), rad, k, m, text, hot) in enumerate(labels):
        t = 0.64 if n in crowded and m == 1 else 0.5
        x, y = to_display.inverted().transform(along(x0, y0, x1, y1, rad, t))
        off = 0.0 if m == 1 else (k - (m - 1) / 2) * 0.3
        ax.text(
            x,
            y + off,
            text,
            ha="center",
            va="center",
            fontsize=edge_size,
            color=_HIGHLIGHT if hot else "#333333",
            zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def _network_sizes(sizes_or_params) -> tuple[list[int], dict[str, np.ndarray] | None]:
    if isinstance(sizes_or_params, Mapping):
        from ..mlp import n_layers

        L = n_layers(sizes_or_params)
        params = {k: np.asarray(v, dtype=np.float64) for k, v in sizes_or_params.items()}
        sizes = [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, L + 1)]
        return sizes, params
    if isinstance(sizes_or_params, str) or not isinstance(sizes_or_params, Sequence):
        raise ValueError(
            "sizes_or_params must be layer sizes like [2, 8, 1] or a params dict "
            f"{{'W1': ..., 'b1': ...}}, got {type(sizes_or_params).__name__}"
        )
    sizes = list(sizes_or_params)
    if len(sizes) < 2 or not all(
        isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in sizes
    ):
        raise ValueError(
            f"sizes must be at least two integers >= 1 (input and output), got {sizes}"
        )
    return [int(d) for d in sizes], None


def _shown_units(d: int, max_units: int) -> list[int]:
    if d <= max_units:
        return list(range(d))
    return list(range(max_units - 1)) + [d - 1]


def draw_network(
    sizes_or_params,
    ax: Axes | None = None,
    *,
    max_units: int = 10,
    show_labels: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw a fully connected network as columns of units joined by their weights.

    Layer ``l`` (``0`` = input) is column ``l``; every unit ``i`` of layer ``l-1`` is joined to
    every unit ``j`` of layer ``l`` by the weight ``w_ij`` (``W_l[i, j]``). With parameters, an
    edge's width is ``0.4 + 3.6 |w_ij| / max|w|`` and its colour shows the sign in the course's
    one convention (:data:`~backprop_course.plots.curves.SIGNED_CMAP`): blue negative, red
    positive; with sizes only, edges are thin and grey. Layers wider than ``max_units``
    show their first ``max_units - 1`` units, a vertical ellipsis and the last unit.

    Parameters
    ----------
    sizes_or_params : layer sizes ``[d_0, ..., d_L]`` or a params dict ``{"W1": (d_0, d_1),
        "b1": (d_1,), ...}`` as made by ``mlp.init_params``
    ax : Axes, or None for a new figure
    max_units : int >= 2, the most units drawn per layer
    show_labels : name the units (``x_1``, ``h^(l)_1`` for hidden layer ``l``, ``y_hat``) and the
        layers below them
    title : Axes title

    Returns
    -------
    The Axes drawn into; each drawn weight is one line in ``ax.lines``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from backprop_course.mlp import init_params
    >>> ax = draw_network(init_params([2, 4, 4, 1], rng=0))
    >>> len(ax.lines)
    28
    """
    sizes, params = _network_sizes(sizes_or_params)
    if isinstance(max_units, bool) or not isinstance(max_units, Integral) or max_units < 2:
        raise ValueError(f"max_units must be an integer >= 2, got {max_units!r}")
    shown = [_shown_units(d, max_units) for d in sizes]
    tallest = max(len(s) for s in shown)
    ax = _axes(ax, figsize=(max(3.5, 1.9 * len(sizes)), max(2.5, 0.55 * tallest + 1.2)))

    def ypos(l, slot):
        n = len(shown[l]) + (1 if sizes[l] > max_units else 0)
        return (n - 1) / 2 - slot

    def slot_of(l, k):  # the ellipsis takes a slot before the last unit
        return k if k < max_units - 1 or sizes[l] <= max_units else k + 1

    wmax = 1.0
    if params is not None:
        wmax = max(float(np.max(np.abs(params[f"W{l}"]))) for l in range(1, len(sizes)))
        wmax = wmax if wmax > 0 and np.isfinite(wmax) else 1.0
    for l in range(1, len(sizes)):
        for a, i in enumerate(shown[l - 1]):
            for b, j in enumerate(shown[l]):
                y0, y1 = ypos(l - 1, slot_of(l - 1, a)), ypos(l, slot_of(l, b))
                if params is None:
                    color, lw = "#9a9a9a", 0.8
                else:
                    w = float(params[f"W{l}"][i, j])
                    color = signed_color(w, wmax)
                    lw = 0.4 + 3.6 * min(abs(w) / wmax, 1.0)
                ax.plot([l - 1, l], [y0, y1], color=color, lw=lw, zorder=1, solid_capstyle="round")
    L = len(sizes) - 1
    for l, units in enumerate(shown):
        face = _INPUT_FACE if l == 0 else ("#fde9d9" if l == L else "#e4ecf7")
        for a, i in enumerate(units):
            y = ypos(l, slot_of(l, a))
            ax.scatter([l], [y], s=420, c=face, edgecolors="#444444", linewidths=1.2, zorder=3)
            if show_labels:
                if l == 0:
                    text = f"$x_{{{i + 1}}}$"
                elif l == L:
                    text = "$\\hat y$" if sizes[l] == 1 else f"$\\hat y_{{{i + 1}}}$"
                else:  # the layer in the superscript: h1 of two hidden layers differ
                    text = f"$h^{{({l})}}_{{{i + 1}}}$"
                ax.text(l, y, text, ha="center", va="center", fontsize=9.5, zorder=4)
        if sizes[l] > max_units:
            ax.text(l, ypos(l, max_units - 1), "⋮", ha="center", va="center", fontsize=14)
        if show_labels:
            kind = "input" if l == 0 else ("output" if l == L else f"hidden {l}")
            low = ypos(l, len(units) - 1 + (1 if sizes[l] > max_units else 0))
            ax.text(l, low - 0.9, f"{kind}\n({sizes[l]})", ha="center", va="top", fontsize=9.5)
    half = (tallest + (1 if max(sizes) > max_units else 0) - 1) / 2
    if show_labels:
        for l in range(1, len(sizes)):
            ax.text(l - 0.5, half + 0.5, f"W{l}", ha="center", va="bottom", fontsize=9.5)
    ax.set_xlim(-0.5, L + 0.5)
    ax.set_ylim(-half - 2.0, half + 1.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
