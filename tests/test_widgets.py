"""Do the widgets recompute the right data when a control moves? (no browser needed)"""

import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from backprop_course import explore, scalar, widgets  # noqa: E402

# ------------------------------------------------------------------ learning-rate explorer


def test_lr_explorer_starts_with_the_data_of_explore_descent():
    w = widgets.learning_rate_explorer("ill_conditioned", lr=0.05, n_steps=30)
    ref = explore.descent("ill_conditioned", lr=0.05, n_steps=30)
    np.testing.assert_array_equal(w.result.path, ref.path)
    assert w.label.value == ref.summary()
    assert w.image.value[:4] == b"\x89PNG"
    assert "0.1" in w.stable.value


def test_moving_the_lr_slider_past_the_stable_rate_makes_the_path_diverge():
    w = widgets.learning_rate_explorer("ill_conditioned", lr=0.05, n_steps=60)
    lr_max = w.result.max_stable_lr
    before_png, before_label = w.image.value, w.label.value
    assert not w.result.diverged
    assert np.all(np.diff(w.result.losses) <= 1e-15)  # a good rate: the loss never goes up
    w.lr.value = 1.05 * lr_max
    assert w.result.lr == pytest.approx(1.05 * lr_max)
    assert w.result.diverged and "DIVERGED" in w.label.value
    assert w.result.losses[-1] > w.result.losses[0]
    assert w.image.value != before_png and w.label.value != before_label
    assert w.label.value.startswith(f"lr={1.05 * lr_max:.3g} ")
    w.lr.value = 0.95 * lr_max
    assert not w.result.diverged and w.result.losses[-1] < w.result.losses[0]


def test_step_slider_and_surface_dropdown_change_the_data():
    w = widgets.learning_rate_explorer("well_conditioned", lr=0.3, n_steps=10)
    w.steps.value = 25
    assert w.result.path.shape == (26, 2) and w.result.n_steps == 25
    w.surface.value = "nonconvex"
    assert w.result.surface == "nonconvex" and w.result.max_stable_lr is None
    assert "no single stable rate" in w.stable.value
    w.surface.value = "well_conditioned"
    assert w.result.max_stable_lr == pytest.approx(2 / 1.5)


def test_lr_explorer_rejects_bad_settings():
    with pytest.raises(ValueError, match="surface"):
        widgets.learning_rate_explorer("saddle")
    with pytest.raises(ValueError, match="outside the slider range"):
        widgets.learning_rate_explorer(lr=100.0)
    with pytest.raises(ValueError, match="max_steps"):
        widgets.learning_rate_explorer(n_steps=500)
    with pytest.raises(ValueError, match="lr_range"):
        widgets.learning_rate_explorer(lr_range=(1.0, 0.1))


# ------------------------------------------------------------------ training explorer


def test_training_explorer_shows_the_run_of_explore_train():
    w = widgets.training_explorer("moons", lr=0.5, epochs=80, background=False)
    ref = explore.train("moons", lr=0.5, epochs=80, rng=0)
    np.testing.assert_array_equal(w.result.loss_history, ref.loss_history)
    assert w.progress.value == 80 == w.progress.max
    assert w.progress.bar_style == "success"
    assert f"accuracy={ref.accuracy:.3f}" in w.label.value
    assert w.runs == [{"settings": w.settings(), "status": "done", "epochs": 80}]


def test_each_control_reaches_the_training_run():
    w = widgets.training_explorer("moons", lr=0.5, epochs=60, background=False)
    first_png = w.image.value
    w.lr.value = 0.05
    assert w.result.settings.lr == pytest.approx(0.05)
    slow = w.result.loss_history[-1]
    w.lr.value = 1.0
    assert w.result.loss_history[-1] < slow  # a larger (still stable) rate learns faster here
    w.dataset.value = "circles"
    assert w.result.settings.dataset == "circles"
    w.hidden_width.value = 5
    assert w.result.model.layer_sizes == [2, 5, 1]
    w.activation.value = "relu"
    assert w.result.model.hidden == "relu"
    w.batch_size.value = 200
    assert w.result.settings.batch_size == 200
    w.epochs.value = 30
    assert w.result.epochs_run == 30 and w.progress.max == 30
    assert w.image.value != first_png
    assert [r["status"] for r in w.runs] == ["done"] * 8  # the first run and 7 changes


def test_a_huge_rate_is_shown_as_a_failure():
    w = widgets.training_explorer("moons", lr=0.5, epochs=60, background=False)
    good = w.result.loss_history[-1]
    w.lr.value = 100.0
    r = w.result
    assert r.diverged or r.loss_history[-1] > 5 * good
    if r.diverged:
        assert w.progress.bar_style == "danger" and "DIVERGED" in w.label.value


def test_a_new_setting_cancels_the_run_in_progress():
    w = widgets.training_explorer("spirals", lr=0.5, batch_size=1, epochs=5, background=True)
    assert w.runs[0]["status"] == "done"  # the first run is synchronous
    w.epochs.value = 1000  # a long background run (batch size 1: 200 steps per epoch)
    deadline = time.monotonic() + 20
    while w.runs[-1]["epochs"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert w.running and w.progress.value >= 1
    assert w.label.value.startswith("training... epoch")
    w.lr.value = 0.3  # replaces it with another long run
    w.epochs.value = 40  # and replaces that one too
    result = w.wait(timeout=60)
    statuses = [r["status"] for r in w.runs]
    assert statuses == ["done", "cancelled", "cancelled", "done"]
    assert 2 <= w.runs[1]["epochs"] < 1000 and w.runs[2]["epochs"] < 1000
    assert result.settings.epochs == 40 and result.settings.lr == pytest.approx(0.3)
    ref = explore.train("spirals", lr=w.lr.value, batch_size=1, epochs=40, rng=0)
    np.testing.assert_array_equal(result.loss_history, ref.loss_history)
    assert w.progress.value == 40 and not w.running
    assert w.label.value == ref.summary()


def test_training_explorer_rejects_bad_settings():
    with pytest.raises(ValueError, match="dataset"):
        widgets.training_explorer("digits")
    with pytest.raises(ValueError, match="rng"):
        widgets.training_explorer(rng=None)
    with pytest.raises(ValueError, match="activation"):
        widgets.training_explorer(activation="gelu")
    with pytest.raises(ValueError, match="outside the slider range"):
        widgets.training_explorer(lr=1e3)


# ------------------------------------------------------------------ backprop stepper


@pytest.mark.parametrize("name", list(explore.EXAMPLE_GRAPHS))
def test_stepping_to_the_end_gives_the_gradients_of_backward(name):
    w = widgets.backprop_stepper(name)
    n = len(w.frames) - 1
    assert w.label.value == f"step 0/{n}" and w.back_button.disabled
    pngs = {w.image.value}
    for _ in range(n):
        w.step_button.click()
        pngs.add(w.image.value)
    assert w.step_button.disabled and "done" in w.label.value
    assert len(pngs) == n + 1  # every step redraws
    root = explore.example_graph(name)
    root.backward()
    want = {v.label: v.grad for v in root.trace()[0] if v.label}
    assert w.grads().keys() == want.keys()
    for k, g in want.items():
        assert w.grads()[k] == pytest.approx(g, rel=1e-12), k
    w.step_button.click()  # at the end: nothing changes
    assert w.index == n


def test_each_step_shows_incoming_local_and_product():
    w = widgets.backprop_stepper("neuron")
    w.step()
    step = w.frame.step
    assert step.node.label == "L"
    text = w.explanation.value
    assert f"incoming gradient dL/dL = {step.upstream:.3f}" in text
    c = step.contributions[0]
    assert f"{c.local_grad:.3f}" in text and f"{c.child_grad_after:.3f}" in text
    assert c.product == pytest.approx(c.local_grad * step.upstream)
    assert w.grads()["L"] == 1.0


def test_accumulation_is_highlighted_where_a_node_feeds_several():
    w = widgets.backprop_stepper("shared")
    texts = []
    while not w.step_button.disabled:
        w.step_button.click()
        texts.append((w.frame, w.explanation.value))
    acc = [(f, t) for f, t in texts if f.accumulated]
    assert acc and all("accumulates" in t for _, t in acc)
    x = next(v for v in w.root.trace()[0] if v.label == "x")
    assert any(id(x) in f.accumulated for f, _ in acc)


def test_back_reset_and_graph_choice():
    w = widgets.backprop_stepper("neuron")
    w.step()
    w.step()
    assert w.index == 2
    w.back_button.click()
    assert w.index == 1 and w.label.value.startswith("step 1/")
    w.reset_button.click()
    assert w.index == 0 and w.grads()["x1"] == 0.0
    w.graph.value = "square"
    assert w.index == 0 and len(w.frames) == 3 and set(w.grads()) == {"x", "y", "z"}


def test_stepper_on_a_users_graph_leaves_it_alone():
    a, b = scalar.Value(0.5, "a"), scalar.Value(-1.5, "b")
    out = (a * b + a).sigmoid()
    out.label = "out"
    w = widgets.backprop_stepper(out)
    assert w.graph.value == "(your graph)"
    assert a.grad == 0.0 and b.grad == 0.0
    for _ in range(len(w.frames)):
        w.step()
    out.backward()
    assert w.grads()["a"] == pytest.approx(a.grad) and w.grads()["b"] == pytest.approx(b.grad)
    w.graph.value = "neuron"
    w.graph.value = "(your graph)"
    assert w.root is out
    with pytest.raises(ValueError, match="example graph"):
        widgets.backprop_stepper("lenet")


# ------------------------------------------------------------------ kernel-free explorers


def _frames(html: str, name: str) -> int:
    import re

    m = re.search(rf"data-explorer='{name}' data-frames='(\d+)'", html)
    assert m, f"no kernel-free {name} explorer in the widget's text/html"
    return int(m.group(1))


def test_each_widget_also_shows_a_kernel_free_explorer():
    lr = widgets.learning_rate_explorer("well_conditioned", lr=0.5, n_steps=10)
    stepper = widgets.backprop_stepper("square")
    training = widgets.training_explorer("xor", epochs=20, background=False)
    for w, name, n in [
        (lr, "learning-rate", len(explore.SURFACES) * len(lr.lr_grid())),
        (
            stepper,
            "backprop-stepper",
            sum(
                len(explore.backprop_frames(explore.example_graph(g)))
                for g in explore.EXAMPLE_GRAPHS
            ),
        ),
        (training, "training", len(training.LR_GRID)),
    ]:
        bundle = w._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle  # the live widget
        assert _frames(bundle["text/html"], name) == n
    # the learning rates are 4 a decade over the slider's range; the start is the nearest
    grid = lr.lr_grid()
    np.testing.assert_allclose(np.diff(np.log10(grid)), 0.25)
    html = lr.static_html()
    assert explore.descent("well_conditioned", lr=float(grid[11]), n_steps=10).summary() in html


def test_training_slider_positions_are_stored_runs():
    w = widgets.training_explorer("xor", lr=0.1, epochs=25, background=True)
    w.static_html()  # what displaying the widget does: trains every rate of the slider
    assert len(w.runs) == 1
    for lr in w.LR_GRID:
        w.lr.value = lr
        assert not w.running and w.runs[-1]["status"] == "done"  # shown at once
        ref = explore.train("xor", lr=lr, epochs=25, rng=0)
        np.testing.assert_array_equal(w.result.loss_history, ref.loss_history)
        assert w.label.value == ref.summary()
        assert w.progress.bar_style == ("danger" if ref.diverged else "success")
