"""Do the shared input checks accept good input unchanged and name what is wrong otherwise?"""

import numpy as np
import pytest

from backprop_course import _validate as v


def test_as_matrix_accepts_and_converts():
    X = v.as_matrix([[1, 2], [3, 4]])
    assert X.dtype == np.float64 and X.shape == (2, 2)
    F = np.ones((3, 2))
    assert v.as_matrix(F) is F  # no copy when nothing needs converting
    assert v.as_matrix(F, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.ones(3), r"2-D with shape \(n_samples, n_features\), got shape \(3,\)"),
        (np.ones((0, 2)), "no rows"),
        (np.array([["a", "b"]]), "numeric"),
        (np.array([[1.0, np.inf]]), "row 0, column 1"),
        (np.array([[1.0, 2.0], [np.nan, 0.0]]), "NaN or infinity .*row 1, column 0"),
    ],
)
def test_as_matrix_rejects(bad, match):
    with pytest.raises(ValueError, match=match):
        v.as_matrix(bad, "X")


def test_as_vector():
    assert v.as_vector([1, 2], "w").tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="w must be 1-D"):
        v.as_vector(np.ones((2, 2)), "w")
    with pytest.raises(ValueError, match="length 3"):
        v.as_vector(np.ones(2), "w", length=3)
    with pytest.raises(ValueError, match="index 1"):
        v.as_vector([0.0, np.nan], "w")


@pytest.mark.parametrize("bad", [0, -1, np.nan, np.inf, "1", None, True])
def test_check_positive_rejects(bad):
    with pytest.raises(ValueError, match="lr must be a positive"):
        v.check_positive(bad, "lr")


def test_check_positive_and_count_accept():
    assert v.check_positive(np.float32(0.5), "lr") == 0.5
    assert v.check_count(np.int64(3), "n") == 3
    assert v.check_count(0, "n", minimum=0) == 0


@pytest.mark.parametrize("bad", [0, 2.0, "3", True, None])
def test_check_count_rejects(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        v.check_count(bad, "n")


def test_check_choice():
    assert v.check_choice("a", "mode", ["a", "b"]) == "a"
    with pytest.raises(ValueError, match=r"unknown mode 'c'; expected one of \['a', 'b'\]"):
        v.check_choice("c", "mode", ["a", "b"])
