"""Does per-node backprop agree with the matrix form and with central differences?"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from backprop_course import activations, backprop, gradcheck, mlp

HIDDEN = ["sigmoid", "tanh", "relu", "identity"]
OUTPUT_LOSS = [
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("identity", "mse"),
    ("sigmoid", "bce"),
    ("softmax", "ce"),
]
SHAPES = {"no_hidden": [3], "one_hidden": [3, 5], "deep": [3, 4, 3, 4]}


def make_problem(sizes_without_output, output, loss, n, seed):
    """Seeded params (with non-zero biases) and data for the given output/loss pair."""
    rng = np.random.default_rng(seed)
    d_out = 1 if loss == "bce" else 3 if loss == "ce" else 2
    sizes = [*sizes_without_output, d_out]
    params = mlp.init_params(sizes, rng)
    for key in params:
        if key.startswith("b"):
            params[key] = rng.normal(scale=0.3, size=params[key].shape)
    X = rng.normal(size=(n, sizes[0]))
    if loss == "mse":
        y = rng.normal(size=(n, d_out))
    elif loss == "bce":
        y = rng.integers(0, 2, size=n)
    else:
        y = rng.integers(0, d_out, size=n)
    return params, X, y


def rel_err(a, b):
    return float(np.max(gradcheck.relative_error(a, b), initial=0.0))


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("output, loss", OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("n", [1, 5])
def test_per_node_equals_matrix_form_and_finite_differences(hidden, output, loss, shape, n):
    seed = zlib.crc32(repr((hidden, output, loss, shape, n)).encode())  # stable across runs
    params, X, y = make_problem(SHAPES[shape], output, loss, n, seed)
    before = {k: v.copy() for k, v in params.items()}
    X_before = X.copy()

    result = backprop.per_node_backprop(params, X, y, hidden, output, loss)
    value, matrix = mlp.loss_and_grads(params, X, y, hidden, output, loss)

    assert result.loss == pytest.approx(value, rel=1e-12)
    assert set(result.grads) == set(params)
    for key in params:
        assert result.grads[key].shape == params[key].shape
        assert rel_err(result.grads[key], matrix[key]) < 1e-10, key

    def loss_fn(p):
        return mlp.loss_and_grads(p, X, y, hidden, output, loss)[0]

    check = gradcheck.check_gradients(loss_fn, params, result.grads, tol=1e-6)
    assert check.ok, str(check)

    # nothing the caller gave was changed
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_values_match_mlp_forward(hidden):
    params, X, _ = make_problem(SHAPES["deep"], "identity", "mse", 4, 7)
    result = backprop.per_node_backprop(params, X, np.zeros((4, 2)), hidden, "identity", "mse")
    _, cache = mlp.forward(params, X, hidden, "identity")
    np.testing.assert_allclose(result.a[0], X)
    for t in range(1, len(cache)):
        np.testing.assert_allclose(result.s[t], cache[t][0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(result.a[t], cache[t][1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("output, loss", OUTPUT_LOSS)
def test_deltas_are_derivatives_of_the_cost_wrt_each_pre_activation(output, loss):
    """delta_j = dL/ds_j: a bias b[j] shifts s_j one for one, so dL/db[j] = delta_j."""
    params, X, y = make_problem(SHAPES["deep"], output, loss, 3, 11)
    grads, deltas = backprop.per_node_gradients(
        params, X, y, "tanh", output, loss, return_deltas=True
    )
    L = mlp.n_layers(params)
    for k in range(X.shape[0]):  # one example at a time: the cost of that example
        x_k, y_k = X[k], y[k]

        def cost(p, x_k=x_k, y_k=y_k):
            xb, yb = x_k[None, :], np.asarray(y_k)[None]
            return mlp.loss_and_grads(p, xb, yb, "tanh", output, loss)[0]

        numeric = gradcheck.numerical_gradients(cost, params)
        for t in range(1, L + 1):
            np.testing.assert_allclose(deltas[t][k], numeric[f"b{t}"], rtol=1e-6, atol=1e-9)
    # the batch gradient of a bias is the mean delta, of a weight the mean of a_i delta_j
    for t in range(1, L + 1):
        np.testing.assert_allclose(grads[f"b{t}"], deltas[t].mean(axis=0), rtol=1e-12)


def test_one_example_gives_vectors_and_matches_a_batch_of_one():
    params, X, y = make_problem(SHAPES["deep"], "softmax", "ce", 1, 3)
    one = backprop.per_node_backprop(params, X[0], int(y[0]), "relu", "softmax", "ce")
    batch = backprop.per_node_backprop(params, X, y, "relu", "softmax", "ce")
    assert one.deltas[1].shape == (4,) and one.a[0].shape == (3,)
    assert batch.deltas[1].shape == (1, 4)
    assert one.loss == batch.loss
    for key in params:
        np.testing.assert_array_equal(one.grads[key], batch.grads[key])
    onehot = np.eye(3)[int(y[0])]
    again = backprop.per_node_gradients(params, X[0], onehot, "relu", "softmax", "ce")
    for key in params:
        np.testing.assert_array_equal(again[key], one.grads[key])


def test_slides_output_delta_for_squared_error():
    """delta_k = -2 (y - y_hat) sigma'(s_k) for L = (y - y_hat)^2 and a sigmoid output."""
    s_k, y = 0.3, 1.0
    y_hat = 1 / (1 + np.exp(-s_k))
    delta, cost = backprop.output_deltas(
        np.array([s_k]), np.array([y_hat]), np.array([y]), "sigmoid", "mse"
    )
    expected = -2 * (y - y_hat) * y_hat * (1 - y_hat)
    assert delta[0] == pytest.approx(expected, rel=1e-14)
    assert cost == pytest.approx((y - y_hat) ** 2, rel=1e-14)


def test_hidden_delta_is_sigma_prime_times_weighted_sum_of_next_deltas():
    """delta_i = sigma'(s_i) sum_j W_{t+1}[i, j] delta_j."""
    params, X, y = make_problem(SHAPES["deep"], "sigmoid", "mse", 1, 5)
    _, deltas = backprop.per_node_gradients(
        params, X[0], y[0], "sigmoid", "sigmoid", "mse", return_deltas=True
    )
    r = backprop.per_node_backprop(params, X[0], y[0], "sigmoid", "sigmoid", "mse")
    L = mlp.n_layers(params)
    for t in range(1, L):
        W_next = params[f"W{t + 1}"]
        for i in range(W_next.shape[0]):
            s = sum(deltas[t + 1][j] * W_next[i, j] for j in range(W_next.shape[1]))
            sp = activations.sigmoid_derivative(np.array(r.s[t][i]))
            assert deltas[t][i] == pytest.approx(float(sp) * s, rel=1e-12)
        # dL/dW_t[i, j] = a_i delta_j fills dW_t[i, j]
        np.testing.assert_allclose(r.grads[f"W{t}"], np.outer(r.a[t - 1], deltas[t]), rtol=1e-12)


def test_a_bias_is_the_weight_of_an_input_that_is_always_1():
    """The BP deck's view (a bias node x_0 = 1) and ours (a separate b) give the same gradient:
    fold b1 into W1 as the weights of an extra input column of ones."""
    params, X, y = make_problem(SHAPES["deep"], "sigmoid", "mse", 4, 13)
    folded = dict(params)
    folded["W1"] = np.vstack([params["W1"], params["b1"][None, :]])
    folded["b1"] = np.zeros_like(params["b1"])
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    ours = backprop.per_node_gradients(params, X, y, "tanh", "sigmoid", "mse")
    theirs = backprop.per_node_gradients(folded, X1, y, "tanh", "sigmoid", "mse")
    np.testing.assert_allclose(theirs["W1"][-1], ours["b1"], rtol=1e-12)
    np.testing.assert_allclose(theirs["W1"][:-1], ours["W1"], rtol=1e-12)
    assert not np.allclose(ours["b1"], 0.0)  # a zero gradient would make the check vacuous


def test_bce_loss_is_finite_for_saturated_outputs():
    params = {"W1": np.array([[50.0]]), "b1": np.array([0.0])}
    r = backprop.per_node_backprop(params, np.array([20.0]), 0.0, "tanh", "sigmoid", "bce")
    assert np.isfinite(r.loss) and r.loss == pytest.approx(1000.0)
    assert r.grads["W1"][0, 0] == pytest.approx(20.0)


def test_madds_counted_in_the_loops_follow_the_edge_formula():
    sizes = [3, 4, 5, 2]
    params = mlp.init_params(sizes, rng=0)
    X = np.ones((3, 3))
    r = backprop.per_node_backprop(params, X, np.zeros((3, 2)), "tanh", "identity", "mse")
    E = sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True))
    between_hidden = sum(a * b for a, b in zip(sizes[1:-1], sizes[2:], strict=True))
    assert r.n_madds == 3 * (2 * E + between_hidden)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(hidden="softplus"), "hidden activation"),
        (dict(output="linear"), "output activation"),
        (dict(loss="hinge"), "loss"),
        (dict(output="tanh", loss="bce"), "needs output='sigmoid'"),
        (dict(output="sigmoid", loss="ce"), "needs output='softmax'"),
        (dict(output="softmax", loss="mse"), "softmax"),
        (dict(x=np.ones(4)), "features"),
        (dict(x=np.ones((2, 4))), "features"),
        (dict(x=np.array([np.nan, 1.0, 2.0])), "NaN"),
        (dict(y=2.0), "0/1"),
        (dict(x=np.ones((2, 3)), y=[0.0, 1.0, 1.0]), "shape"),
        (dict(params={"W1": np.ones((3, 1))}), "keys"),
        (dict(params={"W1": np.ones((3, 2)), "b1": np.ones(1)}), "b1"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    args = dict(
        params=mlp.init_params([3, 2, 1], rng=0),
        x=np.ones(3),
        y=1.0,
        hidden="tanh",
        output="sigmoid",
        loss="bce",
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        backprop.per_node_gradients(**args)


def test_ce_rejects_a_class_index_out_of_range():
    params = mlp.init_params([2, 3], rng=0)
    with pytest.raises(ValueError, match="0..2"):
        backprop.per_node_gradients(params, np.ones(2), 3, "tanh", "softmax", "ce")


def test_forward_per_node_checks_its_input():
    params = mlp.init_params([2, 3], rng=0)
    s, a, n = backprop.forward_per_node(params, np.array([1.0, -1.0]), "tanh", "sigmoid")
    assert s[1].shape == (3,) and a[0].shape == (2,) and n == 9
    np.testing.assert_allclose(a[1], activations.sigmoid(s[1]))
    with pytest.raises(ValueError, match="one example"):
        backprop.forward_per_node(params, np.ones((2, 2)))
    with pytest.raises(ValueError, match="features"):
        backprop.forward_per_node(params, np.ones(3))


def test_output_deltas_checks_shapes():
    with pytest.raises(ValueError, match="1-D"):
        backprop.output_deltas(np.ones(2), np.ones(2), np.ones(3), "identity", "mse")
