"""The formulas of deck 001 (the training deck), checked numerically (how a test
shows a slide's mistake, and how the decks' notations map to ours: ``slide_checks.py``).
"""

import numpy as np
import pytest
from slide_checks import agree, fd

from backprop_course import mlp, naive, optim
from backprop_course.activations import relu

# =============================================================================================
# Deck 001, the training deck: "Neural Network: Training & Backpropagation"
# =============================================================================================


def _relu_net(seed, d=(3, 4, 3)):
    """W^[1] (d1, d0), W^[2] (d2, d1) column form, alpha (d2,), b; an example (x, y), chosen
    so that no pre-activation sits within 1e-2 of ReLU's kink."""
    while True:
        rng = np.random.default_rng(seed)
        W1, W2 = rng.normal(size=(d[1], d[0])), rng.normal(size=(d[2], d[1]))
        alpha, b = rng.normal(size=d[2]), float(rng.normal())
        x, y = rng.normal(size=d[0]), float(rng.normal())
        u1 = W1 @ x
        u2 = W2 @ relu(u1)
        if min(np.min(np.abs(u1)), np.min(np.abs(u2))) > 1e-2 and np.any(u2 > 0):
            return W1, W2, alpha, b, x, y
        seed += 1000


def _h(W1, W2, alpha, b, x):
    """Slide "Recap": h(x) = alpha^T ReLU(W^[2] ReLU(W^[1] x)) + b."""
    return float(alpha @ relu(W2 @ relu(W1 @ x)) + b)


def _relu_params(W1, W2, alpha, b):
    return {
        "W1": W1.T.copy(),
        "b1": np.zeros(W1.shape[0]),
        "W2": W2.T.copy(),
        "b2": np.zeros(W2.shape[0]),
        "W3": alpha[:, None].copy(),
        "b3": np.array([b]),
    }


def test_001_two_layer_relu_net_and_forward_loop_match_mlp():
    """Slides "Recap" and "A multi-layer fully connected neural network": h(x) =
    alpha^T ReLU(W^[2] ReLU(W^[1] x)) + b; z^[1] = x, z^[t+1] = ReLU(W^[t] z^[t]) for
    t = 1..T-1, y = alpha^T z^[T] + b (T = 3 here). Equal to mlp with hidden "relu", output
    "identity", W_l = W^[l].T, no hidden biases and W3 = alpha."""
    W1, W2, alpha, b, x, _ = _relu_net(0)
    z = x
    for W in (W1, W2):
        z = relu(W @ z)
    loop = float(alpha @ z + b)
    X = np.stack([x, -x, 2 * x])
    expected = [_h(W1, W2, alpha, b, v) for v in X]
    assert loop == pytest.approx(expected[0])
    out = mlp.predict(_relu_params(W1, W2, alpha, b), X, "relu", "identity")
    assert np.allclose(out[:, 0], expected)


def test_001_square_loss_gradients_for_every_parameter():
    """Slide "Training neural network via SGD": l(h(x), y) = (y_hat - y)^2 with trainable
    W^[1], W^[2], alpha, b: mlp's gradients (mapped back to the column form) agree with
    finite differences of the slide's h."""
    W1, W2, alpha, b, x, y = _relu_net(1)
    params = _relu_params(W1, W2, alpha, b)
    value, g = mlp.loss_and_grads(params, x[None, :], [y], "relu", "identity", "mse")
    assert value == pytest.approx((_h(W1, W2, alpha, b, x) - y) ** 2)
    assert agree(g["W1"].T, fd(lambda V: (_h(V, W2, alpha, b, x) - y) ** 2, W1))
    assert agree(g["W2"].T, fd(lambda V: (_h(W1, V, alpha, b, x) - y) ** 2, W2))
    assert agree(g["W3"][:, 0], fd(lambda v: (_h(W1, W2, v, b, x) - y) ** 2, alpha))
    num_b = fd(lambda v: (_h(W1, W2, alpha, v[0], x) - y) ** 2, np.array([b]))
    assert agree(g["b3"], num_b)


def test_001_minibatch_gradient_is_the_mean_of_per_example_gradients():
    """Slide "Training neural network via SGD" (mini-batch): g = sum_{(x,y) in D_i}
    grad l(h(x), y) / B, theta = theta - eta g. mlp's batch gradient is exactly this mean,
    and one SGD step is optim.sgd_step; the shuffled batches cover every example once."""
    W1, W2, alpha, b, _, _ = _relu_net(2)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=8)
    params = _relu_params(W1, W2, alpha, b)
    _, batch = mlp.loss_and_grads(params, X, Y, "relu", "identity", "mse")
    singles = [
        mlp.loss_and_grads(params, X[i : i + 1], Y[i : i + 1], "relu", "identity", "mse")[1]
        for i in range(8)
    ]
    for k in params:
        assert np.allclose(batch[k], sum(s[k] for s in singles) / 8)
    new = optim.sgd_step(params, batch, lr=0.1)
    assert all(np.allclose(new[k], params[k] - 0.1 * batch[k]) for k in params)
    seen = np.concatenate([yb for _, yb in optim.minibatches(X, np.arange(8), 3, rng=1)])
    assert sorted(seen.tolist()) == list(range(8))


@pytest.mark.parametrize("T", [1, 2, 5, 12])
def test_001_naive_chain_rule_costs_one_plus_dots_plus_T(T):
    """Slide "A naive algorithm": y_hat = a w_T ... w_2 w_1 x; dy_hat/dw_i as a product of
    chain factors costs T for w_1, T-1 for w_2, ..., 1 for w_T: 1 + 2 + ... + T = T(T+1)/2 =
    O(T^2). Backprop reuses dy_hat/dz_t: 2T - 1 multiplications. Both give the gradient of
    finite differences (and a prod_{j != i} w_j x)."""
    rng = np.random.default_rng(T)
    a, ws, x = 1.3, rng.uniform(0.5, 1.5, size=T), 0.8
    naive_g, n_naive = naive.naive_chain_gradients(a, ws, x)
    bp_g, n_bp = naive.backprop_chain_gradients(a, ws, x)
    assert n_naive == sum(range(1, T + 1)) == T * (T + 1) // 2
    assert n_bp == 2 * T - 1
    closed = np.array([a * x * np.prod(np.delete(ws, i)) for i in range(T)])
    num = fd(lambda w: naive.chain_forward(a, w, x).y_hat, ws)
    assert agree(naive_g, num) and agree(bp_g, num) and agree(closed, num)


def test_001_chain_rule_through_the_loss():
    """Slide "A naive algorithm": dL/dw_i = dL/dy_hat * dy_hat/dw_i (square loss)."""
    a, ws, x, y = 0.9, np.array([1.1, -0.7, 0.4]), 1.5, 0.2
    y_hat = naive.chain_forward(a, ws, x).y_hat
    dy, _ = naive.backprop_chain_gradients(a, ws, x)
    num = fd(lambda w: (naive.chain_forward(a, w, x).y_hat - y) ** 2, ws)
    assert agree(2 * (y_hat - y) * dy, num)


def _relu_layers(W1, W2, x):
    """Backward-pass notation: z^0 = x, u^t = W^[t] z^{t-1}, z^t = ReLU(u^t); T = 2."""
    u1 = W1 @ x
    z1 = relu(u1)
    u2 = W2 @ z1
    return x, u1, z1, u2, relu(u2)


def test_001_edge_derivative_is_upstream_times_relu_prime_times_input():
    """Slide "The backward Pass" (claim and proof): dy_hat/dw_{2,1}^t = dy_hat/dz_1^t *
    sigma'(u_1^t) * z_2^{t-1}, with w_{j,i}^t the edge from z_j^{t-1} to u_i^t (= W^[t][i, j]
    = our W_t[j, i]); every edge, both layers."""
    W1, W2, alpha, b, x, _ = _relu_net(3)
    z0, u1, z1, u2, z2 = _relu_layers(W1, W2, x)
    dz2 = alpha  # base case
    dz1 = W2.T @ (dz2 * (u2 > 0))
    for W, dz, u, z_prev, t in ((W1, dz1, u1, z0, 1), (W2, dz2, u2, z1, 2)):

        def yhat(V, t=t):
            return _h(V, W2, alpha, b, x) if t == 1 else _h(W1, V, alpha, b, x)

        num = fd(yhat, W)
        formula = np.array(
            [[dz[i] * (u[i] > 0) * z_prev[j] for j in range(W.shape[1])] for i in range(W.shape[0])]
        )
        assert agree(formula, num)


def test_001_scalar_w_ji_is_the_transposed_matrix_entry():
    """Slides "The backward Pass": du_1^t/dw_{2,1}^t = z_2^{t-1}, so w_{j,i}^t is the edge from
    node j of layer t-1 to node i of layer t, while the forward pass u^t = W^[t] z^{t-1} puts
    that edge at W^[t][i, j] (a notation slip: the scalar indices are the matrix's transposed).
    The slide's dy_hat/dw_{2,1} is the derivative by W^[t][0, 1] (0-based), not by W^[t][1, 0]."""
    W1, W2, alpha, b, x, _ = _relu_net(5)
    z0, u1, z1, u2, z2 = _relu_layers(W1, W2, x)
    dz2 = alpha
    slide = dz2[0] * (u2[0] > 0) * z1[1]  # dy_hat/dz_1 sigma'(u_1) z_2, nodes 1-based
    num = fd(lambda V: _h(W1, V, alpha, b, x), W2)
    assert slide == pytest.approx(num[0, 1], rel=1e-6)
    assert slide != pytest.approx(num[1, 0], rel=1e-3)


def test_001_base_case_and_induction_steps():
    """Slides "The backward Pass: base case" (dy_hat/dz_i^T = alpha_i; the slide writes a_i)
    and "induction step": step 1 dy_hat/du_i^t = dy_hat/dz_i^t sigma'(u_i^t); step 2
    dy_hat/dz_2^{t-1} = sum_i dy_hat/du_i^t w_{2,i}^t."""
    W1, W2, alpha, b, x, _ = _relu_net(4)
    z0, u1, z1, u2, z2 = _relu_layers(W1, W2, x)
    assert agree(alpha, fd(lambda z: float(alpha @ z + b), z2))  # base case, T = 2
    # step 1 at t = 2: y_hat as a function of u^2
    du2 = alpha * (u2 > 0)
    assert agree(du2, fd(lambda u: float(alpha @ relu(u) + b), u2))
    # step 2: y_hat as a function of z^1, node 2 (index 1) and all nodes
    dz1 = np.array([sum(du2[i] * W2[i, j] for i in range(len(u2))) for j in range(len(z1))])
    num = fd(lambda z: float(alpha @ relu(W2 @ z) + b), z1)
    assert agree(dz1, num)
    assert dz1[1] == pytest.approx(num[1], rel=1e-6)
