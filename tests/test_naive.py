"""Do the naive gradient methods give the right gradients, and count exactly what they do?"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_course import gradcheck, mlp, naive
from backprop_course.scalar import Value


def small_problem(loss="bce", seed=0, n=6):
    rng = np.random.default_rng(seed)
    d_out = 3 if loss == "ce" else 1
    params = mlp.init_params([2, 3, d_out], rng)
    params["b1"] = rng.normal(size=3)
    X = rng.normal(size=(n, 2))
    if loss == "ce":
        y = rng.integers(0, 3, size=n)
        output = "softmax"
    elif loss == "bce":
        y = rng.integers(0, 2, size=n)
        output = "sigmoid"
    else:
        y = rng.normal(size=n)
        output = "identity"
    return params, X, y, output


# ---- finite differences --------------------------------------------------------------------
def test_central_differences_match_backprop_and_count_2E_passes():
    params, X, y, output = small_problem("bce")
    _, grads = mlp.loss_and_grads(params, X, y, "tanh", output, "bce")

    def loss_fn(p):
        return mlp.loss_and_grads(p, X, y, "tanh", output, "bce")[0]

    r = naive.finite_difference_gradients(loss_fn, params, forward_madds=7)
    E = sum(v.size for v in params.values())
    assert r.n_forward == 2 * E and r.n_madds == 2 * E * 7
    for key in params:
        err = gradcheck.relative_error(r.grads[key], grads[key])
        assert np.all((err < 1e-6) | (np.abs(r.grads[key] - grads[key]) < 1e-9)), key


def test_one_sided_differences_take_E_plus_one_passes_and_are_less_accurate():
    params, X, y, output = small_problem("mse")
    _, grads = mlp.loss_and_grads(params, X, y, "tanh", output, "mse")

    def loss_fn(p):
        return mlp.loss_and_grads(p, X, y, "tanh", output, "mse")[0]

    one = naive.finite_difference_gradients(loss_fn, params, 1e-4, central=False)
    two = naive.finite_difference_gradients(loss_fn, params, 1e-4)
    E = sum(v.size for v in params.values())
    assert one.n_forward == E + 1 and one.n_madds is None

    def worst(r):
        return max(np.max(np.abs(r.grads[k] - grads[k])) for k in params)

    assert worst(one) < 1e-3  # error O(eps)
    assert worst(two) < 1e-7  # error O(eps^2)
    assert worst(two) < worst(one) / 100


def test_a_plain_array_of_any_shape_works_and_is_not_mutated():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    w_before = w.copy()
    r = naive.finite_difference_gradients(lambda v: float(np.sum(v**3)), w)
    assert r.grads.shape == (2, 2) and r.n_forward == 8
    np.testing.assert_allclose(r.grads, 3 * w**2, rtol=1e-8)
    np.testing.assert_array_equal(w, w_before)


def test_loss_fn_gets_copies_so_it_cannot_corrupt_params():
    params = {"a": np.array([1.0, 2.0]), "b": np.array([3.0])}
    before = {k: v.copy() for k, v in params.items()}

    def vandal(p):
        value = float(p["a"] @ p["a"] + p["b"][0] ** 2)
        p["a"][:] = 100.0  # mutating its argument must not leak anywhere
        p["b"] = None
        return value

    r = naive.finite_difference_gradients(vandal, params)
    np.testing.assert_allclose(r.grads["a"], [2.0, 4.0], rtol=1e-8)
    np.testing.assert_allclose(r.grads["b"], [6.0], rtol=1e-8)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


@pytest.mark.parametrize("loss", ["mse", "bce", "ce"])
@pytest.mark.parametrize("central", [True, False])
def test_mlp_finite_differences_match_backprop_and_cost_n_E_per_pass(loss, central):
    params, X, y, output = small_problem(loss, seed=3)
    _, grads = mlp.loss_and_grads(params, X, y, "tanh", output, loss)
    eps = 1e-6 if central else 1e-7
    r = naive.mlp_finite_difference_gradients(
        params, X, y, "tanh", output, loss, eps, central=central
    )
    E = naive.count_edges(params)
    passes = 2 * E if central else E + 1
    assert r.n_forward == passes and r.n_madds == passes * X.shape[0] * E
    tol = 1e-6 if central else 1e-5
    for key in params:
        np.testing.assert_allclose(r.grads[key], grads[key], rtol=tol, atol=1e-8)


def test_count_edges_counts_weights_and_biases():
    assert naive.count_edges([2, 3, 1]) == (2 + 1) * 3 + (3 + 1) * 1
    params = mlp.init_params([4, 5, 6, 2], rng=0)
    assert naive.count_edges(params) == sum(v.size for v in params.values())
    assert naive.count_edges([4, 5, 6, 2]) == naive.count_edges(params)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: naive.finite_difference_gradients(lambda w: 0.0, np.ones(2), 0.0), "eps"),
        (lambda: naive.finite_difference_gradients(lambda w: 0.0, np.ones(2), -1e-6), "eps"),
        (lambda: naive.finite_difference_gradients(lambda w: 0.0, np.array([np.nan])), "NaN"),
        (lambda: naive.finite_difference_gradients(lambda w: 0.0, {"w": [np.inf]}), "NaN"),
        (lambda: naive.finite_difference_gradients(lambda w: 0.0, {}), "empty"),
        (lambda: naive.finite_difference_gradients(lambda w: np.nan, np.ones(2)), "nan"),
        (lambda: naive.finite_difference_gradients(lambda w: "x", np.ones(2)), "number"),
        (lambda: naive.finite_difference_gradients(lambda w: w, np.ones(2)), "number"),
        (
            lambda: naive.finite_difference_gradients(lambda w: 0.0, np.ones(2), forward_madds=2.5),
            "forward_madds",
        ),
        (lambda: naive.count_edges([3]), "at least two"),
        (lambda: naive.count_edges([3, 0]), "at least two"),
        (lambda: naive.count_edges({"W1": np.ones((2, 2))}), "keys"),
        (
            lambda: naive.mlp_finite_difference_gradients(
                mlp.init_params([2, 1], rng=0), np.ones((3, 2)), [0, 1, 2]
            ),
            "0/1",
        ),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- the 1-D chain ------------------------------------------------------------------------
def chain_problem(T, seed=0):
    rng = np.random.default_rng(seed)
    return float(rng.uniform(0.5, 2)), rng.uniform(-1.5, 1.5, size=T), float(rng.normal())


def closed_form(a, ws, x):
    """dy_hat/dw_i = a x prod_{t != i} w_t."""
    return np.array([a * x * np.prod(np.delete(ws, i)) for i in range(ws.size)])


@pytest.mark.parametrize("T", [1, 2, 3, 7, 25])
def test_chain_forward_stores_every_node(T):
    a, ws, x = chain_problem(T)
    out = naive.chain_forward(a, ws, x)
    assert out.z.shape == (T + 1,) and out.z[0] == x and out.n_mults == T + 1
    for t in range(1, T + 1):
        assert out.z[t] == pytest.approx(x * np.prod(ws[:t]), rel=1e-12)
    assert out.y_hat == pytest.approx(a * x * np.prod(ws), rel=1e-12)


@pytest.mark.parametrize("T", [1, 2, 3, 7, 25])
def test_chain_gradients_agree_with_each_other_and_central_differences(T):
    a, ws, x = chain_problem(T, seed=T)
    ws_before = ws.copy()
    g_naive, _ = naive.naive_chain_gradients(a, ws, x)
    g_bp, _ = naive.backprop_chain_gradients(a, ws, x)
    g_fd, _ = naive.chain_finite_difference_gradients(a, ws, x)
    np.testing.assert_allclose(g_naive, closed_form(a, ws, x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g_bp, g_naive, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g_fd, g_bp, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(ws, ws_before)


def test_chain_gradients_agree_with_a_scalar_graph():
    a, ws, x = chain_problem(6, seed=42)
    w_nodes = [Value(w, f"w{i + 1}") for i, w in enumerate(ws)]
    z = Value(x, "x")
    for w in w_nodes:
        z = w * z
    y_hat = a * z
    y_hat.backward()
    g_bp, _ = naive.backprop_chain_gradients(a, ws, x)
    np.testing.assert_allclose(g_bp, [w.grad for w in w_nodes], rtol=1e-12)


@pytest.mark.parametrize("T", [1, 2, 3, 10, 64])
def test_chain_multiplication_counts_follow_their_formulas(T):
    a, ws, x = chain_problem(T)
    assert naive.naive_chain_gradients(a, ws, x)[1] == T * (T + 1) // 2
    assert naive.naive_chain_gradients(a, ws, x, include_forward=True)[1] == (
        T * (T + 1) // 2 + T + 1
    )
    assert naive.backprop_chain_gradients(a, ws, x)[1] == 2 * T - 1
    assert naive.backprop_chain_gradients(a, ws, x, include_forward=True)[1] == 3 * T
    assert naive.chain_finite_difference_gradients(a, ws, x)[1] == 2 * T * (T + 1)
    assert naive.chain_finite_difference_gradients(a, ws, x, central=False)[1] == (T + 1) ** 2


def test_chain_accepts_lists_and_numpy_scalars():
    g, n = naive.backprop_chain_gradients(np.float64(2.0), [1, 3, 0.5], np.int64(4))
    assert g.tolist() == [12.0, 4.0, 24.0] and n == 5


@pytest.mark.parametrize(
    "a, ws, x, match",
    [
        (1.0, [], 1.0, "at least one"),
        (1.0, [1.0, np.nan], 1.0, "NaN"),
        (1.0, [[1.0, 2.0]], 1.0, "1-D"),
        (1.0, ["a"], 1.0, "numeric"),
        ("1", [1.0], 1.0, "a must be a number"),
        (True, [1.0], 1.0, "a must be a number"),
        (1.0, [1.0], np.inf, "x must be finite"),
        (1.0, [1.0], None, "x must be a number"),
    ],
)
def test_bad_chain_input_raises_value_error(a, ws, x, match):
    for fn in (
        naive.chain_forward,
        naive.naive_chain_gradients,
        naive.backprop_chain_gradients,
        naive.chain_finite_difference_gradients,
    ):
        with pytest.raises(ValueError, match=match):
            fn(a, ws, x)
