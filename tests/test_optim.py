"""Does gradient descent follow the closed-form path on a quadratic, update all coordinates at
once, record divergence as NaN rows; do mini-batches cover every example once per epoch?"""

import numpy as np
import pytest

from backprop_course import optim


def test_path_on_a_quadratic_matches_the_closed_form():
    # f(w) = 1/2 w^T A w with A diagonal: w_t = (1 - lr * lambda)^t w_0 coordinate-wise
    lam = np.array([1.0, 4.0, 0.5])
    w0 = np.array([1.0, -2.0, 3.0])
    path = optim.gradient_descent(lambda w: lam * w, w0, lr=0.2, n_steps=25)
    t = np.arange(26)[:, None]
    assert path.shape == (26, 3)
    assert np.allclose(path, (1 - 0.2 * lam) ** t * w0, rtol=1e-12, atol=1e-15)


def test_path_on_a_rotated_quadratic_matches_matrix_power():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    A = Q @ np.diag([0.5, 2.0, 3.0]) @ Q.T
    w0 = rng.normal(size=3)
    lr = 0.3
    path = optim.gradient_descent(lambda w: A @ w, w0, lr=lr, n_steps=10)
    step = np.eye(3) - lr * A
    expected = np.array([np.linalg.matrix_power(step, t) @ w0 for t in range(11)])
    assert np.allclose(path, expected)


def test_update_is_simultaneous():
    # f(x, y) = x*y: grad (y, x). A simultaneous step from (1, 2) with lr 1 gives (-1, 1);
    # updating x first and then y with the new x would give (-1, 3).
    path = optim.gradient_descent(lambda w: np.array([w[1], w[0]]), np.array([1.0, 2.0]), 1.0, 1)
    assert path[1].tolist() == [-1.0, 1.0]


def test_w0_is_not_mutated_and_path0_is_w0():
    w0 = np.array([1.0, 2.0])
    path = optim.gradient_descent(lambda w: w, w0, lr=0.5, n_steps=3)
    assert w0.tolist() == [1.0, 2.0] and path[0].tolist() == [1.0, 2.0]
    path[0, 0] = 99.0
    assert w0[0] == 1.0


def test_divergence_leaves_nan_rows_and_stops_calling_grad():
    calls = []

    def grad(w):
        calls.append(1)
        return 10.0 * w**3

    path = optim.gradient_descent(grad, np.array([2.0]), lr=1.0, n_steps=50)
    assert path.shape == (51, 1)
    bad = np.isnan(path[:, 0])
    assert bad.any() and not bad[0]
    first = int(np.argmax(bad))
    assert bad[first:].all() and np.isfinite(path[:first]).all()
    assert len(calls) == first  # no gradient was evaluated after the overflow


def test_learning_rate_threshold_two_over_lambda():
    # on f = lambda/2 w^2, |1 - lr lambda| < 1 iff 0 < lr < 2/lambda
    lam = 4.0
    for lr, shrinks in [(0.49, True), (0.51, False)]:
        path = optim.gradient_descent(lambda w: lam * w, np.array([1.0]), lr, 20)
        assert (abs(path[-1, 0]) < 1.0) == shrinks


@pytest.mark.parametrize("lr", [0, -0.1, np.nan, np.inf, "0.1", None])
def test_bad_learning_rates(lr):
    with pytest.raises(ValueError, match="lr"):
        optim.gradient_descent(lambda w: w, np.zeros(2), lr, 3)
    with pytest.raises(ValueError, match="lr"):
        optim.sgd_step({"w": np.zeros(1)}, {"w": np.zeros(1)}, lr)


def test_gradient_descent_bad_inputs():
    with pytest.raises(ValueError, match="w0"):
        optim.gradient_descent(lambda w: w, np.array([np.nan]), 0.1, 3)
    with pytest.raises(ValueError, match="n_steps"):
        optim.gradient_descent(lambda w: w, np.zeros(2), 0.1, -1)
    with pytest.raises(ValueError, match="grad_fn returned shape"):
        optim.gradient_descent(lambda w: np.zeros(3), np.zeros(2), 0.1, 2)


@pytest.mark.parametrize("n,batch", [(10, 3), (10, 10), (10, 32), (1, 1), (17, 4)])
def test_minibatches_cover_each_example_exactly_once(n, batch):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n)
    batches = list(optim.minibatches(X, y, batch, rng=0))
    assert len(batches) == -(-n // batch)
    assert all(len(yb) == batch for _, yb in batches[:-1])
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(n))
    for Xb, yb in batches:  # rows stay paired with their labels
        assert np.array_equal(Xb, X[yb])


def test_minibatches_are_seeded_and_shuffled():
    X = np.arange(200, dtype=float).reshape(100, 2)
    y = np.arange(100)

    def order(rng):
        return np.concatenate([yb for _, yb in optim.minibatches(X, y, 16, rng)])

    assert np.array_equal(order(5), order(5))
    assert not np.array_equal(order(5), order(6))
    assert not np.array_equal(order(5), y)
    g = np.random.default_rng(5)
    assert not np.array_equal(order(g), order(g))  # one generator: a new shuffle each epoch


def test_minibatches_bad_inputs():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(optim.minibatches(X, np.zeros(5), 0))
    with pytest.raises(ValueError, match="rows"):
        list(optim.minibatches(X, np.zeros(4), 2))
    with pytest.raises(ValueError, match="2-D"):
        list(optim.minibatches(np.zeros(5), np.zeros(5), 2))


def test_sgd_step_returns_new_arrays_and_never_mutates():
    params = {"W1": np.ones((2, 3)), "b1": np.zeros(3)}
    grads = {"W1": np.full((2, 3), 2.0), "b1": np.ones(3)}
    before = {k: v.copy() for k, v in params.items()}
    gbefore = {k: v.copy() for k, v in grads.items()}
    new = optim.sgd_step(params, grads, lr=0.1)
    assert np.allclose(new["W1"], 0.8) and np.allclose(new["b1"], -0.1)
    for k in params:
        assert np.array_equal(params[k], before[k]) and np.array_equal(grads[k], gbefore[k])
        assert new[k] is not params[k]


def test_sgd_step_checks_keys_and_shapes():
    with pytest.raises(ValueError, match="same keys"):
        optim.sgd_step({"W1": np.ones(2)}, {"W2": np.ones(2)}, 0.1)
    with pytest.raises(ValueError, match="shape"):
        optim.sgd_step({"W1": np.ones(2)}, {"W1": np.ones(3)}, 0.1)
