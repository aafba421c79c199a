"""Tests for backprop_course.plots.depth: what each figure draws, and its input checks."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_course import depth, plots
from backprop_course.plots import depth as pdepth


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def runs():
    return depth.compare_inits(["sigmoid", "relu"], ["lecun", "he"], depth=4, width=20, n=30)


def test_public_names_are_merged_into_plots():
    for name in pdepth.__all__:
        assert getattr(plots, name) is getattr(pdepth, name)


def test_gradient_norms_draws_one_line_per_run_on_a_log_axis(runs):
    ax = plots.gradient_norms({f"{h}, {i}": s for (h, i), s in runs.items()})
    assert ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 4
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 6))
    np.testing.assert_allclose(line.get_ydata(), runs[("sigmoid", "lecun")].grad_norm)
    assert "layer" in ax.get_xlabel()


def test_gradient_norms_leaves_out_zero_gradients_and_says_so():
    real = depth.layer_statistics(*depth.deep_net("relu", "he", depth=2, width=6), "relu")
    stats = dataclasses.replace(real, grad_norm=np.array([0.5, 0.0, 2.0]))
    ax = plots.gradient_norms({"dead": stats})
    assert ax.get_lines()[0].get_xdata().tolist() == [1, 3]
    assert "zero" in ax.get_legend().get_texts()[0].get_text()


@pytest.mark.parametrize("kind", ["activations", "gradients"])
def test_layer_histograms_draws_one_histogram_per_layer_summing_to_one(runs, kind):
    stats = runs[("relu", "he")]
    ax = plots.layer_histograms(stats, kind)
    n_layers = len(stats.activations) if kind == "activations" else len(stats.weight_grads)
    assert len(ax.patches) == n_layers
    for patch in ax.patches:
        heights = patch.get_data().values
        assert heights.sum() == pytest.approx(1.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("layer 1: std")


def test_dead_units_map_marks_exactly_the_dead_columns():
    A = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    ax = plots.dead_units_map(A)
    marks = ax.get_lines()[0]
    assert marks.get_xdata().tolist() == [0]
    assert "1 of 3" in ax.get_title()
    np.testing.assert_array_equal(ax.images[0].get_array(), A > 0)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="LayerStats"):
        plots.gradient_norms({"x": np.ones(3)})
    with pytest.raises(ValueError, match="non-empty"):
        plots.gradient_norms({})
    stats = depth.layer_statistics(*depth.deep_net("tanh", "lecun", depth=2, width=4), "tanh")
    with pytest.raises(ValueError, match="kind"):
        plots.layer_histograms(stats, "weights")
    with pytest.raises(ValueError, match="2-D"):
        plots.dead_units_map(np.zeros(4))
