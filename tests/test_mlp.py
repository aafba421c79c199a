"""Does the matrix-form MLP keep its API, compute exact gradients (against central differences,
for every activation and loss, shallow and deep, batch 1 and larger), never mutate its inputs,
learn XOR and moons, and reject bad input with a clear ValueError?"""

import inspect
import time
import warnings

import numpy as np
import pytest

from backprop_course import activations, data, gradcheck, losses, mlp

HIDDEN = ["sigmoid", "tanh", "relu", "identity"]
# (output, loss, number of outputs)
HEADS = [
    ("sigmoid", "bce", 1),
    ("sigmoid", "bce", 2),
    ("softmax", "ce", 3),
    ("identity", "mse", 2),
    ("sigmoid", "mse", 1),
    ("tanh", "mse", 1),
    ("relu", "mse", 2),
]
DEPTHS = {"shallow": [3], "one_hidden": [3, 5], "deep": [3, 5, 4, 3]}


def _reference_loss(params, X, Y, hidden, output, loss):
    """The loss computed independently of mlp: plain loops over layers with numpy."""
    L = len(params) // 2
    A = X
    for l in range(1, L + 1):
        S = A @ params[f"W{l}"] + params[f"b{l}"]
        if l < L:
            A = activations.get(hidden).function(S)
    if loss == "ce":
        return losses.cross_entropy_with_logits(S, Y)
    if loss == "bce":
        return losses.binary_cross_entropy_with_logits(S, Y)
    return losses.squared_error(activations.get(output).function(S), Y)


def _targets(rng, n, k, loss):
    if loss == "ce":
        return rng.integers(0, k, size=n), None
    if loss == "bce":
        y = rng.integers(0, 2, size=(n, k)).astype(float)
    else:
        y = rng.normal(size=(n, k))
    return (y[:, 0] if k == 1 else y), None


def _away_from_kinks(params, X, hidden, output):
    _, cache = mlp.forward(params, X, hidden, output)
    return min(np.min(np.abs(S)) for S, _ in cache[1:])


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("head", HEADS, ids=lambda h: f"{h[0]}-{h[1]}-{h[2]}")
@pytest.mark.parametrize("depth", sorted(DEPTHS))
@pytest.mark.parametrize("n", [1, 6])
def test_gradients_match_central_differences(hidden, head, depth, n):
    output, loss, k = head
    sizes = DEPTHS[depth] + [k]
    seed = 0
    while True:  # a deterministic seed whose pre-activations stay clear of ReLU's kink
        rng = np.random.default_rng(seed)
        params = mlp.init_params(sizes, rng=rng, hidden=hidden)
        params = {key: v + 0.3 * rng.normal(size=v.shape) for key, v in params.items()}
        X = rng.normal(size=(n, sizes[0]))
        y, _ = _targets(rng, n, k, loss)
        value, grads = mlp.loss_and_grads(params, X, y, hidden=hidden, output=output, loss=loss)
        # ... and whose last layer is not dead (all-zero gradients would check nothing)
        alive = np.min(np.abs(grads[f"W{len(sizes) - 1}"]).max(axis=0)) > 1e-6
        if _away_from_kinks(params, X, hidden, output) > 1e-3 and alive:
            break
        seed += 1
    Y = mlp.targets(y, n, k, loss)
    ref = _reference_loss(params, X, Y, hidden, output, loss)
    assert value == pytest.approx(ref, rel=1e-10, abs=1e-12)
    assert set(grads) == set(params)
    assert all(grads[key].shape == params[key].shape for key in params)
    result = gradcheck.check_gradients(
        lambda p: _reference_loss(p, X, Y, hidden, output, loss),
        params,
        grads,
        tol=1e-6,
        atol=1e-9,
    )
    assert result.ok, str(result)


def _signature(f):
    return [
        (p.name, None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(f).parameters.values()
    ]


def test_public_signatures_are_the_frozen_api():
    assert _signature(mlp.init_params) == [
        ("sizes", None),
        ("rng", None),
        ("hidden", "tanh"),
        ("dtype", np.float64),
        ("init", None),  # added for lecture 8: a scheme or a fixed standard deviation
    ]
    assert _signature(mlp.loss_and_grads) == [
        ("params", None),
        ("X", None),
        ("y", None),
        ("hidden", "tanh"),
        ("output", "sigmoid"),
        ("loss", "bce"),
    ]
    assert _signature(mlp.forward)[:2] == [("params", None), ("X", None)]
    assert [n for n, _ in _signature(mlp.forward)] == ["params", "X", "hidden", "output"]
    assert [n for n, _ in _signature(mlp.backward)] == ["params", "cache", "delta_L", "hidden"]
    assert [n for n, _ in _signature(mlp.predict)] == ["params", "X", "hidden", "output"]
    assert _signature(mlp.MLP.__init__) == [
        ("self", None),
        ("layer_sizes", None),
        ("hidden", "tanh"),
        ("output", "sigmoid"),
        ("loss", "bce"),
        ("dtype", np.float64),
    ]
    assert _signature(mlp.MLP.fit) == [
        ("self", None),
        ("X", None),
        ("y", None),
        ("epochs", 100),
        ("batch_size", 32),
        ("lr", 0.1),
        ("rng", None),
        ("callback", None),
    ]
    X, y = data.moons(20, rng=0)
    model = mlp.MLP([2, 3, 1])
    assert model.fit(X, y, epochs=2, rng=0) is model
    assert model.predict_proba(X).shape == (20, 1) and model.predict(X).shape == (20,)
    assert isinstance(model.score(X, y), float) and isinstance(model.loss_history_, list)
    assert model.diverged_ is False


def test_init_params_api_shapes_and_seed():
    p = mlp.init_params([2, 8, 8, 1], rng=0)
    assert list(p) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    shapes = {k: v.shape for k, v in p.items()}
    assert shapes == {
        "W1": (2, 8),
        "b1": (8,),
        "W2": (8, 8),
        "b2": (8,),
        "W3": (8, 1),
        "b3": (1,),
    }
    assert all(v.dtype == np.float64 for v in p.values())
    assert all(np.all(p[f"b{l}"] == 0) for l in (1, 2, 3))
    q = mlp.init_params([2, 8, 8, 1], rng=0)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    r = mlp.init_params([2, 8, 8, 1], rng=1)
    assert not np.array_equal(p["W1"], r["W1"])


def test_init_scale_is_lecun_or_he():
    big = mlp.init_params([400, 400], rng=0)["W1"]
    assert big.std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    he = mlp.init_params([400, 400], rng=0, hidden="relu")["W1"]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_init_schemes_give_their_variance_and_keep_the_default_draws():
    sizes = [300, 200, 100]
    for scheme, var in {
        "lecun": lambda i, o: 1 / i,
        "xavier": lambda i, o: 2 / (i + o),
        "he": lambda i, o: 2 / i,
    }.items():
        p = mlp.init_params(sizes, rng=0, init=scheme)
        for l, (i, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=False), start=1):
            assert p[f"W{l}"].var() == pytest.approx(var(i, o), rel=0.03), (scheme, l)
            assert mlp.init_std(i, o, scheme) == pytest.approx(np.sqrt(var(i, o)), rel=1e-12)
    # the default is LeCun for tanh and He for ReLU, draw for draw
    for hidden, scheme in (("tanh", "lecun"), ("relu", "he")):
        a = mlp.init_params(sizes, rng=4, hidden=hidden)
        b = mlp.init_params(sizes, rng=4, hidden="sigmoid", init=scheme)
        assert all(np.array_equal(a[k], b[k]) for k in a)
    fixed = mlp.init_params([500, 400], rng=1, init=0.01)["W1"]
    assert fixed.std() == pytest.approx(0.01, rel=0.02)


@pytest.mark.parametrize("init", ["glorot", -1.0, 0, float("nan"), True])
def test_init_refuses_unknown_schemes_and_non_positive_scales(init):
    with pytest.raises(ValueError, match="init"):
        mlp.init_params([3, 2], rng=0, init=init)


def test_forward_cache_and_predict():
    rng = np.random.default_rng(0)
    p = mlp.init_params([2, 4, 3], rng=0)
    X = rng.normal(size=(5, 2))
    out, cache = mlp.forward(p, X, "tanh", "softmax")
    assert out.shape == (5, 3) and len(cache) == 3
    assert cache[0][0] is None and np.array_equal(cache[0][1], X)
    S1 = X @ p["W1"] + p["b1"]
    assert np.allclose(cache[1][0], S1) and np.allclose(cache[1][1], np.tanh(S1))
    assert np.allclose(out.sum(axis=1), 1.0)
    assert np.allclose(mlp.predict(p, X, "tanh", "softmax"), out)


def test_public_backward_equals_loss_and_grads():
    rng = np.random.default_rng(3)
    p = mlp.init_params([3, 4, 1], rng=3)
    X = rng.normal(size=(7, 3))
    y = rng.integers(0, 2, size=7)
    _, grads = mlp.loss_and_grads(p, X, y, "tanh", "sigmoid", "bce")
    out, cache = mlp.forward(p, X, "tanh", "sigmoid")
    delta = (out - y[:, None]) / 7  # sigmoid + cross-entropy
    g2 = mlp.backward(p, cache, delta, "tanh")
    assert all(np.allclose(grads[k], g2[k]) for k in p)
    with pytest.raises(ValueError, match="delta_L must have shape"):
        mlp.backward(p, cache, delta[:3], "tanh")


def test_batch_gradient_is_the_mean_of_per_example_gradients():
    rng = np.random.default_rng(4)
    p = mlp.init_params([2, 6, 1], rng=4)
    X = rng.normal(size=(8, 2))
    y = rng.integers(0, 2, size=8)
    _, batch = mlp.loss_and_grads(p, X, y)
    singles = [mlp.loss_and_grads(p, X[i : i + 1], y[i : i + 1])[1] for i in range(8)]
    for k in p:
        assert np.allclose(batch[k], np.mean([g[k] for g in singles], axis=0))


def test_no_input_is_mutated():
    rng = np.random.default_rng(5)
    p = mlp.init_params([2, 5, 1], rng=5)
    X = rng.normal(size=(20, 2))
    y = rng.integers(0, 2, size=20)
    saved = ({k: v.copy() for k, v in p.items()}, X.copy(), y.copy())
    mlp.loss_and_grads(p, X, y)
    mlp.predict(p, X)
    out, cache = mlp.forward(p, X)
    mlp.backward(p, cache, np.ones_like(out))
    model = mlp.MLP([2, 5, 1]).fit(X, y, epochs=3, batch_size=4, lr=0.1, rng=0)
    model.predict(X)
    assert all(np.array_equal(p[k], saved[0][k]) for k in p)
    assert np.array_equal(X, saved[1]) and np.array_equal(y, saved[2])
    # the fitted parameters are the model's own arrays
    assert not any(np.shares_memory(model.params_[k], p[k]) for k in p)


def test_learns_xor():
    X, y = data.xor(200, rng=0)
    model = mlp.MLP([2, 8, 1], hidden="tanh").fit(X, y, epochs=300, batch_size=20, lr=0.5, rng=0)
    assert model.score(X, y) >= 0.98
    # the four noiseless corners too
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    assert model.predict(corners).tolist() == [0, 0, 1, 1]
    assert model.loss_history_[-1] < 0.5 * model.loss_history_[0]


def test_reaches_95_percent_on_moons_in_a_few_seconds():
    X, y = data.moons(400, rng=0, noise=0.1)
    start = time.perf_counter()
    model = mlp.MLP([2, 16, 16, 1], hidden="tanh").fit(
        X, y, epochs=200, batch_size=32, lr=0.5, rng=0
    )
    elapsed = time.perf_counter() - start
    assert model.score(X, y) >= 0.95
    assert elapsed < 5.0
    assert len(model.loss_history_) == 200 and not model.diverged_
    assert np.all(np.isfinite(model.loss_history_))


def test_fit_is_reproducible_and_softmax_predicts_class_indices():
    X, y = data.spirals(150, rng=0)
    a = mlp.MLP([2, 16, 2], output="softmax", loss="ce").fit(X, y, epochs=5, lr=0.2, rng=3)
    b = mlp.MLP([2, 16, 2], output="softmax", loss="ce").fit(X, y, epochs=5, lr=0.2, rng=3)
    assert a.loss_history_ == b.loss_history_
    assert set(a.predict(X).tolist()) <= {0, 1}
    assert a.predict_proba(X).shape == (150, 2)


def test_divergence_is_reported_without_warnings():
    X, y = data.moons(50, rng=0)
    model = mlp.MLP([2, 8, 1], hidden="relu", output="identity", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y * 1e3, epochs=50, batch_size=50, lr=50.0, rng=0)
    assert model.diverged_
    assert not np.isfinite(model.loss_history_[-1])
    assert len(model.loss_history_) < 50


def test_callback_returning_false_stops_training():
    X, y = data.moons(40, rng=0)
    seen = []

    def callback(epoch, loss):
        seen.append((epoch, loss))
        return epoch < 2

    model = mlp.MLP([2, 4, 1]).fit(X, y, epochs=20, lr=0.1, rng=0, callback=callback)
    assert [e for e, _ in seen] == [0, 1, 2]
    assert len(model.loss_history_) == 3
    assert [v for _, v in seen] == model.loss_history_


# --- bad input ----------------------------------------------------------------------------


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    return mlp.init_params([2, 3, 1], rng=0), rng.normal(size=(4, 2)), np.array([0, 1, 1, 0])


def test_wrong_shapes(small):
    p, X, y = small
    with pytest.raises(ValueError, match="X has 3 features but W1 expects 2"):
        mlp.loss_and_grads(p, np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="2-D"):
        mlp.predict(p, np.zeros(2))
    with pytest.raises(ValueError, match=r"y must have shape \(4,\) or \(4, 1\)"):
        mlp.loss_and_grads(p, X, y[:3])
    with pytest.raises(ValueError, match=r"y must have shape"):
        mlp.MLP([2, 3, 1]).fit(X, np.zeros((4, 2)), epochs=1)
    with pytest.raises(ValueError, match="shape"):
        mlp.MLP([2, 3, 1]).fit(X, y, epochs=1).score(X, y[:2])


@pytest.mark.parametrize("labels", [[-1, 1, 1, -1], [0, 2, 1, 0], [0.5, 1, 1, 0]])
def test_score_refuses_labels_predict_never_returns(small, labels):
    p, X, y = small
    model = mlp.MLP([2, 3, 1]).fit(X, y, epochs=1, rng=0)
    with pytest.raises(ValueError, match=r"class labels 0\.\.1"):
        model.score(X, np.array(labels))


def test_params_given_as_lists_are_refused_with_a_clear_error(small):
    p, X, y = small
    as_lists = {k: v.tolist() for k, v in p.items()}
    with pytest.raises(ValueError, match=r"params\['W1'\] must be a numpy array, got list"):
        mlp.loss_and_grads(as_lists, X, y)
    with pytest.raises(ValueError, match="must be a numpy array"):
        mlp.predict(as_lists, X)


@pytest.mark.parametrize("labels", [[-1, 1, 1, -1], [0, 2, 1, 0], [0.5, 1, 1, 0]])
def test_labels_outside_the_set_for_bce(small, labels):
    p, X, _ = small
    with pytest.raises(ValueError, match="bce needs 0/1 labels"):
        mlp.loss_and_grads(p, X, np.array(labels))
    with pytest.raises(ValueError, match="0/1 labels"):
        mlp.MLP([2, 3, 1]).fit(X, np.array(labels), epochs=1)


def test_pm1_labels_message_points_to_the_perceptron(small):
    p, X, _ = small
    with pytest.raises(ValueError, match="perceptron"):
        mlp.loss_and_grads(p, X, np.array([-1, 1, 1, -1]))


def test_class_labels_outside_range_for_ce():
    p = mlp.init_params([2, 3, 3], rng=0)
    with pytest.raises(ValueError, match=r"class labels must be integers in 0..2, found \[3\]"):
        mlp.loss_and_grads(p, np.zeros((2, 2)), np.array([0, 3]), output="softmax", loss="ce")


@pytest.mark.parametrize("lr", [0, -0.5, np.nan, "big"])
def test_non_positive_learning_rate(small, lr):
    _, X, y = small
    with pytest.raises(ValueError, match="lr must be a positive"):
        mlp.MLP([2, 3, 1]).fit(X, y, epochs=1, lr=lr)


def test_nan_in_the_data(small):
    p, X, y = small
    bad = X.copy()
    bad[2, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN.*row 2, column 0"):
        mlp.loss_and_grads(p, bad, y)
    with pytest.raises(ValueError, match="NaN"):
        mlp.MLP([2, 3, 1]).fit(bad, y, epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        mlp.loss_and_grads(p, X, np.array([0.0, np.nan, 1.0, 0.0]), output="identity", loss="mse")
    with pytest.raises(ValueError, match="NaN|0/1"):
        mlp.loss_and_grads(p, X, np.array([0.0, np.nan, 1.0, 0.0]))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"hidden": "softplus"}, "unknown hidden activation 'softplus'"),
        ({"output": "sigmod"}, "unknown output activation 'sigmod'"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"output": "identity", "loss": "bce"}, "loss 'bce' needs output='sigmoid'"),
        ({"output": "softmax", "loss": "mse"}, "softmax"),
    ],
)
def test_unknown_names_and_mismatched_pairs(small, kwargs, match):
    p, X, y = small
    with pytest.raises(ValueError, match=match):
        mlp.loss_and_grads(p, X, y, **kwargs)
    with pytest.raises(ValueError, match=match):
        mlp.MLP([2, 3, 1], **kwargs).fit(X, y, epochs=1)


def test_unknown_names_in_forward_and_init(small):
    p, X, _ = small
    with pytest.raises(ValueError, match="unknown hidden activation"):
        mlp.forward(p, X, hidden="gelu")
    with pytest.raises(ValueError, match="unknown hidden activation"):
        mlp.init_params([2, 3], hidden="gelu")


def test_mismatched_params(small):
    p, X, y = small
    with pytest.raises(ValueError, match="keys W1..WL and b1..bL"):
        mlp.loss_and_grads({"W1": p["W1"], "b1": p["b1"], "W2": p["W2"]}, X, y)
    with pytest.raises(ValueError, match=r"b1 must have shape \(3,\)"):
        mlp.loss_and_grads(dict(p, b1=np.zeros(4)), X, y)
    with pytest.raises(ValueError, match="W2 has 5 rows but layer 1 has 3 units"):
        mlp.loss_and_grads(dict(p, W2=np.zeros((5, 1))), X, y)
    with pytest.raises(ValueError, match="W1 must be 2-D"):
        mlp.loss_and_grads(dict(p, W1=np.zeros(2)), X, y)
    with pytest.raises(ValueError, match="dict"):
        mlp.predict([p["W1"], p["b1"]], X)


@pytest.mark.parametrize("sizes", [[2], [2, 0, 1], [2, -3], [2, 2.5]])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="size"):
        mlp.init_params(sizes)


def test_bad_epochs_and_batch_size(small):
    _, X, y = small
    with pytest.raises(ValueError, match="epochs"):
        mlp.MLP([2, 3, 1]).fit(X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        mlp.MLP([2, 3, 1]).fit(X, y, batch_size=0)
    with pytest.raises(ValueError, match="not fitted"):
        mlp.MLP([2, 3, 1]).predict(X)
