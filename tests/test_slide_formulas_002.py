"""The formulas of deck 002 (Hajij's deck), checked numerically (how a test
shows a slide's mistake, and how the decks' notations map to ours: ``slide_checks.py``).
"""

import numpy as np
import pytest
from slide_checks import agree, disagree, dsigmoid, fd, to_params

from backprop_course import backprop, data, gradcheck, mlp, optim, perceptron
from backprop_course.activations import sigmoid

# =============================================================================================
# Deck 002, Hajij's deck: "The Backpropagation Algorithm"
# =============================================================================================


def _separable(seed=0, n=40):
    X, y = data.blobs(n, rng=seed)
    return X.astype(float), y.astype(float)


def test_002_points_on_the_plane_w_is_orthogonal_and_b_is_minus_w_x0():
    """Slide "Training Perceptron" (facts): for x_1, x_2 on w^T x + b = 0,
    w^T (x_1 - x_2) = 0, and b = -w^T x_0 for any x_0 on the plane."""
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=4), 1.7
    P = rng.normal(size=(5, 4))
    on_plane = P - ((P @ w + b) / (w @ w))[:, None] * w  # project onto the plane
    assert np.allclose(on_plane @ w + b, 0.0, atol=1e-12)
    assert np.allclose((on_plane[1:] - on_plane[0]) @ w, 0.0, atol=1e-12)
    assert np.allclose(-(on_plane @ w), b)


def test_002_sign_of_d_gives_the_side_and_d_over_norm_w_is_the_distance():
    """Slide "Training Perceptron": d = w^T (x' - x_0) = w^T x' + b, used to see "where [a
    point] is located with respect to the plane". Right: the sign of d tells the side. The deck
    never calls d a distance (ERRATA #3, withdrawn); the Euclidean distance is |d| / ||w||, equal
    to |d| only when ||w|| = 1."""
    rng = np.random.default_rng(1)
    w, b = np.array([3.0, 4.0]), -2.0  # ||w|| = 5
    x0 = np.array([2.0, -1.0])  # on the plane: 6 - 4 - 2 = 0
    assert w @ x0 + b == 0.0
    X = rng.normal(size=(10, 2)) * 3
    slide_d = (X - x0) @ w
    assert np.allclose(slide_d, X @ w + b)
    assert np.allclose(perceptron.signed_distance(X, w, b), slide_d)
    # the Euclidean distance from x' to the plane: drop the component along the plane
    t = np.array([-4.0, 3.0]) / 5  # unit vector along the plane (orthogonal to w)
    true = np.array([np.linalg.norm(x - x0 - ((x - x0) @ t) * t) for x in X])
    assert disagree(np.abs(slide_d), true)  # off by the factor ||w|| = 5
    assert agree(np.abs(perceptron.signed_distance(X, w, b, normalize=True)), true, atol=1e-6)
    # with ||w|| = 1 the slide's d is the distance
    assert agree(np.abs(X @ (w / 5) + b / 5), true, atol=1e-6)


def test_002_d_i_is_negative_for_misclassified_points():
    """Slide "Training Perceptron": d_i = y_i (w^T x_i + b), "Note that d_i >= 0". That holds
    only for correctly classified points; on a misclassified one d_i < 0, which is why the
    criterion -sum_M d_i is >= 0."""
    X, y = _separable(2)
    w, b = np.array([1.0, 0.3]), 0.2  # some line, not the separating one
    d = y * (X @ w + b)
    wrong = perceptron.misclassified(X, y, w, b)
    assert wrong.any() and np.all(d[wrong] <= 0) and np.any(d[wrong] < 0)
    assert np.all(d[~wrong] > 0)
    assert perceptron.criterion(X, y, w, b) == pytest.approx(-np.sum(d[wrong]))
    assert perceptron.criterion(X, y, w, b) > 0


def test_002_criterion_gradient_has_a_minus_sign():
    """Slide "Training Perceptron": error(w, b) = -sum_M y_i (w^T x_i + b), with
    d error/dw = sum_M y_i x_i and d error/db = sum_M y_i. The sign is wrong: the gradient is
    -sum_M y_i x_i and -sum_M y_i. (The slide also writes b_0 for b.)"""
    X, y = _separable(3)
    w, b = np.array([0.4, -1.0]), 0.3
    M = perceptron.misclassified(X, y, w, b)
    assert M.any() and np.min(np.abs(X @ w + b)) > 1e-3  # away from the kinks
    num_w = fd(lambda v: perceptron.criterion(X, y, v, b), w)
    num_b = fd(lambda v: perceptron.criterion(X, y, w, v[0]), np.array([b]))[0]
    slide_w, slide_b = y[M] @ X[M], np.sum(y[M])
    assert disagree(slide_w, num_w) and disagree(slide_b, num_b)
    assert agree(-slide_w, num_w) and agree(-slide_b, num_b)
    dw, db = perceptron.criterion_gradient(X, y, w, b)
    assert agree(dw, num_w) and agree(db, num_b)


def test_002_batch_gradient_descent_on_the_criterion():
    """Slide "Training Perceptron" (repeat until convergence): w_new = w_old - eta d error/dw,
    b_new = b_old - eta d error/db, with the correct gradient, lowers the criterion and, on
    separable data, ends with every point classified."""
    X, y = _separable(4)
    w, b = np.array([0.1, -0.2]), 0.0
    start = perceptron.criterion(X, y, w, b)
    for _ in range(200):
        if perceptron.criterion(X, y, w, b) == 0:
            break
        w, b = perceptron.batch_gd_step(X, y, w, b, lr=0.01)
    assert perceptron.criterion(X, y, w, b) == 0 < start
    assert not perceptron.misclassified(X, y, w, b).any()


def _sgd_perceptron(X, y, sign_w, bias_rule, epochs=100, lr=1.0):
    """The per-example loop of the slide with a chosen sign and bias rule; returns the final
    number of misclassified points."""
    w, b = np.zeros(2), 0.0  # every point starts on the plane, so misclassified
    for _ in range(epochs):
        for i in range(len(y)):
            if y[i] * (X[i] @ w + b) <= 0:
                w = w + sign_w * lr * y[i] * X[i]
                b = b + bias_rule(lr, y[i], X[i])
        if np.all(y * (X @ w + b) > 0):
            break
    return int(np.sum(y * (X @ w + b) <= 0))


def test_002_sgd_update_sign_and_bias_term():
    """Slide "Training Perceptron" (Stochastic gradient descent): w_new = w_old - q y_i x_i,
    b_new = b_old - q x_i. Both are wrong: the step on a misclassified point's term
    -y_i (w^T x_i + b) is w + q y_i x_i and b + q y_i (the bias gets y_i, a number, not x_i, a
    vector)."""
    X, y = _separable(5)
    w, b, lr = np.array([-0.5, 1.0]), -0.2, 0.1
    i = int(np.argmin(y * (X @ w + b)))
    assert y[i] * (X[i] @ w + b) < 0
    term_w = fd(lambda v: -y[i] * (X[i] @ v + b), w)
    term_b = fd(lambda v: -y[i] * (X[i] @ w + v[0]), np.array([b]))[0]
    gd_w, gd_b = w - lr * term_w, b - lr * term_b
    slide_w, slide_b = w - lr * y[i] * X[i], b - lr * X[i]
    assert disagree(slide_w, gd_w)
    assert np.shape(slide_b) == (2,)  # "b - q x_i" is not even a number
    new_w, new_b = perceptron.sgd_update(X[i], y[i], w, b, lr)
    assert agree(new_w, gd_w) and new_b == pytest.approx(gd_b)
    assert agree(new_w, w + lr * y[i] * X[i]) and new_b == pytest.approx(b + lr * y[i])
    # the slide's rule pushes the point further to the wrong side; ours pulls it back
    assert y[i] * (X[i] @ slide_w + b) < y[i] * (X[i] @ w + b) < y[i] * (X[i] @ new_w + new_b)
    # and only the corrected loop separates the data ("if the examples are linearly
    # separable then the above model classifies the points")
    assert _sgd_perceptron(X, y, +1, lambda q, yi, xi: q * yi) == 0
    assert _sgd_perceptron(X, y, -1, lambda q, yi, xi: -q * yi) > 0


def test_002_perceptron_separates_separable_data_but_not_xor():
    """Slides "Training Perceptron" (converges if linearly separable) and "Neural Network"
    (some data cannot be classified by a single perceptron): blobs are separated, XOR is not."""
    X, y = _separable(6, n=200)
    assert perceptron.Perceptron(rng=0).fit(X, y).converged_
    Xx, yx = data.xor(40, rng=0, labels=(-1, 1))
    with pytest.warns(perceptron.ConvergenceWarning):
        model = perceptron.Perceptron(max_epochs=30, rng=0).fit(Xx, yx)
    assert not model.converged_


def test_002_gradient_points_where_f_increases_fastest():
    """Slide "General Gradient Decent Algorithm": the gradient is the direction of fastest
    change (increase): over unit directions u, the slope grad f . u is largest, ||grad f||, at
    u = grad f / ||grad f||."""
    rng = np.random.default_rng(0)

    def f(w):
        return float(np.sum(np.sin(w)) + w @ w)

    w = rng.normal(size=3)
    g = fd(f, w)
    U = rng.normal(size=(2000, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    h = 1e-6
    slopes = np.array([(f(w + h * u) - f(w - h * u)) / (2 * h) for u in U[:200]])
    assert np.all(slopes <= np.linalg.norm(g) + 1e-6)
    best = g / np.linalg.norm(g)
    assert (f(w + h * best) - f(w - h * best)) / (2 * h) == pytest.approx(np.linalg.norm(g))


def test_002_gradient_descent_loop_range_skips_a_coordinate():
    """Slide "General Gradient Decent Algorithm": "For every i in range(1,d): w_i := w_i - q
    df/dw_i (simultaneous update)". Python's range(1, d) is 1..d-1, so one coordinate is never
    updated; the loop must visit all d coordinates, all evaluated at the old point."""
    c = np.array([1.0, -2.0, 3.0])

    def grad(w):
        return 2 * (w - c)  # f = ||w - c||^2

    d, q = 3, 0.25
    slide = np.zeros(d)
    right = np.zeros(d)
    for _ in range(30):
        g_s, g_r = grad(slide), grad(right)
        for i in range(1, d):  # as printed
            slide[i] = slide[i] - q * g_s[i]
        for i in range(d):
            right[i] = right[i] - q * g_r[i]
    assert slide[0] == 0.0 and disagree(slide, c)
    assert agree(right, c)
    path = optim.gradient_descent(grad, np.zeros(d), lr=q, n_steps=30)
    assert np.allclose(path[-1], right)


def test_002_simultaneous_update_differs_from_one_at_a_time():
    """Slide "General Gradient Decent Algorithm": "here we do simultaneous update". Updating
    coordinates one after another (each using the already updated ones) is a different
    algorithm; optim.gradient_descent does the simultaneous one."""

    def grad(w):  # f(x, y) = x y + x^2 + y^2
        return np.array([w[1] + 2 * w[0], w[0] + 2 * w[1]])

    w0, q = np.array([1.0, 2.0]), 0.3
    simultaneous = w0 - q * grad(w0)
    sequential = w0.copy()
    for i in range(2):
        sequential[i] -= q * grad(sequential)[i]
    assert disagree(simultaneous, sequential)
    assert np.allclose(optim.gradient_descent(grad, w0, q, 1)[1], simultaneous)


@pytest.mark.parametrize("lam", [0.5, 4.0])
def test_002_gradient_descent_is_non_increasing_only_for_small_steps(lam):
    """Slide "General Gradient Decent Algorithm": "f(old w_i) >= f(new w_i)". True for a small
    enough learning rate; on f = (lambda/2) w^2 it holds iff eta <= 2/lambda, and for
    eta > 2/lambda f grows at every step."""

    def f(w):
        return 0.5 * lam * float(w[0] ** 2)

    for eta, holds in [(0.5 / lam, True), (1.9 / lam, True), (2.1 / lam, False), (3 / lam, False)]:
        path = optim.gradient_descent(lambda w: lam * w, np.array([1.0]), eta, 20)
        values = np.array([f(w) for w in path])
        assert bool(np.all(np.diff(values) <= 0)) == holds
        if not holds:
            assert np.all(np.diff(values) > 0)


def test_002_gradient_descent_non_increasing_with_step_one_over_l():
    """Slide "General Gradient Decent Algorithm" (non-increasing values): on a smooth function
    whose gradient is L-Lipschitz, eta <= 1/L is enough (descent lemma); checked on a random
    convex quadratic, and broken at eta = 2.5/L."""
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    A = Q @ np.diag([0.1, 1.0, 3.0, 10.0]) @ Q.T
    L = 10.0
    w0 = rng.normal(size=4)
    ok = optim.gradient_descent(lambda w: A @ w, w0, 1 / L, 50)
    bad = optim.gradient_descent(lambda w: A @ w, w0, 2.5 / L, 50)
    fvals = [np.einsum("ti,ij,tj->t", p, A, p) / 2 for p in (ok, bad)]
    assert np.all(np.diff(fvals[0]) <= 1e-15)
    assert fvals[1][-1] > fvals[1][0]


def _hajij_net(seed, sizes=(3, 4, 3, 1)):
    """Column-form weights U_t (d_t, d_{t-1}) with U_t[i, l] = u_il, no biases, as on the
    slides (a_i = sum_l u_il z_l, z_i = sigma(a_i)), and an example (x, y)."""
    rng = np.random.default_rng(seed)
    Us = [rng.normal(size=(o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    return Us, rng.normal(size=sizes[0]), 0.7


def _hajij_forward(Us, x, start=0, a_start=None):
    """a and z of every layer; optionally restart at layer `start` from pre-activations."""
    z = x
    As, Zs = [None], [x]
    for t, U in enumerate(Us, start=1):
        a = U @ z
        if t == start:
            a = a_start
        z = sigmoid(a)
        As.append(a)
        Zs.append(z)
    return As, Zs


def _hajij_cost(Us, x, y, start=0, a_start=None):
    _, Zs = _hajij_forward(Us, x, start, a_start)
    return float((y - Zs[-1][0]) ** 2)  # C_0 = (y - y')^2


def test_002_forward_pass_in_slide_notation_matches_mlp():
    """Slides "Feedforward Neural Network": a^(0) = x, a^(l) = sigma(W^(l) a^(l-1) + b^(l))
    (column form); and "Backpropagation": a_i = sum_l u_il z_l, z_i = sigma(a_i). With
    W^(l) = our W_l.T (u_il = W_l[l, i]) both equal mlp.forward."""
    rng = np.random.default_rng(7)
    sizes = [3, 5, 2]
    Wc = [rng.normal(size=(o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    bc = [rng.normal(size=o) for o in sizes[1:]]
    x = rng.normal(size=3)
    a = x
    for W, b in zip(Wc, bc, strict=True):
        a = sigmoid(W @ a + b)
    params = to_params(Wc, bc)
    out, cache = mlp.forward(params, x[None, :], "sigmoid", "sigmoid")
    assert np.allclose(out[0], a)
    # per node: a_i = sum_l u_il z_l (+ bias), z_i = sigma(a_i)
    z_prev = x
    for t, U in enumerate(Wc, start=1):
        a_nodes = np.array(
            [sum(U[i, l] * z_prev[l] for l in range(U.shape[1])) for i in range(U.shape[0])]
        )
        a_nodes += bc[t - 1]
        assert np.allclose(cache[t][0][0], a_nodes)
        z_prev = sigmoid(a_nodes)
        assert np.allclose(cache[t][1][0], z_prev)


def test_002_output_delta_is_minus_two_residual_times_sigma_prime():
    """Slide "Backpropagation" (output layer): delta_k = dC_0/da_k = -2 (y - y') sigma'(a_k)
    for C_0 = (y - y')^2 and y' = sigma(a_k)."""
    Us, x, y = _hajij_net(0)
    As, Zs = _hajij_forward(Us, x)
    a_k = As[-1]
    delta_k = -2 * (y - Zs[-1]) * dsigmoid(a_k)
    num = fd(lambda a: _hajij_cost(Us, x, y, start=len(Us), a_start=a), a_k)
    assert agree(delta_k, num)


def _hajij_deltas(Us, x, y):
    """delta of every layer by the slide's rules (*)."""
    As, Zs = _hajij_forward(Us, x)
    L = len(Us)
    deltas = {L: -2 * (y - Zs[L]) * dsigmoid(As[L])}
    for t in range(L - 1, 0, -1):
        U_next = Us[t]  # U_next[j, i] = u_ji
        deltas[t] = np.array(
            [
                dsigmoid(As[t][i])
                * sum(deltas[t + 1][j] * U_next[j, i] for j in range(len(As[t + 1])))
                for i in range(len(As[t]))
            ]
        )
    return As, Zs, deltas


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_002_hidden_delta_rule_and_weight_gradient(seed):
    """Slide "Backpropagation" (in summary): delta_i = sigma'(a_i) sum_j delta_j u_ji (*) and
    dC_0/du_il = delta_i z_l, against finite differences of C_0 with respect to each a_i and
    each u_il, and against mlp and backprop.per_node_gradients (u_il = W[l, i])."""
    Us, x, y = _hajij_net(seed)
    As, Zs, deltas = _hajij_deltas(Us, x, y)
    for t in range(1, len(Us)):
        num = fd(lambda a, t=t: _hajij_cost(Us, x, y, start=t, a_start=a), As[t])
        assert agree(deltas[t], num)
    for t, U in enumerate(Us, start=1):
        grad_u = np.outer(deltas[t], Zs[t - 1])  # [i, l] = delta_i z_l

        def cost(V, t=t):
            trial = list(Us)
            trial[t - 1] = V
            return _hajij_cost(trial, x, y)

        assert agree(grad_u, fd(cost, U))
    params = to_params(Us)
    _, grads = mlp.loss_and_grads(params, x[None, :], [y], "sigmoid", "sigmoid", "mse")
    per_node = backprop.per_node_gradients(params, x, y, "sigmoid", "sigmoid", "mse")
    for t in range(1, len(Us) + 1):
        assert agree(grads[f"W{t}"], np.outer(deltas[t], Zs[t - 1]).T)
        assert agree(per_node[f"W{t}"], grads[f"W{t}"], rtol=1e-10)


def test_002_bias_gradient_is_the_message():
    """Slides "Feedforward Neural Network" add biases b^(l); the per-node derivation
    (a_i = sum_l u_il z_l) drops them without a word (ERRATA #20, a note). With a_i =
    sum_l u_il z_l + b_i the rule (*) is unchanged and dC_0/db_i = delta_i (da_i/db_i = 1)."""
    rng = np.random.default_rng(21)
    Us, x, y = _hajij_net(21)
    bs = [rng.normal(size=U.shape[0]) for U in Us]
    params = to_params(Us, bs)

    def cost(p):
        out, _ = mlp.forward(p, x[None, :], "sigmoid", "sigmoid")
        return float((y - out[0, 0]) ** 2)

    _, cache = mlp.forward(params, x[None, :], "sigmoid", "sigmoid")
    As = [None] + [cache[t][0][0] for t in range(1, len(Us) + 1)]
    L = len(Us)
    deltas = {L: -2 * (y - sigmoid(As[L])) * dsigmoid(As[L])}
    for t in range(L - 1, 0, -1):
        deltas[t] = dsigmoid(As[t]) * (Us[t].T @ deltas[t + 1])  # (*): sum_j delta_j u_ji
    numeric = gradcheck.numerical_gradients(cost, params)
    for t in range(1, L + 1):
        assert agree(deltas[t], numeric[f"b{t}"])


def test_002_middle_step_of_the_derivation_drops_sigma_prime():
    """Slide "Backpropagation" (want to compute dC_0/da_i): the chain reads
    sum_j delta_j da_j/da_i = sum_j delta_j da_j/dz_i. The last step drops sigma'(a_i):
    sum_j delta_j da_j/dz_i = sum_j delta_j u_ji is dC_0/dz_i, not dC_0/da_i; the slide's final
    result sigma'(a_i) sum_j delta_j u_ji is right."""
    Us, x, y = _hajij_net(4)
    As, Zs, deltas = _hajij_deltas(Us, x, y)
    t = 1
    middle = Us[t].T @ deltas[t + 1]  # sum_j delta_j u_ji
    d_da = fd(lambda a: _hajij_cost(Us, x, y, start=t, a_start=a), As[t])

    def cost_from_z(z):
        rest = Us[t:]
        return _hajij_cost(rest, z, y)

    d_dz = fd(cost_from_z, Zs[t])
    assert disagree(middle, d_da)
    assert agree(middle, d_dz)
    assert agree(dsigmoid(As[t]) * middle, d_da)


def test_002_backpropagation_computes_the_gradient_the_update_is_gradient_descent():
    """Slides "Neural Network" and "Training a Neural Network": "The process of updating the
    weights ... is called backpropagation". Backpropagation only computes the gradient (it
    equals finite differences and changes no weight); the update u := u - eta dC_0/du of step
    (5) of the algorithm is gradient descent, and lowers C_0 for a small eta."""
    Us, x, y = _hajij_net(5)
    params = to_params(Us)
    saved = {k: v.copy() for k, v in params.items()}

    def loss(p):
        return mlp.loss_and_grads(p, x[None, :], [y], "sigmoid", "sigmoid", "mse")[0]

    value, grads = mlp.loss_and_grads(params, x[None, :], [y], "sigmoid", "sigmoid", "mse")
    assert all(np.array_equal(params[k], saved[k]) for k in params)
    assert gradcheck.check_gradients(loss, params, grads).ok
    stepped = optim.sgd_step(params, grads, lr=0.1)
    assert loss(stepped) < value
    assert value == pytest.approx(_hajij_cost(Us, x, y))
