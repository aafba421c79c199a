"""Every formula the course takes from the four source decks, checked numerically.

Decks (in /work/shared/seeds):

* 000, the BP deck ("Example (2 Layer Neural Network)"): weights ``w_ij`` with a bias node
  ``x_0 = 1``, pre-activations ``S``, backward messages ``delta``.
* 001, the training deck ("Neural Network: Training & Backpropagation"):
  ``h(x) = alpha^T ReLU(W2 ReLU(W1 x)) + b``, mini-batch SGD, the naive chain rule on
  ``y_hat = a w_T ... w_1 x``, the backward pass in ``z``/``u`` notation.
* 002, Hajij's deck ("The Backpropagation Algorithm"): perceptron, gradient descent, the per-node
  derivation with ``a_i = sum_l u_il z_l``.
* 003, the W x deck ("Loss function", "Hypothesis", "Computation graphs",
  "Backpropagation"): column form ``z = W x + b``, binary cross-entropy, closed-form gradients.

Each test names its slide in the docstring. Where a slide is wrong, the test computes the
slide's version *and* the corrected one, and shows the first disagreeing with central finite
differences (or with the fact it claims) and the second agreeing. ERRATA.md lists them by
number, with what kind of slip each is (error, index slip, note, notation, withdrawn).

Mapping to the package's row form: a column-form ``W`` (``z = W x``) is our ``W.T``; the
slides' ``w_ij`` (from node ``i`` to node ``j``) is our ``W[i, j]``; Hajij's ``u_il`` (into
``i`` from ``l``) is our ``W[l, i]``.
"""

import numpy as np
import pytest

from backprop_course import backprop, data, gradcheck, mlp, naive, optim, perceptron
from backprop_course.activations import relu, sigmoid
from backprop_course.scalar import Value

fd = gradcheck.numerical_gradient


def agree(a, b, rtol=1e-6, atol=1e-9):
    """Analytic ``a`` and numerical ``b`` agree to ``rtol`` relative error elementwise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def disagree(a, b):
    """Clearly different: not even 1e-3 relative agreement (or a different shape)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-6)


def dsigmoid(s):
    p = sigmoid(s)
    return p * (1 - p)


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


def _to_params(Us, bs=None):
    """Column-form U_t to our row-form dict: W_t = U_t.T."""
    p = {}
    for t, U in enumerate(Us, start=1):
        p[f"W{t}"] = U.T.copy()
        p[f"b{t}"] = np.zeros(U.shape[0]) if bs is None else bs[t - 1]
    return p


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
    params = _to_params(Wc, bc)
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
    params = _to_params(Us)
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
    params = _to_params(Us, bs)

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
    params = _to_params(Us)
    saved = {k: v.copy() for k, v in params.items()}

    def loss(p):
        return mlp.loss_and_grads(p, x[None, :], [y], "sigmoid", "sigmoid", "mse")[0]

    value, grads = mlp.loss_and_grads(params, x[None, :], [y], "sigmoid", "sigmoid", "mse")
    assert all(np.array_equal(params[k], saved[k]) for k in params)
    assert gradcheck.check_gradients(loss, params, grads).ok
    stepped = optim.sgd_step(params, grads, lr=0.1)
    assert loss(stepped) < value
    assert value == pytest.approx(_hajij_cost(Us, x, y))


# =============================================================================================
# Deck 000, the BP deck (w_ij with a bias node x_0 = 1, backward messages delta)
# =============================================================================================


def _bp_net(seed, sizes=(2, 3, 3, 1)):
    """Weights w^(l) of shape (d^(l-1) + 1, d^(l)), row 0 from the bias node x_0 = 1."""
    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=(i + 1, o)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    return ws, rng.normal(size=sizes[0]), 0.3


def _bp_forward(ws, x, start=0, s_start=None):
    """S^(l) and x^(l) by the slide's sums, theta = tanh everywhere (output too)."""
    xs, Ss = [x], [None]
    for l, w in enumerate(ws, start=1):
        x_aug = np.r_[1.0, xs[-1]]  # x_0^(l-1) = 1
        S = np.array(
            [sum(x_aug[j] * w[j, i] for j in range(w.shape[0])) for i in range(w.shape[1])]
        )
        if l == start:
            S = s_start
        Ss.append(S)
        xs.append(np.tanh(S))
    return Ss, xs


def _bp_error(ws, x, y, start=0, s_start=None):
    return float(np.sum((_bp_forward(ws, x, start, s_start)[1][-1] - y) ** 2))


def _bp_params(ws):
    p = {}
    for l, w in enumerate(ws, start=1):
        p[f"W{l}"], p[f"b{l}"] = w[1:].copy(), w[0].copy()
    return p


def test_000_forward_sums_with_bias_node_match_mlp():
    """Slide "Example (2 Layer Neural Network)": S_i^(l) = sum_{j=0}^{d^(l-1)} x_j^(l-1)
    w_ji^(l) with x_0 = 1, x_i^(l) = theta(S_i^(l)). Our W_l is w^(l) without its bias row 0,
    which becomes b_l."""
    ws, x, _ = _bp_net(0)
    Ss, xs = _bp_forward(ws, x)
    out, cache = mlp.forward(_bp_params(ws), x[None, :], "tanh", "tanh")
    for l in range(1, len(ws) + 1):
        assert np.allclose(cache[l][0][0], Ss[l]) and np.allclose(cache[l][1][0], xs[l])


def test_000_sgd_update_of_every_weight():
    """Slide "SGD": w_ij(k+1) = w_ij(k) - eps_k de_n/dw_ij(k) for every weight at once, which
    is optim.sgd_step on the dict of gradients."""
    ws, x, y = _bp_net(1)
    params = _bp_params(ws)
    _, grads = mlp.loss_and_grads(params, x[None, :], [y], "tanh", "tanh", "mse")
    new = optim.sgd_step(params, grads, lr=0.05)
    for k in params:
        assert np.allclose(new[k], params[k] - 0.05 * grads[k])


def test_000_one_sided_difference_has_error_of_order_delta():
    """Slide "How to evaluate?": de/dw_01 ~ (e(Omega + Delta) - e(Omega)) / Delta "is an
    approximation". Its error shrinks like Delta (10x smaller Delta, ~10x smaller error); the
    central difference (e(+Delta) - e(-Delta)) / 2 Delta has error O(Delta^2) (~100x)."""
    ws, x, y = _bp_net(2)
    exact = mlp.loss_and_grads(_bp_params(ws), x[None, :], [y], "tanh", "tanh", "mse")[1]["b1"][0]

    def e_of(v):
        trial = [w.copy() for w in ws]
        trial[0][0, 0] = v
        return _bp_error(trial, x, y)

    w01 = ws[0][0, 0]
    one, cen = [], []
    for h in (1e-2, 1e-3):
        one.append(abs((e_of(w01 + h) - e_of(w01)) / h - exact))
        cen.append(abs((e_of(w01 + h) - e_of(w01 - h)) / (2 * h) - exact))
    assert one[0] / one[1] == pytest.approx(10, rel=0.1)
    assert cen[0] / cen[1] == pytest.approx(100, rel=0.1)
    assert cen[1] < one[1] / 100


def test_000_finite_differences_cost_order_edges_squared():
    """Slide "How to evaluate?": repeating the approximation for each edge costs
    O((# of edges)^2): E + 1 forward passes (one-sided), each of about E multiply-adds."""
    for sizes in ([2, 3, 1], [4, 8, 8, 1], [8, 16, 16, 1]):
        params = mlp.init_params(sizes, rng=0)
        E = naive.count_edges(sizes)
        assert E == sum(p.size for p in params.values())
        calls = []

        def loss(p, calls=calls):
            calls.append(1)
            return 0.0

        r = naive.finite_difference_gradients(loss, params, central=False, forward_madds=E)
        assert r.n_forward == len(calls) == E + 1
        assert r.n_madds == (E + 1) * E


def test_000_ds_dw_is_x_and_de_dw_is_x_times_delta():
    """Slide "dS_j^(L)/dW_ij^(L)": dS_j/dW_ij = X_i^(L-1) (right), then the next slide writes
    "dS_j^(L)/dW_ij^(L) = X_i^(L-1) delta_j^(L)", which is really de/dW_ij^(L); dS_j/dW_ij
    itself is X_i."""
    ws, x, y = _bp_net(3)
    Ss, xs = _bp_forward(ws, x)
    L = len(ws)
    x_aug = np.r_[1.0, xs[L - 1]]
    j = 0

    def S_j(w):
        trial = list(ws)
        trial[L - 1] = w
        return _bp_forward(trial, x)[0][L][j]

    def e(w):
        trial = list(ws)
        trial[L - 1] = w
        return _bp_error(trial, x, y)

    dS = fd(S_j, ws[L - 1])[:, j]
    delta_L = 2 * (xs[L] - y) * (1 - np.tanh(Ss[L]) ** 2)
    assert agree(dS, x_aug)
    assert disagree(x_aug * delta_L[j], dS)
    assert agree(x_aug * delta_L[j], fd(e, ws[L - 1])[:, j])


def test_000_output_message_delta_L():
    """Slide "Back Propagation Algorithm" (output layer, regression): delta^(L) =
    de/ds^(L) = 2 (x^(L) - y) theta'(s^(L))."""
    ws, x, y = _bp_net(4)
    Ss, xs = _bp_forward(ws, x)
    L = len(ws)
    delta_L = 2 * (xs[L] - y) * (1 - np.tanh(Ss[L]) ** 2)
    assert agree(delta_L, fd(lambda s: _bp_error(ws, x, y, L, s), Ss[L]))


def _bp_deltas(ws, x, y):
    Ss, xs = _bp_forward(ws, x)
    L = len(ws)
    deltas = {L: 2 * (xs[L] - y) * (1 - np.tanh(Ss[L]) ** 2)}
    for l in range(L - 1, 0, -1):
        W_hat = ws[l][1:]  # (d^(l), d^(l+1)): no bias row, the bias node has no input
        deltas[l] = (W_hat @ deltas[l + 1]) * (1 - np.tanh(Ss[l]) ** 2)
    return Ss, xs, deltas


@pytest.mark.parametrize("seed", [5, 6])
def test_000_intermediate_messages_sum_and_matrix_form(seed):
    """Slides "Intermediate Layer": de/dx_i^(l) = sum_j delta_j^(l+1) w_ij^(l+1), delta_i^(l)
    = (sum_j delta_j^(l+1) w_ij^(l+1)) theta'(s_i^(l)), and in vector form delta^(l) =
    [W_hat^(l+1) delta^(l+1)] (x) theta'(S^(l)), W_hat without the bias row (= our W). Checked
    against finite differences of e with respect to x^(l) and s^(l), and against mlp."""
    ws, x, y = _bp_net(seed)
    Ss, xs, deltas = _bp_deltas(ws, x, y)
    L = len(ws)
    for l in range(1, L):
        de_dx = np.array(
            [
                sum(deltas[l + 1][j] * ws[l][i + 1, j] for j in range(ws[l].shape[1]))
                for i in range(len(xs[l]))
            ]
        )

        def e_from_x(v, l=l):
            return float(
                np.sum((_bp_forward(ws[l:], v)[1][-1] - y) ** 2)
            )  # the rest of the net from x^(l)

        assert agree(de_dx, fd(e_from_x, xs[l]))
        assert agree(deltas[l], fd(lambda s, l=l: _bp_error(ws, x, y, l, s), Ss[l]))
    _, grads = mlp.loss_and_grads(_bp_params(ws), x[None, :], [y], "tanh", "tanh", "mse")
    for l in range(1, L + 1):
        assert agree(grads[f"W{l}"], np.outer(xs[l - 1], deltas[l]))  # x_i^(l-1) delta_j^(l)
        assert agree(grads[f"b{l}"], deltas[l])


def test_000_delta_vector_has_d_l_entries():
    """Slide "Define ... Backward Message At Layer l": the column delta^(l) is printed as
    [delta_1^(l), ..., delta_{d^(l+1)}^(l+1)]; its last entry should be delta_{d^(l)}^(l): it
    has one entry per node of layer l (W_hat^(l+1) delta^(l+1) has d^(l) rows), and its last
    entry is de/ds_{d^(l)}^(l), not the last message of layer l+1."""
    ws, x, y = _bp_net(7, sizes=(2, 4, 3, 1))
    Ss, xs, deltas = _bp_deltas(ws, x, y)
    l = 1
    assert len(deltas[l]) == 4 != len(deltas[l + 1]) == 3
    num = fd(lambda s: _bp_error(ws, x, y, l, s), Ss[l])
    assert agree(deltas[l][-1], num[-1])
    assert disagree(deltas[l + 1][-1], num[-1])


def test_000_algorithm_step_2_uses_the_output_layer():
    """Slide "Backward Propagation Algorithm", step 2: "delta^(l) = grad_{x^(l)} g(x^(L), y)
    (x) Theta'(S^(l))". The start of the recursion is the output layer: delta^(L) = grad_{x^(L)}
    g (x) Theta'(S^(L)). Evaluated at a hidden layer l = L-1 (equal widths so the shapes fit),
    the printed version is not de/dS^(L)."""
    ws, x, y = _bp_net(8, sizes=(2, 2, 2))
    Ss, xs = _bp_forward(ws, x)
    L = len(ws)
    y_vec = np.array([0.3, -0.2])
    grad_g = 2 * (xs[L] - y_vec)
    num = fd(lambda s: _bp_error(ws, x, y_vec, L, s), Ss[L])
    printed = grad_g * (1 - np.tanh(Ss[L - 1]) ** 2)
    assert disagree(printed, num)
    assert agree(grad_g * (1 - np.tanh(Ss[L]) ** 2), num)


def test_000_last_line_is_the_gradient_then_the_update():
    """Slide "Backward Propagation Algorithm", last line, as converted: "de/dw_ij^(l) =
    x_i^(l-1) delta_j^(l) w_ij^(l) <- w_ij^(l) - eps_k de/dw_ij^(l)". Read as two statements run
    together by the conversion (ERRATA #11, withdrawn): the gradient x_i^(l-1) delta_j^(l) and
    the update w_ij <- w_ij - eps de/dw_ij, both right. Read as one formula, the "stray factor"
    w_ij would give wrong numbers, which is why that reading is not credible."""
    ws, x, y = _bp_net(9)
    Ss, xs, deltas = _bp_deltas(ws, x, y)
    params = _bp_params(ws)
    _, grads = mlp.loss_and_grads(params, x[None, :], [y], "tanh", "tanh", "mse")
    stepped = optim.sgd_step(params, grads, lr=0.1)
    for l in range(1, len(ws) + 1):
        x_aug = np.r_[1.0, xs[l - 1]]

        def e(w, l=l):
            trial = list(ws)
            trial[l - 1] = w
            return _bp_error(trial, x, y)

        num = fd(e, ws[l - 1])
        gradient = np.outer(x_aug, deltas[l])
        assert agree(gradient, num)
        update = ws[l - 1] - 0.1 * gradient  # the right-hand side of the arrow
        assert np.allclose(update[1:], stepped[f"W{l}"])
        assert np.allclose(update[0], stepped[f"b{l}"])
        assert disagree(gradient * ws[l - 1], num)  # the run-together reading


def _bp_algorithm_box(ws, x, y, eps, update_inside_loop):
    """Steps 1-3 of the slide "Backward Propagation Algorithm" with theta = tanh: step 2 gives
    delta^(L); step 3 loops l = L-1, ..., 1 computing delta^(l) = [W_hat^(l+1) delta^(l+1)] (x)
    theta'(S^(l)) and de/dw^(l) = x^(l-1) delta^(l). With update_inside_loop the update
    w^(l) <- w^(l) - eps de/dw^(l) runs where the text puts it, before "end for"."""
    ws = [w.copy() for w in ws]
    Ss, xs = _bp_forward(ws, x)
    L = len(ws)
    delta = 2 * (xs[L] - y) * (1 - np.tanh(Ss[L]) ** 2)  # step 2, at the output layer
    grads = {}
    for l in range(L - 1, 0, -1):  # step 3
        delta = (ws[l][1:] @ delta) * (1 - np.tanh(Ss[l]) ** 2)  # uses W^(l+1) as it is now
        grads[l] = np.outer(np.r_[1.0, xs[l - 1]], delta)
        if update_inside_loop:
            ws[l - 1] = ws[l - 1] - eps * grads[l]
    return ws, grads


def test_000_algorithm_box_updates_inside_the_loop_and_never_reaches_W_L():
    """Slide "Backward Propagation Algorithm" (ERRATA #17): the output promises de/dW^(l) for
    l = 1..L, but step 3 runs l = L-1, ..., 1 only, so de/dW^(L) = x^(L-1) delta^(L) is never
    computed and W^(L) never updated; and the update sits inside the loop, so from l = L-2 down
    each delta^(l) is computed with the already updated W^(l+1): not the gradient at Omega_k.
    Right: compute every layer's gradient first (l = L, ..., 1), then update all weights."""
    ws, x, y = _bp_net(10, sizes=(2, 3, 3, 3, 1))  # L = 4, so two layers see updated weights
    L, eps = len(ws), 0.5

    def e_of_layer(l):
        def e(w):
            trial = list(ws)
            trial[l - 1] = w
            return _bp_error(trial, x, y)

        return e

    exact = {l: fd(e_of_layer(l), ws[l - 1]) for l in range(1, L + 1)}
    box, grads = _bp_algorithm_box(ws, x, y, eps, update_inside_loop=True)
    assert L not in grads and np.array_equal(box[L - 1], ws[L - 1])  # W^(L) untouched
    assert agree(grads[L - 1], exact[L - 1])  # uses W^(L), never updated: still right
    for l in range(1, L - 1):
        assert disagree(grads[l], exact[l])  # computed with an updated W^(l+1)
    _, grads_first = _bp_algorithm_box(ws, x, y, eps, update_inside_loop=False)
    for l in range(1, L):
        assert agree(grads_first[l], exact[l])
    # the whole corrected step is optim.sgd_step on mlp's gradients
    params = _bp_params(ws)
    _, g = mlp.loss_and_grads(params, x[None, :], [y], "tanh", "tanh", "mse")
    stepped = optim.sgd_step(params, g, lr=eps)
    for l in range(1, L + 1):
        right = ws[l - 1] - eps * exact[l]
        assert agree(stepped[f"W{l}"], right[1:]) and agree(stepped[f"b{l}"], right[0])


def test_000_multivariate_chain_rule_aside():
    """Slide "Intermediate Layer" aside: for f(x(t), y(t), z), df/dt = df/dx dx/dt +
    df/dy dy/dt."""

    def x_(t):
        return np.sin(t)

    def y_(t):
        return t**3

    z = 0.7

    def f(x, y):
        return x * x * y + np.exp(y) * z

    t = 0.4
    formula = (2 * x_(t) * y_(t)) * np.cos(t) + (x_(t) ** 2 + np.exp(y_(t)) * z) * 3 * t**2
    num = fd(lambda v: f(x_(v[0]), y_(v[0])), np.array([t]))[0]
    assert formula == pytest.approx(num, rel=1e-8)


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
    params = _to_params(Ws, bs)
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
