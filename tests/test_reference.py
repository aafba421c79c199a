"""backprop_course.reference: the gradient exercise 6 is given equals the package's and the
finite differences', without importing backprop_course.mlp (which exercise 6 forbids)."""

import subprocess
import sys

import numpy as np
import pytest

from backprop_course import mlp
from backprop_course.gradcheck import numerical_gradient
from backprop_course.reference import loss_and_grads


@pytest.mark.parametrize("sizes", [[2, 1], [2, 4, 1], [3, 5, 4, 1]])
def test_equals_the_matrix_backprop_of_the_package(sizes):
    rng = np.random.default_rng(sum(sizes))
    params = mlp.init_params(sizes, rng=rng)
    X = rng.normal(size=(7, sizes[0]))
    y = rng.integers(0, 2, size=7)
    loss, grads = loss_and_grads(params, X, y)
    want_loss, want = mlp.loss_and_grads(params, X, y, hidden="tanh", output="sigmoid", loss="bce")
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert sorted(grads) == sorted(want)
    for k in want:
        np.testing.assert_allclose(grads[k], want[k], rtol=1e-10, atol=1e-14)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    params = mlp.init_params([2, 3, 1], rng=rng)
    X, y = rng.normal(size=(5, 2)), np.array([0, 1, 1, 0, 1])
    _, grads = loss_and_grads(params, X, y)
    for k in params:

        def f(v, k=k):
            return loss_and_grads({**params, k: v}, X, y)[0]

        np.testing.assert_allclose(grads[k], numerical_gradient(f, params[k]), rtol=1e-5, atol=1e-9)


def test_does_not_import_the_modules_exercise_6_forbids():
    code = (
        "import sys, backprop_course.reference; "
        "print(sorted(m for m in sys.modules if m.startswith('backprop_course.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for name in ("backprop_course.mlp", "backprop_course.optim"):
        assert name not in out.stdout, out.stdout


@pytest.mark.parametrize(
    ("params", "X", "y", "match"),
    [
        ({"W1": np.ones((2, 1))}, np.ones((3, 2)), [0, 1, 0], "must be a dict"),
        ({"W1": np.ones((2, 3)), "b1": np.ones(3)}, np.ones((3, 2)), [0, 1, 0], "one output"),
        ({"W1": np.ones((2, 1)), "b1": np.ones(2)}, np.ones((3, 2)), [0, 1, 0], r"\(d_out,\)"),
        ({"W1": np.ones((2, 1)), "b1": np.ones(1)}, np.ones((3, 4)), [0, 1, 0], "4 features"),
        ({"W1": np.ones((2, 1)), "b1": np.ones(1)}, np.ones((3, 2)), [0, 2, 0], "labels 0 or 1"),
        ({"W1": np.ones((2, 1)), "b1": np.ones(1)}, np.ones(2), [0], "2-D"),
    ],
)
def test_bad_input_is_named(params, X, y, match):
    with pytest.raises(ValueError, match=match):
        loss_and_grads(params, X, y)
