"""float32 end to end in ``mlp``, and the fused training step of ``MLP.fit`` against the public API.

``MLP.fit`` trains with ``mlp._TrainStep``, which updates its parameter arrays in place and fuses
the update into the weight-gradient product (see benchmarks/README.md for why). These tests pin
that it computes the same numbers as ``loss_and_grads`` followed by ``sgd_step``, and that a
float32 network stays float32 everywhere. No timings here: speed is measured in benchmarks/.
"""

import numpy as np
import pytest

from backprop_course import data, mlp
from backprop_course.optim import minibatches, sgd_step

CONFIGS = [  # (hidden, output, loss, n_outputs)
    ("tanh", "sigmoid", "bce", 1),
    ("relu", "softmax", "ce", 4),
    ("sigmoid", "identity", "mse", 2),
    ("identity", "tanh", "mse", 1),
    ("relu", "sigmoid", "mse", 3),
    ("tanh", "relu", "mse", 2),
]
# float64: rounding differences only (the fused gemm sums in another order); float32 likewise
TOL = {np.float64: 1e-12, np.float32: 2e-6}


def _problem(hidden, loss, k, n, dtype, seed=0, sizes=(3, 5, 4)):
    rng = np.random.default_rng(seed)
    params = mlp.init_params([*sizes, k], rng, hidden=hidden, dtype=dtype)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    if loss == "ce":
        y = rng.integers(0, k, n)
    elif loss == "bce":
        y = rng.integers(0, 2, (n, k))
    else:
        y = rng.standard_normal((n, k))
    return params, X, y


def _rel_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / (1.0 + np.max(np.abs(b))))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 2, 7])
@pytest.mark.parametrize(("hidden", "output", "loss", "k"), CONFIGS)
def test_fused_step_matches_loss_and_grads_then_sgd_step(hidden, output, loss, k, n, dtype):
    params, X, y = _problem(hidden, loss, k, n, dtype)
    value, grads = mlp.loss_and_grads(params, X, y, hidden, output, loss)
    expected = sgd_step(params, grads, lr=0.3)

    owned = {key: arr.copy() for key, arr in params.items()}
    Y = mlp.targets(y, n, k, loss, dtype)
    X_before, Y_before = X.copy(), Y.copy()
    step = mlp._TrainStep(owned, hidden, output, loss)
    fused_value = step(X, Y, 0.3)

    assert abs(fused_value - value) <= TOL[dtype] * (1 + abs(value))
    for key in params:
        assert owned[key].dtype == dtype
        assert _rel_diff(owned[key], expected[key]) <= TOL[dtype], key
    np.testing.assert_array_equal(X, X_before)  # the batch is read, never written
    np.testing.assert_array_equal(Y, Y_before)


def _work_array_ids(work) -> list[int]:
    ids = []
    for item in work:
        items = item if isinstance(item, list) else [item]
        ids += [id(a) for a in items if a is not None]
    return ids


def test_fused_step_updates_its_arrays_in_place_and_reuses_its_work_arrays():
    params, X, y = _problem("tanh", "ce", 3, 8, np.float64)
    Y = mlp.targets(y, 8, 3, "ce")
    owned = {key: arr.copy() for key, arr in params.items()}
    ids = {key: id(arr) for key, arr in owned.items()}
    step = mlp._TrainStep(owned, "tanh", "softmax", "ce")
    step(X, Y, 0.1)
    buffers = _work_array_ids(step._work[8])
    for _ in range(3):
        step(X, Y, 0.1)
    assert {key: id(arr) for key, arr in owned.items()} == ids
    assert not all(np.array_equal(owned[key], params[key]) for key in params)
    assert list(step._work) == [8]  # one set of work arrays per batch size, made once
    assert _work_array_ids(step._work[8]) == buffers


def test_fused_step_rejects_arrays_it_cannot_update_in_place():
    params = mlp.init_params([2, 3, 1], rng=0)
    params["W1"] = np.asfortranarray(params["W1"])
    with pytest.raises(ValueError, match="C-contiguous"):
        mlp._TrainStep(params, "tanh", "sigmoid", "bce")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_equals_a_loop_over_loss_and_grads_and_sgd_step(dtype):
    X, y = data.moons(90, rng=1)
    X = X.astype(dtype)
    model = mlp.MLP([2, 6, 5, 1], dtype=dtype).fit(X, y, epochs=4, batch_size=16, lr=0.5, rng=3)

    rng = np.random.default_rng(3)  # fit seeds the init and then the shuffling from one rng
    params = mlp.init_params([2, 6, 5, 1], rng, hidden="tanh", dtype=dtype)
    history = []
    for _ in range(4):
        total = 0.0
        for Xb, yb in minibatches(X, y, 16, rng):
            value, grads = mlp.loss_and_grads(params, Xb, yb)
            params = sgd_step(params, grads, lr=0.5)
            total += value * len(yb)
        history.append(total / len(y))

    np.testing.assert_allclose(model.loss_history_, history, rtol=50 * TOL[dtype])
    for key in params:
        assert model.params_[key].dtype == dtype
        assert _rel_diff(model.params_[key], params[key]) <= 50 * TOL[dtype], key


def test_float32_end_to_end():
    params = mlp.init_params([2, 8, 3], rng=0, dtype=np.float32)
    assert {arr.dtype for arr in params.values()} == {np.dtype(np.float32)}
    X, y = data.spirals(60, rng=0)  # float64 data: converted to the parameters' dtype
    y3 = y % 3
    out, cache = mlp.forward(params, X, "tanh", "softmax")
    assert out.dtype == np.float32
    assert all(A.dtype == np.float32 for _, A in cache)
    value, grads = mlp.loss_and_grads(params, X, y3, "tanh", "softmax", "ce")
    assert isinstance(value, float)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    assert mlp.predict(params, X, "tanh", "softmax").dtype == np.float32

    model = mlp.MLP([2, 8, 3], output="softmax", loss="ce", dtype=np.float32)
    model.fit(X, y3, epochs=30, batch_size=10, lr=0.3, rng=0)
    assert {arr.dtype for arr in model.params_.values()} == {np.dtype(np.float32)}
    assert model.predict_proba(X).dtype == np.float32
    assert np.all(np.isfinite(model.loss_history_))
    assert model.loss_history_[-1] < 0.8 * model.loss_history_[0]


@pytest.mark.parametrize(("hidden", "output", "loss", "k"), CONFIGS)
def test_float32_gradients_match_float64_within_float32_precision(hidden, output, loss, k):
    params, X, y = _problem(hidden, loss, k, 6, np.float64, seed=4)
    p32 = {key: arr.astype(np.float32) for key, arr in params.items()}
    p64 = {key: arr.astype(np.float64) for key, arr in p32.items()}  # the very same numbers
    X32 = X.astype(np.float32)
    v32, g32 = mlp.loss_and_grads(p32, X32, y, hidden, output, loss)
    v64, g64 = mlp.loss_and_grads(p64, X32.astype(np.float64), y, hidden, output, loss)
    assert abs(v32 - v64) <= 1e-5 * (1 + abs(v64))
    for key in g64:
        assert g32[key].dtype == np.float32
        scale = 1.0 + np.max(np.abs(g64[key]))
        assert np.max(np.abs(g32[key] - g64[key])) <= 1e-5 * scale, key


def test_single_example_weight_gradient_is_the_outer_product():
    params, X, y = _problem("tanh", "bce", 1, 1, np.float64, seed=5)
    _, cache = mlp.forward(params, X)
    delta = np.array([[0.7]])
    grads = mlp.backward(params, cache, delta)
    L = len(cache) - 1
    np.testing.assert_array_equal(grads[f"W{L}"], np.outer(cache[L - 1][1][0], delta[0]))


@pytest.mark.parametrize("output, loss, k", [("sigmoid", "bce", 1), ("softmax", "ce", 3)])
def test_fused_step_losses_stay_non_negative_when_training_blows_up(output, loss, k):
    # huge logits: summing the softplus terms and Y*S separately, then subtracting, cancelled
    # catastrophically and recorded losses like -1e69
    rng = np.random.default_rng(0)  # the run explore.train("moons", lr=1000, relu) makes
    X, y = data.DATASETS["moons"](200, rng)
    if k == 3:
        y = (y + (X[:, 0] > 0)) % 3  # a third class for softmax
    model = mlp.MLP([2, 8, k], hidden="relu", output=output, loss=loss)
    model.fit(X, y, epochs=20, batch_size=32, lr=1000.0, rng=rng)
    history = np.array(model.loss_history_)
    finite = history[np.isfinite(history)]
    assert finite.size and (finite >= 0).all(), history
    # and the same loss as the public function, where both are finite
    loss_pub, _ = mlp.loss_and_grads(model.params_, X, y, hidden="relu", output=output, loss=loss)
    assert loss_pub >= 0
