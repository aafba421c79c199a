"""Does the perceptron module compute the criterion, its gradient and the updates correctly,
and does training stop (converged on separable blobs, a warning on XOR)?"""

import warnings

import numpy as np
import pytest

from backprop_course import data
from backprop_course.gradcheck import numerical_gradient
from backprop_course.perceptron import (
    ConvergenceWarning,
    Perceptron,
    batch_gd_step,
    criterion,
    criterion_gradient,
    misclassified,
    sgd_update,
    signed_distance,
)


def _random_problem(seed, n=30, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.choice([-1, 1], size=n)
    w = rng.normal(size=d)
    b = float(rng.normal())
    return X, y, w, b


def test_signed_distance_is_w_dot_x_plus_b_and_normalised_is_euclidean():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    w, b = np.array([3.0, -4.0, 12.0]), 2.0
    assert np.allclose(signed_distance(X, w, b), X @ w + b)
    d = signed_distance(X, w, b, normalize=True)
    # the foot of the perpendicular x - d w/||w|| lies on the plane, at distance |d| from x
    unit = w / np.linalg.norm(w)
    feet = X - d[:, None] * unit
    assert np.allclose(feet @ w + b, 0.0, atol=1e-12)
    assert np.allclose(np.linalg.norm(X - feet, axis=1), np.abs(d))


def test_signed_distance_rejects_zero_w_when_normalising():
    with pytest.raises(ValueError, match="zero vector"):
        signed_distance(np.ones((2, 2)), np.zeros(2), 1.0, normalize=True)


@pytest.mark.parametrize("seed", range(5))
def test_criterion_is_minus_sum_of_margins_over_misclassified(seed):
    X, y, w, b = _random_problem(seed)
    margins = y * (X @ w + b)
    expected = -sum(m for m in margins if m <= 0)
    assert criterion(X, y, w, b) == pytest.approx(expected, rel=1e-12)
    assert criterion(X, y, w, b) >= 0
    assert np.array_equal(misclassified(X, y, w, b), margins <= 0)


def test_criterion_is_zero_exactly_when_all_points_are_right():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, -1])
    assert criterion(X, y, np.array([1.0, 0.0]), 0.0) == 0.0
    assert criterion(X, y, np.array([-1.0, 0.0]), 0.0) == pytest.approx(2.0)


@pytest.mark.parametrize("seed", range(5))
def test_criterion_gradient_matches_finite_differences_away_from_kinks(seed):
    X, y, w, b = _random_problem(seed)
    margins = y * (X @ w + b)
    # central differences with h = 1e-6 are exact for a piecewise-linear function as long as
    # no point is within reach of the hyperplane
    assert np.min(np.abs(margins)) > 1e-3
    dw, db = criterion_gradient(X, y, w, b)
    num_w = numerical_gradient(lambda v: criterion(X, y, v, b), w)
    num_b = numerical_gradient(lambda v: criterion(X, y, w, float(v[0])), np.array([b]))[0]
    assert np.allclose(dw, num_w, rtol=1e-6, atol=1e-8)
    assert db == pytest.approx(num_b, rel=1e-6, abs=1e-8)
    # and its sign: the slide's version without the minus sign disagrees
    M = margins <= 0
    assert M.any()
    assert not np.allclose(y[M] @ X[M], num_w)


def test_batch_step_is_a_gradient_step_and_lowers_the_criterion():
    X, y, w, b = _random_problem(3)
    dw, db = criterion_gradient(X, y, w, b)
    w1, b1 = batch_gd_step(X, y, w, b, lr=0.01)
    assert np.allclose(w1, w - 0.01 * dw)
    assert b1 == pytest.approx(b - 0.01 * db)
    assert criterion(X, y, w1, b1) < criterion(X, y, w, b)


@pytest.mark.parametrize("seed", range(5))
def test_sgd_update_is_a_gradient_step_on_that_points_term(seed):
    X, y, w, b = _random_problem(seed)
    margins = y * (X @ w + b)
    i = int(np.argmin(margins))  # a misclassified point
    assert margins[i] < 0
    lr = 0.3
    term_w = numerical_gradient(lambda v: -y[i] * (X[i] @ v + b), w)
    term_b = numerical_gradient(lambda v: -y[i] * (X[i] @ w + v[0]), np.array([b]))[0]
    w1, b1 = sgd_update(X[i], y[i], w, b, lr)
    assert np.allclose(w1, w - lr * term_w, atol=1e-8)
    assert b1 == pytest.approx(b - lr * term_b, abs=1e-8)
    assert np.allclose(w1, w + lr * y[i] * X[i])
    assert b1 == pytest.approx(b + lr * y[i])


def test_sgd_update_leaves_a_correct_point_alone_and_never_mutates():
    x, w = np.array([1.0, 1.0]), np.array([1.0, 1.0])
    w_before = w.copy()
    w1, b1 = sgd_update(x, 1, w, 0.5, lr=1.0)
    assert np.array_equal(w1, w) and b1 == 0.5 and w1 is not w
    w2, _ = sgd_update(x, -1, w, 0.5, lr=1.0)
    assert np.array_equal(w, w_before)
    assert np.allclose(w2, [0.0, 0.0])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", ["sgd", "batch"])
def test_perceptron_separates_blobs(seed, mode):
    X, y = data.blobs(150, rng=seed)
    X_before, y_before = X.copy(), y.copy()
    model = Perceptron(lr=0.5, max_epochs=1000, rng=seed, mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.fit(X, y) is model
    assert model.converged_
    assert model.score(X, y) == 1.0
    assert np.all(y * (X @ model.w_ + model.b_) > 0)
    assert model.errors_history_[-1] == 0 and min(model.errors_history_[:-1], default=1) > 0
    assert len(model.errors_history_) == model.n_epochs_ <= 1000
    assert set(model.predict(X).tolist()) <= {-1, 1}
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before)


def test_perceptron_is_reproducible_with_a_seed():
    X, y = data.blobs(80, rng=4)
    a = Perceptron(rng=7).fit(X, y)
    b = Perceptron(rng=7).fit(X, y)
    assert np.array_equal(a.w_, b.w_) and a.b_ == b.b_
    assert a.errors_history_ == b.errors_history_


def test_perceptron_on_xor_stops_at_max_epochs_with_a_warning():
    X, y = data.xor(60, rng=0, labels=(-1, 1))
    with pytest.warns(ConvergenceWarning, match="did not converge in 50 epochs"):
        model = Perceptron(max_epochs=50, rng=0).fit(X, y)
    assert not model.converged_
    assert model.n_epochs_ == 50 == len(model.errors_history_)
    assert min(model.errors_history_) > 0
    assert model.score(X, y) < 1.0


def test_labels_must_be_plus_minus_one_and_the_message_says_how_to_convert():
    X, y01 = data.blobs(20, rng=0, labels=(0, 1))
    with pytest.raises(ValueError, match=r"found labels \[0, 1\].*2 \* y - 1"):
        Perceptron().fit(X, y01)
    with pytest.raises(ValueError, match=r"found labels \[-1, 2\]"):
        criterion(X, np.where(y01 == 1, 2, -1), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        sgd_update(X[0], 0, np.zeros(2), 0.0, lr=1.0)


@pytest.mark.parametrize("lr", [0, -1.0, np.nan, "fast"])
def test_learning_rate_must_be_positive(lr):
    X, y = data.blobs(10, rng=0)
    with pytest.raises(ValueError, match="lr"):
        Perceptron(lr=lr).fit(X, y)
    with pytest.raises(ValueError, match="lr"):
        batch_gd_step(X, y, np.zeros(2), 0.0, lr)


def test_bad_shapes_nan_and_options_are_rejected():
    X, y = data.blobs(10, rng=0)
    with pytest.raises(ValueError, match="shape"):
        Perceptron().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2-D"):
        Perceptron().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="w must have length 2"):
        criterion(X, y, np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="b must be a scalar"):
        criterion(X, y, np.zeros(2), np.zeros(2))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Perceptron().fit(bad, y)
    with pytest.raises(ValueError, match="NaN"):
        Perceptron().fit(X, np.where(np.arange(10) == 2, np.nan, y))
    with pytest.raises(ValueError, match="max_epochs"):
        Perceptron(max_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="mode"):
        Perceptron(mode="adam").fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        Perceptron().predict(X)
