"""Do the activations and their derivatives agree with central differences, and stay finite
and warning-free for inputs of magnitude 1e4?"""

import warnings

import numpy as np
import pytest

from backprop_course import activations
from backprop_course.activations import ACTIVATIONS

NAMES = sorted(ACTIVATIONS)


def _points():
    s = np.random.default_rng(0).uniform(-6, 6, size=200)
    return s[np.abs(s) > 1e-3]  # away from ReLU's kink


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    act = activations.get(name)
    s = _points()
    h = 1e-6
    numeric = (act.function(s + h) - act.function(s - h)) / (2 * h)
    assert np.allclose(act.derivative(s), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_from_output_equals_derivative(name):
    act = activations.get(name)
    s = _points()
    assert np.allclose(act.derivative_from_output(act.function(s), s), act.derivative(s))


def test_known_values():
    s = np.array([-2.0, 0.0, 3.0])
    assert np.allclose(activations.sigmoid(s), 1 / (1 + np.exp(-s)))
    assert np.allclose(activations.tanh(s), np.tanh(s))
    assert activations.relu(s).tolist() == [0.0, 0.0, 3.0]
    assert activations.identity(s).tolist() == s.tolist()
    assert activations.sigmoid_derivative(np.array(0.0)) == 0.25
    # sigma(-s) = 1 - sigma(s), and tanh(s) = 2 sigma(2s) - 1
    assert np.allclose(activations.sigmoid(-s), 1 - activations.sigmoid(s))
    assert np.allclose(activations.tanh(s), 2 * activations.sigmoid(2 * s) - 1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_overflow_warning_or_nan_at_1e4(name, dtype):
    act = activations.get(name)
    s = np.array([-1e4, -710.0, -50.0, 0.0, 50.0, 710.0, 1e4], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        values = act.function(s)
        d1 = act.derivative(s)
        d2 = act.derivative_from_output(values, s)
    for out in (values, d1, d2):
        assert np.isfinite(out).all()
        assert out.shape == s.shape
    if name == "sigmoid":
        assert values[0] == 0.0 and values[-1] == 1.0 and values[3] == 0.5
        assert values.dtype == dtype
    if name in ("sigmoid", "tanh"):
        assert d1[0] == 0.0 and d1[-1] == 0.0


def test_sigmoid_is_accurate_in_both_tails():
    # the naive 1 - 1/(1 + e^s) loses everything in the left tail; ours keeps full precision
    s = np.array([-30.0, -700.0])
    assert np.allclose(activations.sigmoid(s), np.exp(s) / (1 + np.exp(s)), rtol=1e-12)


def test_relu_derivative_is_zero_at_the_kink():
    assert activations.relu_derivative(np.array([0.0])).tolist() == [0.0]


def test_inputs_are_not_mutated():
    s = np.array([-1.0, 0.5, 2.0])
    before = s.copy()
    for act in ACTIVATIONS.values():
        act.function(s)
        act.derivative(s)
        act.derivative_from_output(act.function(s), s)
    assert np.array_equal(s, before)
    # the outputs are new arrays: writing into them leaves s alone
    for act in ACTIVATIONS.values():
        out = act.function(s)
        out += 100.0
        assert np.array_equal(s, before), act.name


@pytest.mark.parametrize("bad", ["softplus", "Sigmoid", "", None])
def test_unknown_name_is_a_value_error_listing_the_choices(bad):
    with pytest.raises(ValueError, match="unknown activation.*sigmoid"):
        activations.get(bad)
