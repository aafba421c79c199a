"""The formulas of deck 000 (the BP deck), checked numerically (how a test
shows a slide's mistake, and how the decks' notations map to ours: ``slide_checks.py``).
"""

import numpy as np
import pytest
from slide_checks import agree, disagree, fd

from backprop_course import mlp, naive, optim

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
