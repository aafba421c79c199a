"""Do the losses average over the batch, match their gradients (checked by central differences),
and stay finite at the extremes (predictions of exactly 0 or 1, logits of 1e4)?"""

import warnings

import numpy as np
import pytest

from backprop_course import losses
from backprop_course.gradcheck import numerical_gradient


def _case(shape, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, size=shape)
    y = rng.integers(0, 2, size=shape).astype(float)
    s = rng.normal(scale=2.0, size=shape)
    return p, y, s


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3)])
def test_squared_error_value_and_gradient(shape):
    p, y, _ = _case(shape)
    n = shape[0]
    assert losses.squared_error(p, y) == pytest.approx(np.sum((p - y) ** 2) / n)
    num = numerical_gradient(lambda q: losses.squared_error(q, y), p)
    assert np.allclose(losses.squared_error_gradient(p, y), num, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3)])
def test_binary_cross_entropy_value_and_gradient(shape):
    p, y, _ = _case(shape)
    n = shape[0]
    expected = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / n
    assert losses.binary_cross_entropy(p, y) == pytest.approx(expected, rel=1e-12)
    num = numerical_gradient(lambda q: losses.binary_cross_entropy(q, y), p)
    assert np.allclose(losses.binary_cross_entropy_gradient(p, y), num, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3)])
def test_bce_with_logits_equals_bce_of_sigmoid_and_its_gradient(shape):
    _, y, s = _case(shape)
    p = 1 / (1 + np.exp(-s))
    assert losses.binary_cross_entropy_with_logits(s, y) == pytest.approx(
        losses.binary_cross_entropy(p, y), rel=1e-10
    )
    num = numerical_gradient(lambda t: losses.binary_cross_entropy_with_logits(t, y), s)
    grad = losses.binary_cross_entropy_with_logits_gradient(s, y)
    assert np.allclose(grad, num, rtol=1e-6, atol=1e-10)
    assert np.allclose(grad, (p - y) / shape[0])


@pytest.mark.parametrize("n,k", [(1, 2), (6, 4)])
def test_softmax_cross_entropy_value_and_gradient(n, k):
    rng = np.random.default_rng(1)
    s = rng.normal(size=(n, k))
    Y = np.eye(k)[rng.integers(0, k, size=n)]
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    assert np.allclose(losses.softmax(s), P)
    assert losses.cross_entropy_with_logits(s, Y) == pytest.approx(
        -np.sum(Y * np.log(P)) / n, rel=1e-12
    )
    num = numerical_gradient(lambda t: losses.cross_entropy_with_logits(t, Y), s)
    assert np.allclose(losses.cross_entropy_with_logits_gradient(s, Y), num, atol=1e-9)


def test_cross_entropy_finite_at_predictions_exactly_zero_and_one():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value = losses.binary_cross_entropy(p, y)
        grad = losses.binary_cross_entropy_gradient(p, y)
    # two confident mistakes cost -log(EPS) each, about 27.6, averaged over 4 examples
    assert value == pytest.approx(-2 * np.log(losses.EPS) / 4, rel=1e-6)
    assert np.isfinite(grad).all()
    # the two right answers cost (almost) nothing
    assert losses.binary_cross_entropy(p[:2], y[:2]) < 1e-10


def test_logit_forms_are_exact_and_finite_at_1e4():
    s = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value = losses.binary_cross_entropy_with_logits(s, y)
        grad = losses.binary_cross_entropy_with_logits_gradient(s, y)
        S = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
        Y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
        ce = losses.cross_entropy_with_logits(S, Y)
        ce_grad = losses.cross_entropy_with_logits_gradient(S, Y)
        sm = losses.softmax(S)
    # two wrong answers with logit margin 1e4 each cost exactly 1e4 per example
    assert value == pytest.approx(2e4 / 4)
    assert np.allclose(grad, np.array([0.0, 0.0, 1.0, -1.0]) / 4)
    assert ce == pytest.approx((0.0 + (2e4 + np.log(2.0))) / 2, rel=1e-12)
    assert np.isfinite(ce_grad).all() and np.allclose(sm.sum(axis=1), 1.0)


def test_inputs_not_mutated_and_shapes_checked():
    p, y, s = _case((4,))
    copies = [a.copy() for a in (p, y, s)]
    losses.binary_cross_entropy_gradient(p, y)
    losses.squared_error_gradient(p, y)
    losses.binary_cross_entropy_with_logits_gradient(s, y)
    for a, c in zip((p, y, s), copies, strict=True):
        assert np.array_equal(a, c)
    with pytest.raises(ValueError, match="shapes differ"):
        losses.squared_error(p, y[:3])
    with pytest.raises(ValueError, match="at least one example"):
        losses.binary_cross_entropy(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="shapes differ"):
        losses.binary_cross_entropy_with_logits(s[:, None], y)
