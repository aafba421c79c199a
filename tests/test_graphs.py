"""Does plots.graphs draw every node, value, gradient and weight it is given, in a valid layout?"""

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from backprop_course import plots  # noqa: E402
from backprop_course.mlp import init_params  # noqa: E402
from backprop_course.plots.graphs import (  # noqa: E402
    draw_computation_graph,
    draw_network,
    graph_layout,
)
from backprop_course.scalar import Value  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _graph():
    x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(1.0, "b")
    s = x * w + b
    s.label = "s"
    L = s.tanh() * x + x * x
    L.label = "L"
    L.backward()
    return L, x, w, b, s


def _node_boxes(ax):
    return [t for t in ax.texts if "data " in t.get_text()]


def _arrows(ax):
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def test_merged_into_plots_namespace():
    assert plots.draw_computation_graph is draw_computation_graph
    assert plots.draw_network is draw_network


def test_layout_puts_every_child_left_of_its_parent_and_the_root_last():
    L, *_ = _graph()
    nodes, edges = L.trace()
    pos = graph_layout(L)
    assert set(pos) == {id(v) for v in nodes}
    for child, parent in edges:
        assert pos[id(child)][0] < pos[id(parent)][0]
    assert pos[id(L)][0] == max(x for x, _ in pos.values())
    assert len(set(pos.values())) == len(nodes)  # no two nodes on the same spot


def test_every_node_is_drawn_with_its_value_and_gradient():
    L, x, w, b, s = _graph()
    nodes, edges = L.trace()
    ax = draw_computation_graph(L)
    boxes = _node_boxes(ax)
    assert len(boxes) == len(nodes)
    texts = [t.get_text() for t in boxes]
    for v in nodes:
        want = f"data {v.data:.3f}\ngrad {v.grad:.3f}"
        assert any(want in t for t in texts), want
    # x*x and the two other uses of x: one arrow per operand slot
    assert len(_arrows(ax)) == len(edges)
    head = {t.get_text().splitlines()[0] for t in boxes}
    assert {"x", "w", "b", "s  (+)", "L  (+)"} <= head
    fig = ax.figure
    fig.savefig(io.BytesIO(), format="png")  # arrows anchored on boxes must render


def test_show_grads_false_draws_forward_values_only():
    L, *_ = _graph()
    ax = draw_computation_graph(L.trace(), show_grads=False)
    assert _node_boxes(ax)
    assert not any("grad" in t.get_text() for t in ax.texts)


def test_highlight_and_fanout_colours():
    L, x, w, b, s = _graph()
    ax = draw_computation_graph(L, highlight=s, highlight_edges=[(b, s)])
    box = {t.get_text().splitlines()[0]: t for t in _node_boxes(ax)}
    assert to_hex(box["s  (+)"].get_bbox_patch().get_edgecolor()) == "#ff7f0e"
    assert to_hex(box["x"].get_bbox_patch().get_edgecolor()) == "#2ca02c"  # x feeds 4 slots
    assert to_hex(box["w"].get_bbox_patch().get_edgecolor()) == "#555555"
    ax = draw_computation_graph(L, highlight=s, outline={x: "#9467bd", s: "#9467bd"})
    box = {t.get_text().splitlines()[0]: t for t in _node_boxes(ax)}
    assert to_hex(box["x"].get_bbox_patch().get_edgecolor()) == "#9467bd"
    assert to_hex(box["s  (+)"].get_bbox_patch().get_edgecolor()) == "#ff7f0e"
    ax = draw_computation_graph(L, highlight=s, highlight_edges=[(b, s)])
    hot = [a for a in _arrows(ax) if to_hex(a.arrow_patch.get_edgecolor()) == "#ff7f0e"]
    assert len(hot) == 1


def test_edge_labels_from_a_function_and_a_dict():
    x = Value(3.0, "x")
    y = x * x
    y.backward()
    nodes, edges = y.trace()
    ax = draw_computation_graph(y, edge_labels=lambda c, p, i: f"local {p.local_grads[0]:.1f}")
    assert sum(t.get_text() == "local 3.0" for t in ax.texts) == 2
    ax = draw_computation_graph(y, ax=plt.subplots()[1], edge_labels={(x, y): "d=3"})
    assert sum(t.get_text() == "d=3" for t in ax.texts) == 2


def test_grads_override_shows_partial_sums():
    L, x, w, b, s = _graph()
    ax = draw_computation_graph(L, grads={x: 0.25, s: -7.0})
    texts = [t.get_text() for t in _node_boxes(ax)]
    assert any(t.startswith("x\n") and "grad 0.250" in t for t in texts)
    assert any(t.startswith("s  (+)") and "grad -7.000" in t for t in texts)
    assert any(t.startswith("w\n") and f"grad {w.grad:.3f}" in t for t in texts)


def test_draws_into_a_given_axes():
    L, *_ = _graph()
    fig, ax = plt.subplots()
    assert draw_computation_graph(L, ax=ax) is ax


@pytest.mark.parametrize(
    "bad", [3.0, "x", ([], []), None], ids=["number", "string", "empty", "none"]
)
def test_computation_graph_rejects_non_graphs(bad):
    with pytest.raises(ValueError, match="root_or_trace|no nodes"):
        draw_computation_graph(bad)


def test_computation_graph_rejects_foreign_edges_and_bad_axes():
    L, x, *_ = _graph()
    nodes, edges = L.trace()
    with pytest.raises(ValueError, match="edge"):
        draw_computation_graph((nodes, edges + [(Value(1.0), L)]))
    with pytest.raises(ValueError, match="Axes"):
        draw_computation_graph(L, ax="left")


def test_network_from_sizes_draws_every_connection():
    ax = draw_network([3, 5, 2])
    assert len(ax.lines) == 3 * 5 + 5 * 2
    names = {t.get_text() for t in ax.texts}
    assert {
        "$x_{1}$",
        "$x_{3}$",
        "$h^{(1)}_{5}$",
        "$\\hat y_{1}$",
        "$\\hat y_{2}$",
        "W1",
        "W2",
    } <= names


def test_network_names_hidden_units_by_layer():
    names = {t.get_text() for t in draw_network([2, 3, 3, 1]).texts}
    assert {"$h^{(1)}_{1}$", "$h^{(2)}_{1}$", "$\\hat y$"} <= names


def test_network_truncates_wide_layers():
    ax = draw_network([2, 30, 1], max_units=6)
    assert len(ax.lines) == 2 * 6 + 6 * 1
    names = {t.get_text() for t in ax.texts}
    assert "$h^{(1)}_{30}$" in names and "$h^{(1)}_{6}$" not in names and "⋮" in names


def test_network_weights_set_width_and_colour():
    params = init_params([2, 2, 1], rng=0)
    params["W1"] = np.array([[2.0, -2.0], [0.0, 0.5]])
    params["W2"] = np.array([[1.0], [-0.25]])
    before = {k: v.copy() for k, v in params.items()}
    ax = draw_network(params)
    assert all(np.array_equal(before[k], params[k]) for k in params)
    widths = [line.get_linewidth() for line in ax.lines]
    weights = [2.0, -2.0, 0.0, 0.5, 1.0, -0.25]  # drawn W1 row by row, then W2
    np.testing.assert_allclose(widths, [0.4 + 3.6 * abs(w) / 2.0 for w in weights])
    colours = [line.get_color() for line in ax.lines]
    for w, c in zip(weights, colours, strict=True):
        if w > 0:
            assert c[0] > c[2], (w, c)  # positive weights red (plots.SIGNED_CMAP)
        elif w < 0:
            assert c[2] > c[0], (w, c)  # negative weights blue


def test_network_rejects_bad_sizes_and_params():
    for bad in ([3], [2, 0, 1], [2, 2.5, 1], "2,3,1", 7):
        with pytest.raises(ValueError, match="sizes"):
            draw_network(bad)
    with pytest.raises(ValueError, match="W1"):
        draw_network({"W1": np.ones((2, 3))})
    with pytest.raises(ValueError, match="max_units"):
        draw_network([2, 3, 1], max_units=1)


def test_two_unlabelled_products_get_different_boxes():
    x1, w1, x2, w2 = (Value(v, n) for v, n in [(2, "x1"), (-1, "w1"), (3, "x2"), (1, "w2")])
    s = x1 * w1 + x2 * w2
    s.label = "s"
    heads = [t.get_text().splitlines()[0] for t in _node_boxes(draw_computation_graph(s))]
    assert "x1*w1" in heads and "x2*w2" in heads and "s  (+)" in heads


def test_text_is_legible_and_shrinks_only_to_fit():
    """Node text is NODE_FONTSIZE on a roomy figure and never below 7 pt on a cramped one."""
    from backprop_course.plots.graphs import EDGE_FONTSIZE, NODE_FONTSIZE

    assert NODE_FONTSIZE >= 10 and EDGE_FONTSIZE >= 10
    L, *_ = _graph()
    roomy = draw_computation_graph(L, edge_labels=lambda c, p, i: "1")
    sizes = {t.get_fontsize() for t in _node_boxes(roomy)}
    assert sizes == {NODE_FONTSIZE}
    cramped = draw_computation_graph(L, ax=plt.subplots(figsize=(4, 2))[1])
    small = {t.get_fontsize() for t in _node_boxes(cramped)}
    assert len(small) == 1 and 7.0 <= small.pop() < NODE_FONTSIZE


def test_labels_of_crossing_edges_do_not_overlap():
    """x -> v and y -> u cross in the middle; their labels move towards the nodes they label."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    u, v = x * y, x + y
    u.label, v.label = "u", "v"
    p = u * v
    ax = draw_computation_graph(p, edge_labels=lambda c, q, i: f"e{i}")
    ax.figure.canvas.draw()
    labels = [t for t in ax.texts if t.get_text().startswith("e")]
    assert len(labels) == 6
    boxes = [t.get_window_extent() for t in labels]
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not boxes[a].overlaps(boxes[b]), (labels[a].get_text(), labels[b].get_text())
