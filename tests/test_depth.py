"""Do the deep-network statistics measure what lecture 8 says they do?

Each statistic is checked against a quantity computed another way: gradient norms against
``mlp.loss_and_grads`` and finite differences, dead units against a hand-made batch, the
variance formula against its prediction, and the forward/reverse-mode Jacobians against each
other and against finite differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course import autodiff, depth, gradcheck, mlp
from backprop_course.autodiff import Dual
from backprop_course.scalar import Value


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_layer_statistics_match_mlp_loss_and_grads(hidden):
    params, X, y = depth.deep_net(hidden, "xavier", depth=4, width=12, n=30, n_classes=3, rng=5)
    stats = depth.layer_statistics(params, X, y, hidden)
    loss, grads = mlp.loss_and_grads(params, X, y, hidden, "softmax", "ce")
    assert stats.loss == pytest.approx(loss, rel=1e-12)
    for l in range(1, 6):
        np.testing.assert_allclose(stats.weight_grads[l - 1], grads[f"W{l}"], rtol=1e-12)
        assert stats.grad_norm[l - 1] == pytest.approx(np.linalg.norm(grads[f"W{l}"]))
    A1 = np.tanh(X @ params["W1"]) if hidden == "tanh" else None
    if A1 is not None:
        assert stats.act_std[0] == pytest.approx(A1.std())
        assert stats.act_mean[0] == pytest.approx(A1.mean())
    assert stats.act_std.shape == stats.dead_fraction.shape == (4,)


def test_weight_gradients_agree_with_finite_differences():
    params, X, y = depth.deep_net("tanh", "lecun", depth=3, width=5, n=8, n_classes=3, rng=2)
    stats = depth.layer_statistics(params, X, y, "tanh")
    numeric = gradcheck.numerical_gradients(
        lambda p: mlp.loss_and_grads(p, X, y, "tanh", "softmax", "ce")[0], params
    )
    for l in range(1, 5):
        rel = gradcheck.relative_error(stats.weight_grads[l - 1], numeric[f"W{l}"])
        assert rel.max() < 1e-6


def test_sigmoid_gradients_vanish_towards_the_input_and_the_cures_keep_them_level():
    runs = depth.compare_inits(["sigmoid", "tanh", "relu"], ["lecun", "he"], depth=10, width=80)
    sig = runs[("sigmoid", "lecun")].grad_norm
    assert sig[0] / sig[-1] < 1e-4  # about a factor 4 lost per layer
    assert np.all(np.diff(sig) > 0)
    tanh = runs[("tanh", "lecun")].grad_norm
    relu = runs[("relu", "he")].grad_norm
    for g in (tanh, relu):
        assert 0.1 < g[0] / g[-1] < 10
    # He's scale keeps ReLU activations alive; LeCun's halves their variance every layer
    assert runs[("relu", "he")].act_std[-1] > 0.3
    assert runs[("relu", "lecun")].act_std[-1] < 0.05


def test_bad_scales_saturate_or_collapse_tanh():
    runs = depth.compare_inits(["tanh"], [1.0, 0.01], depth=8, width=80)
    big, small = runs[("tanh", 1.0)], runs[("tanh", 0.01)]
    saturated = np.mean(np.abs(big.activations[-1]) > 0.9)
    assert saturated > 0.5
    assert big.grad_norm[0] / big.grad_norm[-1] > 100  # exploding towards the input
    assert small.act_std[-1] < 1e-6 and small.grad_norm.max() < 1e-6


def test_dead_units_are_units_that_never_fire():
    A = np.array([[0.0, 1.0, 0.0, -0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert depth.dead_units(A).tolist() == [True, False, False, True]
    params, X, y = depth.deep_net("relu", "he", depth=2, width=6, n=10, n_classes=2, rng=0)
    params["b1"] = np.full(6, -100.0)  # every unit of layer 1 dead
    stats = depth.layer_statistics(params, X, y, "relu")
    assert stats.dead_fraction[0] == 1.0
    # a dead layer passes nothing back: the gradient of W1 is exactly zero
    assert stats.grad_norm[0] == 0.0
    with pytest.raises(ValueError, match="2-D"):
        depth.dead_units(np.zeros(3))


@pytest.mark.parametrize("inputs, var_w", [("normal", 0.01), ("relu", 0.02), ("normal", 0.5)])
def test_sampled_preactivation_variance_matches_the_formula(inputs, var_w):
    sampled, predicted = depth.sampled_preactivation_variance(
        100, var_w, inputs=inputs, n=40_000, rng=1
    )
    assert predicted == pytest.approx(100 * (0.5 if inputs == "relu" else 1) * var_w)
    assert sampled == pytest.approx(predicted, rel=0.03)


def test_bad_arguments_are_refused_with_a_message():
    with pytest.raises(ValueError, match="inputs"):
        depth.sampled_preactivation_variance(10, 0.1, inputs="uniform")
    with pytest.raises(ValueError, match="var_w"):
        depth.sampled_preactivation_variance(10, -0.1)
    with pytest.raises(ValueError, match="depth"):
        depth.deep_net("tanh", "lecun", depth=0)
    with pytest.raises(ValueError, match="init"):
        depth.deep_net("tanh", "glorot")
    with pytest.raises(ValueError, match="seed"):
        depth.compare_inits(["tanh"], ["lecun"], rng=np.random.default_rng(0))


def test_same_seed_same_statistics():
    a = depth.layer_statistics(*depth.deep_net("relu", "he", depth=3, width=9, rng=3), "relu")
    b = depth.layer_statistics(*depth.deep_net("relu", "he", depth=3, width=9, rng=3), "relu")
    np.testing.assert_array_equal(a.grad_norm, b.grad_norm)


# ---- autodiff -------------------------------------------------------------------------------


def _net(x, y, z):
    h = (0.5 * x - y * z).tanh()
    return [h * x + (z * z).sigmoid(), (h + 2.0).log() / (y.relu() + 1.0), (x - z).exp() ** 2]


def test_forward_and_reverse_jacobians_agree_with_finite_differences():
    x0 = [0.3, 0.7, -1.1]
    J_f, passes_f = autodiff.jacobian_forward(_net, x0)
    J_r, passes_r = autodiff.jacobian_reverse(_net, x0)
    eps = 1e-6
    J_num = np.empty((3, 3))
    for i in range(3):
        up, down = list(x0), list(x0)
        up[i] += eps
        down[i] -= eps
        f_up = [Value(v) for v in up]
        f_down = [Value(v) for v in down]
        J_num[:, i] = [
            (a.data - b.data) / (2 * eps) for a, b in zip(_net(*f_up), _net(*f_down), strict=True)
        ]
    np.testing.assert_allclose(J_f, J_num, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(J_r, J_f, rtol=1e-12, atol=1e-15)
    assert (passes_f, passes_r) == (3, 3)


def test_a_gradient_costs_n_forward_passes_but_one_reverse_pass():
    n = 7
    w = [0.1 * k for k in range(n)]

    def loss(*ws):
        total = 0.0
        for k, wk in enumerate(ws):
            total = total + (wk * (k + 1) - 0.5) ** 2
        return total

    g_f, passes_f = autodiff.forward_gradient(loss, w)
    g_r, passes_r = autodiff.reverse_gradient(loss, w)
    expected = [2 * (wk * (k + 1) - 0.5) * (k + 1) for k, wk in enumerate(w)]
    np.testing.assert_allclose(g_f, expected, rtol=1e-12)
    np.testing.assert_allclose(g_r, expected, rtol=1e-12)
    assert (passes_f, passes_r) == (n, 1)
    with pytest.raises(ValueError, match="one number"):
        autodiff.forward_gradient(lambda a, b: [a, b], [1.0, 2.0])


def test_an_unused_input_gets_a_zero_row_entry_in_reverse_mode():
    J, _ = autodiff.jacobian_reverse(lambda x, y: [x * y, x + 1.0], [2.0, 3.0])
    assert J.tolist() == [[3.0, 2.0], [1.0, 0.0]]


def test_dual_arithmetic_rules():
    x = Dual(2.0, 1.0)
    assert (x / 4).tangent == 0.25 and (1 / x).tangent == -0.25
    assert (3 - x).tangent == -1.0 and (x**3).tangent == 12.0
    assert Dual(0.0, 1.0).relu().tangent == 0.0 and Dual(1e-9, 1.0).relu().tangent == 1.0
    assert x.exp().tangent == pytest.approx(math.exp(2.0))
    assert Dual(0.0, 1.0).sigmoid().tangent == 0.25
    with pytest.raises(ValueError, match="finite"):
        Dual(float("nan"))
    with pytest.raises(ValueError, match="positive"):
        Dual(-1.0).log()
    with pytest.raises(ValueError, match="derivative"):
        Dual(0.0, 1.0) ** 0.5
    assert (Dual(0.0, 1.0) ** 2).tangent == 0.0
    with pytest.raises(ValueError, match="exponent"):
        x ** Dual(2.0)


@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_mlp_backward_is_a_chain_of_vector_jacobian_products(hidden):
    params = mlp.init_params([3, 5, 4, 2], rng=1, hidden=hidden)
    X = np.random.default_rng(2).normal(size=(4, 3))
    out, cache = mlp.forward(params, X, hidden, "identity")
    delta_3 = np.random.default_rng(3).normal(size=out.shape)
    grads = mlp.backward(params, cache, delta_3, hidden)
    for k in range(4):
        delta_2 = delta_3[k] @ autodiff.layer_jacobian(params, cache, 3, k, hidden)
        delta_1 = delta_2 @ autodiff.layer_jacobian(params, cache, 2, k, hidden)
        # the per-example contributions to dW1 are outer products of X[k] and delta_1
        grads_k = mlp.backward(
            params,
            [(s[k : k + 1] if s is not None else None, a[k : k + 1]) for s, a in cache],
            delta_3[k : k + 1],
            hidden,
        )
        np.testing.assert_allclose(grads_k["b1"], delta_1, atol=1e-14)
        np.testing.assert_allclose(grads_k["b2"], delta_2, atol=1e-14)
    assert grads["b1"].shape == (5,)
    with pytest.raises(ValueError, match="layer"):
        autodiff.layer_jacobian(params, cache, 1)


def test_cache_bytes_counts_every_kept_array():
    params = mlp.init_params([20, 30, 30, 5], rng=0)
    for n, dtype in ((64, np.float64), (10, np.float32)):
        p = {k: v.astype(dtype) for k, v in params.items()}
        _, cache = mlp.forward(p, np.ones((n, 20), dtype=dtype))
        item = np.dtype(dtype).itemsize
        assert autodiff.cache_bytes(cache) == item * n * (20 + 2 * (30 + 30 + 5))
