"""The formulas of deck 003 (the W x deck), checked numerically (how a test
shows a slide's mistake, and how the decks' notations map to ours: ``slide_checks.py``).
"""

import numpy as np
import pytest
from slide_checks import agree, disagree, fd, to_params

from backprop_course import data, mlp, optim
from backprop_course.activations import sigmoid
from backprop_course.scalar import Value

# =============================================================================================
# Deck 003, the W x deck (column form, cross-entropy, closed forms)
# =============================================================================================


def test_003_loss_and_sgd_for_f_equal_W2_sigma_W1_x():
    """Slide "Loss function": f(x) = W_2 sigma(W_1 x), L = ||f(x) - y||^2, SGD updates
    W_i <- W_i - alpha grad_{W_i} L; "Training loss" = (1/n) sum_i L_i (mlp's mean)."""
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))

    def L(W1, W2, x, y):
        return float(np.sum((W2 @ sigmoid(W1 @ x) - y) ** 2))

    params = {"W1": W1.T, "b1": np.zeros(4), "W2": W2.T, "b2": np.zeros(2)}
    value, g = mlp.loss_and_grads(params, X, Y, "sigmoid", "identity", "mse")
    assert value == pytest.approx(np.mean([L(W1, W2, X[i], Y[i]) for i in range(5)]))
    num1 = fd(lambda V: np.mean([L(V, W2, X[i], Y[i]) for i in range(5)]), W1)
    num2 = fd(lambda V: np.mean([L(W1, V, X[i], Y[i]) for i in range(5)]), W2)
    assert agree(g["W1"].T, num1) and agree(g["W2"].T, num2)
    new = optim.sgd_step(params, g, lr=0.1)
    assert np.allclose(new["W1"].T, W1 - 0.1 * num1, atol=1e-8)


def _hypothesis(seed, sizes=(3, 4, 3, 1)):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [rng.normal(size=o) for o in sizes[1:]]
    return Ws, bs, rng.normal(size=sizes[0])


def _hyp_forward(Ws, bs, x):
    """z^[l] = W^[l] v^[l-1] + b^[l], v^[l] = sigma(z^[l]), v^[0] = x, y_hat = v^[3]."""
    vs, zs = [x], [None]
    for W, b in zip(Ws, bs, strict=True):
        zs.append(W @ vs[-1] + b)
        vs.append(sigmoid(zs[-1]))
    return zs, vs


def test_003_hypothesis_forward_matches_mlp():
    """Slide "Hypothesis": z^[1] = W^[1] x + b^[1], v^[1] = sigma(z^[1]), ..., y_hat =
    sigma(z^[3]); mlp with W_l = W^[l].T gives the same z and v."""
    Ws, bs, x = _hypothesis(0)
    zs, vs = _hyp_forward(Ws, bs, x)
    params = to_params(Ws, bs)
    _, cache = mlp.forward(params, x[None, :], "sigmoid", "sigmoid")
    for l in (1, 2, 3):
        assert np.allclose(cache[l][0][0], zs[l]) and np.allclose(cache[l][1][0], vs[l])


def test_003_cross_entropy_needs_brackets_and_sums_over_examples():
    """Slide "Hypothesis" (Loss, binary output): printed as -sum y log y_hat + (1 - y)
    log(1 - y_hat), the minus sign covers only the first term. The loss (and the slide's own
    dL/dy_hat) is -sum [y log y_hat + (1 - y) log(1 - y_hat)]; as a sum over examples it is
    n times mlp's mean."""
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, size=6)
    y = np.array([0, 1, 1, 0, 1, 0.0])
    printed = -np.sum(y * np.log(p)) + np.sum((1 - y) * np.log(1 - p))
    bracketed = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert disagree(printed, bracketed) and printed < bracketed
    s = np.log(p / (1 - p))[:, None]  # logits with sigmoid(s) = p
    identity_layer = {"W1": np.ones((1, 1)), "b1": np.zeros(1)}  # so that S = s
    mean, _ = mlp.loss_and_grads(identity_layer, s, y, "tanh", "sigmoid", "bce")
    assert bracketed == pytest.approx(6 * mean)
    slide_dldp = -y / p + (1 - y) / (1 - p)
    assert agree(slide_dldp, fd(lambda q: -np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)), p))
    assert disagree(
        slide_dldp, fd(lambda q: -np.sum(y * np.log(q)) + np.sum((1 - y) * np.log(1 - q)), p)
    )


def test_003_sigmoid_derivative():
    """Slide "What are the gradients?": dy_hat/dz^[3] = sigma'(z) = sigma(z)(1 - sigma(z))."""
    z = np.linspace(-6, 6, 25)
    assert agree(sigmoid(z) * (1 - sigmoid(z)), fd(lambda v: float(np.sum(sigmoid(v))), z))


def test_003_output_weight_gradient_sign():
    """Slide "What are the gradients?": dL/dW^[3] = (y - y_hat) v^[2]T. The sign is wrong:
    dL/dy_hat * sigma'(z^[3]) = (y_hat - y), so dL/dW^[3] = (y_hat - y) v^[2]T (and
    dz^[3]/dW^[3] = v^[2]T is right)."""
    Ws, bs, x = _hypothesis(2)
    for y in (0.0, 1.0):
        zs, vs = _hyp_forward(Ws, bs, x)
        y_hat = vs[3]

        def L(W3, y=y, v2=vs[2]):
            p = sigmoid(W3 @ v2 + bs[2])[0]
            return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)))

        num = fd(L, Ws[2])
        assert disagree(np.outer(y - y_hat, vs[2]), num)
        assert agree(np.outer(y_hat - y, vs[2]), num)
        # the pieces: dL/dy_hat * sigma'(z^[3]) collapses to y_hat - y
        piece = (-y / y_hat + (1 - y) / (1 - y_hat)) * y_hat * (1 - y_hat)
        assert np.allclose(piece, y_hat - y)


def test_003_dz_dW_is_v_transpose_only_for_a_single_output():
    """Slide "What are the gradients?": dz^[3]/dW^[3] = v^[2]T. With one output unit W^[3] is a
    row (1, d2) and the Jacobian of the scalar z^[3] is v^[2]T, of W^[3]'s shape (ERRATA #19, a
    note). For k outputs dz/dW has k * k * d2 entries (dz_i/dW_ab = [i = a] v_b), not the
    shape of W; what has W's shape is the gradient of the scalar loss, delta v^T, the only
    product of delta (k,) and v (d2,) that gives (k, d2)."""
    rng = np.random.default_rng(19)
    v = rng.normal(size=3)
    W_row = rng.normal(size=(1, 3))
    jac = fd(lambda W: float((W @ v)[0]), W_row)
    assert jac.shape == W_row.shape and agree(jac, v[None, :])
    k = 2
    W = rng.normal(size=(k, 3))
    full = np.stack([fd(lambda V, i=i: float((V @ v)[i]), W) for i in range(k)])
    assert full.shape == (k, k, 3)
    assert agree(full, np.einsum("ia,b->iab", np.eye(k), v))
    y = rng.uniform(size=k)

    def loss(V):
        return float(np.sum((sigmoid(V @ v) - y) ** 2))

    p = sigmoid(W @ v)
    delta = 2 * (p - y) * p * (1 - p)  # dL/dz
    grad = np.outer(delta, v)
    assert grad.shape == W.shape and agree(grad, fd(loss, W))


def test_003_chain_for_W2_and_b2():
    """Slide "What are the gradients?": dL/dW^[2] = dL/dy_hat dy_hat/dz^[3] dz^[3]/dv^[2]
    dv^[2]/dz^[2] dz^[2]/dW^[2] (and the same for b^[2]); evaluated,
    [(W^[3]T (y_hat - y)) * v^[2](1 - v^[2])] v^[1]T, the common factors shared with dL/dW^[3]."""
    Ws, bs, x = _hypothesis(3)
    y = 1.0
    zs, vs = _hyp_forward(Ws, bs, x)

    def L(W2=Ws[1], b2=bs[1]):
        v2 = sigmoid(W2 @ vs[1] + b2)
        p = sigmoid(Ws[2] @ v2 + bs[2])[0]
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)))

    common = (Ws[2].T @ (vs[3] - y)) * vs[2] * (1 - vs[2])
    assert agree(np.outer(common, vs[1]), fd(lambda W: L(W2=W), Ws[1]))
    assert agree(common, fd(lambda b: L(b2=b), bs[1]))


def test_003_computation_graph_examples():
    """Slides "Computation graphs" and "Chain rule": z = x + y (dz/dx = dz/dy = 1), z = x y
    (y and x), z = x^2 (2x), z = h(g(x)) (dz/dy dy/dx), and y = x^2, z = y^2: dz/dx = 4xy =
    4x^3; by the scalar graph and by finite differences."""
    for xv, yv in [(2.0, 3.0), (-1.5, 0.5)]:
        x, y = Value(xv, "x"), Value(yv, "y")
        z = x + y
        z.backward()
        assert (x.grad, y.grad) == (1.0, 1.0)
        z = x * y
        z.backward()
        assert (x.grad, y.grad) == (yv, xv)
        z = x**2
        z.backward()
        assert x.grad == pytest.approx(2 * xv)
        sq = x**2
        z = sq**2
        z.backward()
        assert x.grad == pytest.approx(4 * xv * sq.data) == pytest.approx(4 * xv**3)
        assert x.grad == pytest.approx(fd(lambda v: float(v[0] ** 4), np.array([xv]))[0])
        z = (x * 3.0).tanh()  # h(g(x)): dz/dx = dz/dg dg/dx
        z.backward()
        assert x.grad == pytest.approx((1 - np.tanh(3 * xv) ** 2) * 3)


def _closed_form_case(seed, h, k):
    rng = np.random.default_rng(seed)
    W1, W2 = rng.normal(size=(h, 3)), rng.normal(size=(k, h))
    x, y = rng.normal(size=3), rng.uniform(0, 1, size=k)
    v = sigmoid(W1 @ x)
    y_hat = sigmoid(W2 @ v)
    return W1, W2, x, y, v, y_hat


def _L(W1, W2, x, y):
    """Slide "Backpropagation": L = ||sigma(W_2 sigma(W_1 x)) - y||^2."""
    return float(np.sum((sigmoid(W2 @ sigmoid(W1 @ x)) - y) ** 2))


@pytest.mark.parametrize("k", [1, 2, 4])
def test_003_closed_form_gradient_for_W2(k):
    """Slide "Backpropagation": grad_{W_2} L = 2 R (.) y_hat (.) (1 - y_hat) v^T with
    R = y_hat - y (R is not defined on the slide; with R = y - y_hat the sign flips)."""
    W1, W2, x, y, v, y_hat = _closed_form_case(k, 4, k)
    R = y_hat - y
    num = fd(lambda W: _L(W1, W, x, y), W2)
    assert agree(np.outer(2 * R * y_hat * (1 - y_hat), v), num)
    assert disagree(np.outer(2 * -R * y_hat * (1 - y_hat), v), num)


def test_003_closed_form_gradient_for_W1_order_of_operations():
    """Slide "Backpropagation": grad_{W_1} L = 2 W_2^T R (.) y_hat (.) (1 - y_hat) (.) v (.)
    (1 - v) x^T. Read left to right, W_2^T R (hidden size) is multiplied by y_hat (output
    size): a shape error when the sizes differ, wrong values when they agree. The factor
    y_hat (1 - y_hat) belongs inside: [W_2^T (2 R (.) y_hat (.) (1 - y_hat))] (.) v (.) (1 - v)
    x^T. With a single output the two coincide (y_hat is a scalar)."""
    # correct form, for several shapes, against finite differences and mlp
    for seed, (h, k) in enumerate([(4, 2), (3, 3), (5, 1)]):
        W1, W2, x, y, v, y_hat = _closed_form_case(seed, h, k)
        R = y_hat - y
        right = np.outer((W2.T @ (2 * R * y_hat * (1 - y_hat))) * v * (1 - v), x)
        num = fd(lambda W, W2=W2, x=x, y=y: _L(W, W2, x, y), W1)
        assert agree(right, num)
        params = {"W1": W1.T, "b1": np.zeros(h), "W2": W2.T, "b2": np.zeros(k)}
        _, g = mlp.loss_and_grads(params, x[None, :], y[None, :], "sigmoid", "sigmoid", "mse")
        assert agree(g["W1"].T, num) and agree(g["W2"].T, np.outer(2 * R * y_hat * (1 - y_hat), v))

    def printed(W2, R, y_hat, v, x):
        return np.outer(2 * (W2.T @ R) * y_hat * (1 - y_hat) * v * (1 - v), x)

    W1, W2, x, y, v, y_hat = _closed_form_case(10, 4, 2)  # hidden 4, output 2
    with pytest.raises(ValueError, match="broadcast"):
        printed(W2, y_hat - y, y_hat, v, x)
    W1, W2, x, y, v, y_hat = _closed_form_case(11, 3, 3)  # equal sizes: runs, wrong values
    assert disagree(printed(W2, y_hat - y, y_hat, v, x), fd(lambda W: _L(W, W2, x, y), W1))
    W1, W2, x, y, v, y_hat = _closed_form_case(12, 4, 1)  # one output: they agree
    assert agree(printed(W2, y_hat - y, y_hat, v, x), fd(lambda W: _L(W, W2, x, y), W1))


def test_003_neural_network_loss_is_not_convex():
    """Slide "Non-convexity": a trained network and the same network with two hidden units
    swapped have the same loss, but the loss at their midpoint is higher, which a convex
    function cannot do."""
    X, y = data.moons(100, rng=0)
    model = mlp.MLP([2, 6, 1]).fit(X, y, epochs=150, batch_size=20, lr=0.5, rng=0)
    p = model.params_
    perm = np.arange(6)
    perm[[0, 1]] = [1, 0]
    q = {"W1": p["W1"][:, perm], "b1": p["b1"][perm], "W2": p["W2"][perm], "b2": p["b2"]}

    def loss(params):
        return mlp.loss_and_grads(params, X, y)[0]

    mid = {k: (p[k] + q[k]) / 2 for k in p}
    assert loss(p) == pytest.approx(loss(q), rel=1e-12)
    assert loss(mid) > loss(p) + 1e-3
