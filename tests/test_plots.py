"""Do the lecture curves draw what they promise, label it, and reject bad input?"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from backprop_course import plots  # noqa: E402
from backprop_course.data import blobs, moons  # noqa: E402
from backprop_course.optim import gradient_descent  # noqa: E402
from backprop_course.plots import curves  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def test_every_public_curve_is_exported_by_plots():
    for name in curves.__all__:
        assert getattr(plots, name) is getattr(curves, name)


def test_decision_boundary_pm1_labels_fills_regions_and_colours_points_by_label():
    X, y = blobs(40, rng=0)
    w = np.array([1.0, -0.5])
    ax = curves.decision_boundary(lambda P: np.where(P @ w > 0, 1, -1), X, y, resolution=50)
    assert sorted(_legend(ax)) == ["y = +1", "y = -1"]
    sc = _scatters(ax)
    assert [len(s.get_offsets()) for s in sc] == [int((y == -1).sum()), int((y == 1).sum())]
    # the filled regions come first (contourf), then the boundary line, then the points
    assert len(ax.collections) >= 3
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    # the view covers every point
    x0, x1 = ax.get_xlim()
    assert x0 < X[:, 0].min() and X[:, 0].max() < x1


def test_decision_boundary_01_probabilities_draws_the_half_level():
    X, y = moons(30, rng=1)
    ax = curves.decision_boundary(
        lambda P: 1 / (1 + np.exp(-3 * P[:, 0])), X, y, resolution=40, title="p"
    )
    assert sorted(_legend(ax)) == ["y = 0", "y = 1"]
    assert ax.get_title() == "p"
    # a contour line at 0.5 exists: some line segments lie at x1 close to 0
    segs = [
        seg
        for c in ax.collections
        if hasattr(c, "get_paths") and not isinstance(c, PathCollection)
        for seg in c.get_paths()
    ]
    verts = np.vstack([s.vertices for s in segs])
    assert np.isclose(verts[:, 0], 0.0, atol=0.1).any()


def test_decision_boundary_does_not_mutate_inputs_and_draws_on_given_axes():
    X, y = blobs(10, rng=2)
    X0, y0 = X.copy(), y.copy()
    fig, (a, b) = plt.subplots(1, 2)
    out = curves.decision_boundary(lambda P: np.sign(P[:, 0] + 1e-9), X, y, ax=b, resolution=10)
    assert out is b and not a.collections
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X": np.zeros((4, 3))}, "2 columns"),
        ({"y": np.array([0, 1, 0])}, "shape"),
        ({"predict_fn": lambda P: np.zeros(3)}, "one value per grid point"),
        ({"predict_fn": lambda P: np.full(len(P), np.nan)}, "NaN"),
        ({"X": np.array([[0.0, np.nan]] * 4)}, "NaN"),
        ({"resolution": 1}, "resolution"),
        ({"ax": "not axes"}, "Axes"),
    ],
)
def test_decision_boundary_rejects_bad_input(kwargs, match):
    args = {
        "predict_fn": lambda P: np.sign(P[:, 0]),
        "X": np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [0.0, 2.0]]),
        "y": np.array([-1, 1, 1, -1]),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        curves.decision_boundary(**args)


def test_linear_boundaries_one_line_per_pair_last_darkest():
    X, y = blobs(20, rng=3)
    pairs = [(np.array([1.0, 0.0]), 0.0), (np.array([1.0, 1.0]), 0.5), (np.array([0.0, 2.0]), -1)]
    ax = curves.linear_boundaries(X, y, pairs, labels=["a", "b", "c"])
    assert len(ax.lines) == 3
    assert ax.lines[-1].get_color() == "k"
    # the last line is w^T x + b = 0 with w = (0, 2), b = -1: the horizontal line x2 = 0.5
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), 0.5)
    assert set(_legend(ax)) >= {"a", "b", "c"}
    with pytest.raises(ValueError, match="w = 0"):
        curves.linear_boundaries(X, y, [(np.zeros(2), 1.0)])
    with pytest.raises(ValueError, match="at least one"):
        curves.linear_boundaries(X, y, [])
    with pytest.raises(ValueError, match="labels"):
        curves.linear_boundaries(X, y, pairs, labels=["a"])


def test_loss_curve_log_scale_and_divergence_marker():
    ax = curves.loss_curve(
        {"small lr": [1.0, 0.5, 0.25, 0.1], "big lr": [1.0, 3.0, 50.0, np.inf, np.nan]}, log=True
    )
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss" and ax.get_title()
    assert [t.get_text() for t in ax.texts] == ["diverged"]
    assert _legend(ax) == ["small lr", "big lr"]
    big = ax.lines[1]
    np.testing.assert_array_equal(big.get_ydata(), [1.0, 3.0, 50.0])  # stops at divergence
    # the red cross sits on the last finite value
    cross = ax.lines[2]
    assert cross.get_marker() == "x" and cross.get_ydata()[0] == 50.0


def test_loss_curve_single_series_with_label_and_no_divergence():
    ax = curves.loss_curve(np.linspace(2, 1, 5), label="train", xlabel="step")
    assert _legend(ax) == ["train"] and ax.get_xlabel() == "step"
    assert not ax.texts and ax.get_yscale() == "linear"


@pytest.mark.parametrize(
    "losses, kwargs, match",
    [
        ([], {}, "non-empty"),
        ([[1.0, 2.0]], {}, "1-D"),
        (["a", "b"], {}, "numbers"),
        ([1.0, -1.0], {"log": True}, "positive"),
        ([np.nan, 1.0], {}, "starts non-finite"),
        ({}, {}, "empty mapping"),
        ({"a": [1.0]}, {"label": "x"}, "single series"),
    ],
)
def test_loss_curve_rejects_bad_input(losses, kwargs, match):
    with pytest.raises(ValueError, match=match):
        curves.loss_curve(losses, **kwargs)


def _bowl(w):
    return 0.5 * (w[0] ** 2 + 10 * w[1] ** 2)


def test_descent_path_draws_contours_paths_and_marks_divergence():
    grad = lambda w: np.array([w[0], 10 * w[1]])  # noqa: E731
    w0 = np.array([-2.0, 1.0])
    paths = {
        "lr 0.05": gradient_descent(grad, w0, 0.05, 30),
        "lr 0.5": gradient_descent(grad, w0, 0.5, 600),  # diverges: 0.5 > 2/10
    }
    assert np.isnan(paths["lr 0.5"][-1]).all()
    ax = curves.descent_path(_bowl, paths, xlim=(-3, 3), ylim=(-2, 2))
    assert ax.collections  # the contour set
    assert "diverged" in [t.get_text() for t in ax.texts]
    assert _legend(ax) == ["lr 0.05", "lr 0.5", "start"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), paths["lr 0.05"][:, 0])
    assert ax.get_xlabel() == "$w_1$" and ax.get_ylabel() == "$w_2$" and ax.get_title()


def test_descent_path_default_window_covers_the_path_and_point_by_point_f():
    path = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]])
    ax = curves.descent_path(lambda w: float(np.dot(w, w)), path, margin=0.5)  # not vectorised
    np.testing.assert_allclose(ax.get_xlim(), (-0.5, 3.5))
    np.testing.assert_allclose(ax.get_ylim(), (-1.5, 2.5))


@pytest.mark.parametrize(
    "path, match",
    [
        (np.zeros((3, 3)), "shape"),
        (np.array([[np.nan, 0.0], [1.0, 1.0]]), "finite point"),
        ({}, "empty mapping"),
    ],
)
def test_descent_path_rejects_bad_input(path, match):
    with pytest.raises(ValueError, match=match):
        curves.descent_path(_bowl, path)


def test_contour_plot_log_levels_and_bad_limits():
    ax = curves.contour_plot(_bowl, (-1, 1), (-1, 1), log_levels=True, resolution=30)
    assert ax.collections
    with pytest.raises(ValueError, match="low < high"):
        curves.contour_plot(_bowl, (1, -1), (-1, 1))
    with pytest.raises(ValueError, match="callable"):
        curves.contour_plot(3.0, (-1, 1), (-1, 1))
    with pytest.raises(ValueError, match="f > 0"):
        curves.contour_plot(lambda w: -1.0 - w[0] ** 2, (-1, 1), (-1, 1), log_levels=True)


def test_complexity_plot_is_log_log_with_fitted_slopes():
    sizes = np.array([4, 8, 16, 32, 64])
    ax = curves.complexity_plot(
        sizes,
        {"naive": 3 * sizes**2.0, "backprop": 5 * sizes * 1.0},
        ylabel="multiplications",
    )
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert _legend(ax) == ["naive (slope 2.00)", "backprop (slope 1.00)"]
    assert ax.get_ylabel() == "multiplications" and ax.get_xlabel() and ax.get_title()
    # the measured sizes label the x axis (no colliding minor labels on a short range)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "8", "16", "32", "64"]
    assert not [t for t in ax.get_xticklabels(minor=True) if t.get_text()]


def test_loglog_slope_recovers_power_law_with_noise():
    rng = np.random.default_rng(0)
    sizes = np.geomspace(10, 1000, 8)
    costs = 2 * sizes**1.5 * np.exp(rng.normal(scale=0.02, size=8))
    assert abs(curves.loglog_slope(sizes, costs) - 1.5) < 0.05


@pytest.mark.parametrize(
    "sizes, costs, match",
    [
        ([1, 2], {"a": [1, -1]}, "> 0"),
        ([1, 2], {"a": [1, 2, 3]}, "length"),
        ([2, 2], {"a": [1, 2]}, "two different sizes"),
        ([1, 2], {}, "non-empty mapping"),
        ([1, 2], [1, 2], "non-empty mapping"),
    ],
)
def test_complexity_plot_rejects_bad_input(sizes, costs, match):
    with pytest.raises(ValueError, match=match):
        curves.complexity_plot(sizes, costs)


def test_curves_plot_labels_and_validation():
    ax = curves.curves_plot(
        [0, 1, 2], {"a": [1, 2, 3], "b": [3, 2, 1]}, xlabel="t", ylabel="loss", title="slice"
    )
    assert _legend(ax) == ["a", "b"] and ax.get_title() == "slice"
    with pytest.raises(ValueError, match="length"):
        curves.curves_plot([0, 1], {"a": [1, 2, 3]})
    with pytest.raises(ValueError, match="positive"):
        curves.curves_plot([0, 1], {"a": [1, 0]}, logy=True)


def test_decision_boundary_three_classes_regions_follow_the_prediction():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(60, 2))
    y = np.digitize(X[:, 0], [-1.0, 1.0])  # classes 0, 1, 2 in vertical bands

    ax = curves.decision_boundary(lambda P: np.digitize(P[:, 0], [-1.0, 1.0]), X, y, resolution=30)
    assert sorted(_legend(ax)) == ["y = 0", "y = 1", "y = 2"]
    filled = ax.collections[0]  # the contourf set: one level band per class
    assert len(filled.get_paths()) == 3
    # no boundary line is drawn for more than two classes unless a threshold is given
    assert len(ax.collections) == 1 + 3


def _is_red(rgba) -> bool:
    return rgba[0] > rgba[2] + 0.25 and rgba[0] > rgba[1] + 0.25


def _is_blue(rgba) -> bool:
    return rgba[2] > rgba[0] + 0.25


def test_one_sign_convention_weights_are_blue_negative_red_positive_like_the_classes():
    params = {
        "W1": np.array([[2.0, -2.0]]),
        "b1": np.zeros(2),
        "W2": np.array([[1e-9], [-1e-9]]),
        "b2": np.zeros(1),
    }
    ax = plots.draw_network(params)
    positive, negative = (ax.lines[k].get_color() for k in (0, 1))
    assert _is_red(positive) and _is_blue(negative), (positive, negative)
    near_zero = ax.lines[2].get_color()
    assert min(near_zero[:3]) > 0.9, f"a weight near 0 should be near white, got {near_zero}"
    # the classes -1 and +1 are drawn in the same blue and red
    assert plots.curves.CLASS_COLORS[0] == "#1f77b4" and plots.curves.CLASS_COLORS[1] == "#d62728"
    plt.close("all")


def test_no_figure_of_the_course_uses_another_diverging_colormap():
    import re
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    other = re.compile(
        r"coolwarm|seismic|bwr|PiYG|PRGn|BrBG|PuOr|RdGy|RdYlBu|Spectral|RdBu(?!_r\")"
    )
    sources = {p: p.read_text() for p in root.joinpath("backprop_course").rglob("*.py")}
    for p in root.joinpath("lectures").glob("*.ipynb"):  # the code, not the stored images
        cells = nbformat.read(p, as_version=4).cells
        sources[p] = "\n".join(c.source for c in cells if c.cell_type == "code")
    offenders = [str(p.relative_to(root)) for p, text in sources.items() if other.search(text)]
    assert not offenders, f"use plots.SIGNED_CMAP for signed quantities: {offenders}"
