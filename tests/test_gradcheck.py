"""Does the gradient checker compute accurate central differences, and does it name the
parameter and element of a planted error?"""

import numpy as np
import pytest

from backprop_course import gradcheck, mlp


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    params = mlp.init_params([3, 4, 2], rng=seed)
    params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in params.items()}
    X = rng.normal(size=(5, 3))
    y = rng.normal(size=(5, 2))

    def loss(p):
        return mlp.loss_and_grads(p, X, y, "tanh", "identity", "mse")[0]

    _, grads = mlp.loss_and_grads(params, X, y, "tanh", "identity", "mse")
    return loss, params, grads


def test_numerical_gradient_of_a_polynomial_any_shape():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = gradcheck.numerical_gradient(lambda v: float(np.sum(v**3) + v[0, 1] * v[1, 0]), w)
    exact = 3 * w**2 + np.array([[0.0, 0.5], [-2.0, 0.0]])
    assert g.shape == w.shape
    assert np.allclose(g, exact, rtol=1e-8)


def test_central_differences_are_second_order_one_sided_first_order():
    f, x, exact = np.exp, 1.0, np.exp(1.0)
    central = [abs((f(x + h) - f(x - h)) / (2 * h) - exact) for h in (1e-2, 1e-3)]
    forward = [abs((f(x + h) - f(x)) / h - exact) for h in (1e-2, 1e-3)]
    assert central[0] / central[1] == pytest.approx(100, rel=0.05)  # O(h^2)
    assert forward[0] / forward[1] == pytest.approx(10, rel=0.05)  # O(h)
    g = gradcheck.numerical_gradient(lambda v: float(np.exp(v[0])), np.array([1.0]), eps=1e-2)
    assert abs(g[0] - exact) == pytest.approx(central[0], rel=1e-6)


def test_numerical_gradient_does_not_mutate_and_tolerates_mutating_f():
    w = np.array([1.0, 2.0])

    def f(v):
        out = float(v @ v)
        v[:] = 0.0  # a badly behaved function that scribbles on its argument
        return out

    g = gradcheck.numerical_gradient(f, w)
    assert np.allclose(g, 2 * w) and w.tolist() == [1.0, 2.0]


def test_numerical_gradients_for_a_dict():
    loss, params, grads = _problem()
    num = gradcheck.numerical_gradients(loss, params)
    assert set(num) == set(params)
    for k in params:
        assert num[k].shape == params[k].shape
        assert np.allclose(num[k], grads[k], rtol=1e-6, atol=1e-9)


def test_relative_error():
    r = gradcheck.relative_error(np.array([1.0, 0.0, -1.0]), np.array([3.0, 0.0, 1.0]))
    assert r.tolist() == [0.5, 0.0, 1.0]
    with pytest.raises(ValueError, match="cannot compare shapes"):
        gradcheck.relative_error(np.zeros(2), np.zeros(3))


def test_correct_gradients_pass():
    loss, params, grads = _problem()
    result = gradcheck.check_gradients(loss, params, grads)
    assert result.ok and result.first is None
    assert result.max_rel_error < 1e-6
    assert "passed" in str(result)


@pytest.mark.parametrize("key,index", [("W1", (2, 1)), ("b1", (3,)), ("W2", (0, 0)), ("b2", (1,))])
def test_planted_wrong_element_is_named_by_key_and_index(key, index):
    loss, params, grads = _problem(1)
    bad = {k: v.copy() for k, v in grads.items()}
    bad[key][index] += 0.05
    result = gradcheck.check_gradients(loss, params, bad)
    assert not result.ok
    assert result.key == key and result.index == index
    assert result.first.startswith(f"{key}{list(index)}")
    assert result.analytic == pytest.approx(bad[key][index])
    assert result.numeric == pytest.approx(grads[key][index], abs=1e-7)
    text = str(result)
    assert "FAILED" in text and f"{key}{list(index)}" in text


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_nan_or_infinite_gradient_fails_the_check(bad_value):
    loss, params, grads = _problem(3)
    bad = {k: v.copy() for k, v in grads.items()}
    bad["W2"][1, 0] = bad_value
    result = gradcheck.check_gradients(loss, params, bad)
    assert not result.ok
    assert (result.key, result.index) == ("W2", (1, 0))
    assert result.first.startswith("W2[1, 0]")
    assert "FAILED" in str(result)


def test_first_names_the_first_bad_parameter_in_order_and_worst_the_largest():
    loss, params, grads = _problem(2)
    bad = {k: v.copy() for k, v in grads.items()}
    bad["W1"][0, 0] += 1e-4 * max(1.0, abs(bad["W1"][0, 0]))  # small error, comes first
    bad["W2"][1, 1] *= -3.0  # large error, comes later
    result = gradcheck.check_gradients(loss, params, bad)
    assert result.first.startswith("W1[0, 0]")
    assert (result.key, result.index) == ("W2", (1, 1))


def test_inputs_not_mutated_and_mismatches_rejected():
    loss, params, grads = _problem()
    before = {k: v.copy() for k, v in params.items()}
    gradcheck.check_gradients(loss, params, grads)
    assert all(np.array_equal(params[k], before[k]) for k in params)
    with pytest.raises(ValueError, match="keys"):
        gradcheck.check_gradients(loss, params, {"W1": grads["W1"]})
    wrong = dict(grads, b1=np.zeros(7))
    with pytest.raises(ValueError, match="b1"):
        gradcheck.check_gradients(loss, params, wrong)
