"""Tests for backprop_course.plots.explorers: do the explorers' figures show their results?"""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from backprop_course import explore, plots  # noqa: E402
from backprop_course.plots import explorers  # noqa: E402


def test_public_names_are_merged_into_plots():
    for name in explorers.__all__:
        assert getattr(plots, name) is getattr(explorers, name)


def test_plot_descent_draws_path_and_loss_and_changes_with_lr():
    a = explorers.plot_descent(explore.descent("ill_conditioned", lr=0.05))
    b = explorers.plot_descent(explore.descent("ill_conditioned", lr=0.12))
    assert len(a.axes) == 2
    assert "DIVERGED" in b.axes[0].get_title() and "DIVERGED" not in a.axes[0].get_title()
    assert "0.1" in b.axes[0].get_title()  # the stable bound is shown
    assert explorers.figure_png(a) != explorers.figure_png(b)
    with pytest.raises(ValueError, match="DescentResult"):
        explorers.plot_descent("ill_conditioned")
    with pytest.raises(ValueError, match="Figure"):
        explorers.figure_png(None)


def test_plot_training_shows_loss_and_boundary_or_says_diverged():
    r = explore.train("moons", epochs=40, rng=0)
    fig = explorers.plot_training(r)
    assert len(fig.axes[0].lines) >= 1 and fig.axes[1].collections
    assert f"{r.accuracy:.3f}" in fig.axes[1].get_title()
    bad = explore.train("moons", lr=1e6, epochs=20, activation="relu", rng=0)
    assert bad.diverged  # (tanh only saturates at this rate; relu overflows)
    fig = explorers.plot_training(bad)
    assert "diverged" in fig.axes[1].get_title()
    # the points as decision_boundary draws them: one scatter per class, in the same colours
    bad_points = fig.axes[1].collections
    good_points = explorers.plot_training(r).axes[1].collections[-2:]
    for points in (bad_points, good_points):
        assert [c.get_label() for c in points] == ["y = 0", "y = 1"]
    for b, g in zip(bad_points, good_points, strict=True):
        np.testing.assert_array_equal(b.get_facecolor(), g.get_facecolor())


def test_plot_backprop_frame_highlights_the_current_step():
    root = explore.example_graph("shared")
    frames = explore.backprop_frames(root)
    figs = [explorers.plot_backprop_frame(root, f) for f in frames]
    assert figs[0].axes[0].get_title().startswith("Before")
    acc_titles = [f.axes[0].get_title() for f in figs if " accumulate" in f.axes[0].get_title()]
    assert len(acc_titles) == sum(bool(f.accumulated) for f in frames) >= 1
    step3 = frames[3].step
    texts = [t.get_text() for t in figs[3].axes[0].texts]
    for c in step3.contributions:  # local derivatives on the edges, products written out
        assert f"{c.local_grad:.3g}" in texts
        assert any(f"{c.child.label}.grad += " in t and f"{c.product:.3f}" in t for t in texts)
    assert any("(accumulates)" in t for t in texts)  # step 3 adds v's message to x's
    assert "x accumulate" in figs[3].axes[0].get_title()
    pngs = {explorers.figure_png(f) for f in figs}
    assert len(pngs) == len(figs)
    with pytest.raises(ValueError, match="belong"):
        explorers.plot_backprop_frame(explore.example_graph("square"), frames[1])


def test_figures_show_themselves_once_without_pyplot():
    import matplotlib.pyplot as plt

    n_open = len(plt.get_fignums())
    fig = explorers.plot_descent(explore.descent("well_conditioned", n_steps=5))
    assert len(plt.get_fignums()) == n_open  # nothing left open for a later cell to show
    png = fig._repr_png_()
    assert png[:4] == b"\x89PNG" and png == explorers.figure_png(fig, dpi=int(fig.dpi))
