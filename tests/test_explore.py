"""Do the widgets' data functions compute what the widgets claim to show?"""

import dataclasses
import inspect
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from backprop_course import explore  # noqa: E402
from backprop_course.gradcheck import numerical_gradient  # noqa: E402

QUADRATICS = ["well_conditioned", "ill_conditioned"]


# ------------------------------------------------------------------ learning-rate explorer


@pytest.mark.parametrize("name", list(explore.SURFACES))
def test_surface_gradients_match_finite_differences(name):
    s = explore.SURFACES[name]
    rng = np.random.default_rng(3)
    for w in rng.uniform(-2, 2, size=(5, 2)):
        num = numerical_gradient(lambda v: float(s.f(v)), w)
        np.testing.assert_allclose(s.grad(w), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", QUADRATICS)
def test_quadratic_hessian_is_the_true_second_derivative(name):
    s = explore.SURFACES[name]
    H = np.column_stack([numerical_gradient(lambda v, i=i: float(s.grad(v)[i]), np.zeros(2))
                         for i in range(2)])  # fmt: skip
    np.testing.assert_allclose(H, s.hessian, atol=1e-6)
    assert s.max_stable_lr == pytest.approx(2 / np.linalg.eigvalsh(H).max(), rel=1e-6)


def test_stable_bounds_are_those_of_the_eigenvalues():
    assert explore.SURFACES["well_conditioned"].max_stable_lr == pytest.approx(2 / 1.5)
    assert explore.SURFACES["ill_conditioned"].max_stable_lr == pytest.approx(2 / 20)
    assert explore.SURFACES["nonconvex"].max_stable_lr is None


@pytest.mark.parametrize("name", QUADRATICS)
def test_descent_converges_just_below_and_diverges_just_above_the_stable_rate(name):
    lr_max = explore.SURFACES[name].max_stable_lr
    below = explore.descent(name, lr=0.97 * lr_max, n_steps=400)
    above = explore.descent(name, lr=1.03 * lr_max, n_steps=400)
    assert not below.diverged
    assert below.final_loss < 1e-6 * below.losses[0]
    assert above.diverged
    assert above.final_loss > 1e3 * above.losses[0]
    # the mode along the top eigenvector grows by |1 - lr lambda_max| per step
    rate = abs(1 - 1.03 * lr_max * np.linalg.eigvalsh(explore.SURFACES[name].hessian).max())
    ratio = above.losses[300] / above.losses[299]
    assert ratio == pytest.approx(rate**2, rel=1e-3)


def test_good_rate_decreases_the_loss_every_step_and_matches_the_update_rule():
    r = explore.descent("well_conditioned", lr=0.3, n_steps=25)
    assert np.all(np.diff(r.losses) < 0)
    s = explore.SURFACES["well_conditioned"]
    w = np.array(s.start)
    for t in range(25):
        w = w - 0.3 * s.grad(w)
        np.testing.assert_allclose(r.path[t + 1], w, rtol=1e-12)
    np.testing.assert_allclose(r.losses, [s.f(p) for p in r.path])


def test_above_the_bound_a_short_run_is_called_unstable_not_converging():
    t = np.radians(30)
    flat, steep = np.array([np.cos(t), np.sin(t)]), np.array([-np.sin(t), np.cos(t)])
    start = 3 * flat + 0.05 * steep  # mostly along the flat eigenvector (eigenvalue 1)
    r = explore.descent("ill_conditioned", lr=0.105, n_steps=2, start=start)
    assert not r.diverged and r.losses[-1] < r.losses[0]  # the flat direction still wins
    assert r.unstable and "unstable, not yet diverged" in r.summary()
    assert explore.descent("ill_conditioned", lr=0.105, n_steps=200, start=start).diverged
    assert explore.descent("ill_conditioned", lr=0.095, n_steps=2).unstable is False
    assert explore.descent("nonconvex", lr=0.05, n_steps=2).unstable is None


def test_overflow_is_divergence_with_nan_rows():
    r = explore.descent("ill_conditioned", lr=50.0, n_steps=300)
    assert r.diverged and math.isinf(r.final_loss)
    assert np.isnan(r.path[-1]).all()
    assert "DIVERGED" in r.summary()


def test_nonconvex_rate_decides_which_valley():
    right, left = sorted(r for r in np.roots([4, 0, -4, 0.3]).real if abs(r) > 0.5)[::-1]
    small = explore.descent("nonconvex", lr=0.05, n_steps=400)
    assert not small.diverged
    assert small.path[-1][0] == pytest.approx(right, abs=1e-6)  # nearer, shallower valley
    assert small.losses[-1] > small.f_min + 0.5
    jump = explore.descent("nonconvex", lr=0.1, n_steps=400)  # first step overshoots the hump
    assert jump.path[-1][0] == pytest.approx(left, abs=1e-6)
    assert jump.losses[-1] == pytest.approx(jump.f_min, abs=1e-9)
    assert explore.descent("nonconvex", lr=0.3, n_steps=400).diverged


def test_descent_start_is_used_and_not_modified():
    start = np.array([0.5, -0.25])
    r = explore.descent("well_conditioned", lr=0.1, n_steps=3, start=start)
    assert start.tolist() == [0.5, -0.25]
    assert r.path[0].tolist() == [0.5, -0.25]
    r.path[0, 0] = 99.0
    assert start[0] == 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"surface": "bowl"}, "surface"),
        ({"lr": 0.0}, "lr"),
        ({"lr": -1.0}, "lr"),
        ({"n_steps": 2.5}, "n_steps"),
        ({"start": [1.0, 2.0, 3.0]}, "start"),
        ({"start": [np.nan, 0.0]}, "start"),
    ],
)
def test_descent_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explore.descent(**kwargs)


# ------------------------------------------------------------------ training explorer


def test_train_is_deterministic_and_learns_with_a_good_rate():
    a = explore.train("moons", lr=0.5, epochs=120, rng=0)
    b = explore.train("moons", lr=0.5, epochs=120, rng=0)
    np.testing.assert_array_equal(a.loss_history, b.loss_history)
    assert a.epochs_run == 120 and not a.diverged and not a.stopped
    assert a.loss_history[-1] < 0.5 * a.loss_history[0]
    assert a.accuracy > 0.9
    assert a.accuracy == pytest.approx(np.mean(a.model.predict(a.X) == a.y))
    c = explore.train("moons", lr=0.5, epochs=120, rng=1)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("dataset", explore.TRAINING_DATASETS)
def test_every_dataset_trains(dataset):
    r = explore.train(dataset, lr=0.5, hidden_width=16, epochs=200, rng=0)
    assert r.X.shape == (200, 2) and set(np.unique(r.y)) == {0, 1}
    assert r.loss_history[-1] < r.loss_history[0]


def test_settings_reach_the_model():
    r = explore.train("circles", lr=0.1, batch_size=200, hidden_width=5, activation="relu",
                      epochs=7, hidden_layers=2, n_samples=60, rng=0)  # fmt: skip
    assert r.model.layer_sizes == [2, 5, 5, 1] or list(r.model.layer_sizes) == [2, 5, 5, 1]
    assert r.model.hidden == "relu"
    assert r.X.shape == (60, 2) and r.epochs_run == 7
    assert r.settings.batch_size == 200 and r.settings.lr == 0.1


def test_too_large_a_rate_diverges_or_fails_to_learn():
    good = explore.train("moons", lr=0.5, epochs=100, rng=0)
    bad = explore.train("moons", lr=200.0, epochs=100, rng=0)
    assert bad.diverged or bad.loss_history[-1] > 5 * good.loss_history[-1]


def test_callback_cancels_the_run():
    seen = []

    def cb(epoch, loss):
        seen.append((epoch, loss))
        return epoch < 4

    r = explore.train("xor", epochs=50, callback=cb, rng=0)
    assert r.stopped and r.epochs_run == 5 and len(seen) == 5
    full = explore.train("xor", epochs=50, rng=0)
    np.testing.assert_array_equal(r.loss_history, full.loss_history[:5])
    assert not explore.train("xor", epochs=5, callback=lambda e, l: e < 4, rng=0).stopped


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dataset": "blobs"}, "dataset"),
        ({"lr": 0}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"hidden_width": 0}, "hidden_width"),
        ({"activation": "softmax"}, "activation"),
        ({"epochs": 0}, "epochs"),
        ({"callback": 3}, "callback"),
    ],
)
def test_train_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explore.train(**kwargs)


# ------------------------------------------------------------------ backprop stepper


def _fresh_grads(name):
    root = explore.example_graph(name)
    root.backward()
    nodes, _ = root.trace()
    return [v.grad for v in nodes]


@pytest.mark.parametrize("name", list(explore.EXAMPLE_GRAPHS))
def test_last_frame_equals_backward(name):
    root = explore.example_graph(name)
    frames = explore.backprop_frames(root)
    nodes, _ = root.trace()
    final = frames[-1].grads
    np.testing.assert_allclose([final[id(v)] for v in nodes], _fresh_grads(name), rtol=1e-12)
    assert frames[0].grads[id(root)] == 1.0
    assert sum(frames[0].grads.values()) == 1.0
    assert [f.index for f in frames] == list(range(len(frames)))


def test_leaf_gradients_match_finite_differences():
    root = explore.example_graph("neuron")
    frames = explore.backprop_frames(root)
    leaf = {v.label: v for v in root.trace()[0] if v.label in ("x1", "x2", "w1", "w2", "b")}
    names = ["x1", "x2", "w1", "w2", "b"]

    def loss(z):  # L = (tanh(x1 w1 + x2 w2 + b) - 1)^2, the neuron example
        x1, x2, w1, w2, b = z
        return float((np.tanh(x1 * w1 + x2 * w2 + b) - 1.0) ** 2)

    z0 = np.array([leaf[n].data for n in names])
    assert loss(z0) == pytest.approx(root.data, rel=1e-12)
    num = numerical_gradient(loss, z0)
    got = np.array([frames[-1].grads[id(leaf[n])] for n in names])
    np.testing.assert_allclose(got, num, rtol=1e-6)


def test_frames_leave_the_users_graph_alone():
    root = explore.example_graph("neuron")
    nodes, _ = root.trace()
    for v in nodes:
        v.grad = 7.0
    explore.backprop_frames(root)
    assert all(v.grad == 7.0 for v in nodes)


def test_each_step_is_local_times_incoming_and_marks_accumulation():
    root = explore.example_graph("shared")
    frames = explore.backprop_frames(root)
    x = next(v for v in root.trace()[0] if v.label == "x")
    touched = set()
    for prev, frame in zip(frames, frames[1:], strict=False):
        step = frame.step
        assert step.upstream == pytest.approx(frames[-1].grads[id(step.node)])
        for c in step.contributions:
            assert c.product == pytest.approx(c.local_grad * step.upstream)
            assert (id(c.child) in frame.accumulated) == (id(c.child) in touched)
            touched.add(id(c.child))
        changed = {k for k in frame.grads if frame.grads[k] != prev.grads[k]}
        assert changed <= {id(c.child) for c in step.contributions}
    # x feeds u, v and f: it accumulates in two of its three contributions
    assert sum(id(x) in f.accumulated for f in frames) == 2
    assert "accumulates" in frames[-1].text


def test_square_graph_gives_four_x_cubed():
    frames = explore.backprop_frames(explore.example_graph("square"))
    root = explore.example_graph("square")
    x = root.trace()[0][0]
    got = explore.backprop_frames(root)[-1].grads[id(x)]
    assert got == pytest.approx(4 * 3.0**3)
    assert len(frames) == 3


def test_example_graphs_and_frames_reject_bad_input():
    with pytest.raises(ValueError, match="example graph"):
        explore.example_graph("resnet")
    with pytest.raises(ValueError, match="Value"):
        explore.backprop_frames(3.0)


def test_training_settings_are_normalised_and_frozen():
    s = explore.TrainingSettings("xor", lr=1, batch_size=np.int64(16), epochs=5)
    assert type(s.lr) is float and type(s.batch_size) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.lr = 2.0
    r = explore.train(**s.as_kwargs(), rng=0)
    assert r.settings == s and r.epochs_run == 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dataset": "blobs"}, "unknown dataset 'blobs'"),
        ({"lr": -1.0}, "lr must be a positive finite number"),
        ({"n_samples": 3}, "n_samples must be an integer >= 4"),
        ({"hidden_layers": -1}, "hidden_layers must be an integer >= 0"),
        ({"epochs": 2.5}, "epochs must be an integer >= 1"),
    ],
)
def test_training_settings_say_which_setting_is_wrong(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explore.TrainingSettings(**kwargs)


def test_train_and_the_training_widget_take_their_defaults_from_the_settings():
    from backprop_course import widgets

    defaults = explore.TrainingSettings().as_kwargs()
    for function in (explore.train, widgets.training_explorer, widgets.TrainingExplorer):
        params = inspect.signature(function).parameters
        got = {name: params[name].default for name in defaults if name in params}
        assert got == {name: defaults[name] for name in got}, function
        assert {"dataset", "lr", "batch_size", "hidden_width", "activation", "epochs"} <= set(got)


def test_a_rate_far_too_large_is_flagged_diverged_though_the_loss_stays_finite():
    # issue 21: at lr = 61.7 the loss jumps about in the hundreds without overflowing
    r = explore.train("spirals", lr=61.7, batch_size=16, hidden_width=24, epochs=300, rng=0)
    assert np.isfinite(r.loss_history).all()
    assert r.diverged and r.loss_history[-1] > r.loss_history[0]
    assert "DIVERGED" in r.summary() and np.isfinite(r.accuracy)
    good = explore.train("spirals", lr=0.5, batch_size=16, hidden_width=24, epochs=300, rng=0)
    assert not good.diverged and "DIVERGED" not in good.summary()
