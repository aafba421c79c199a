"""Do the test helpers name what is wrong, and never print the expected values?"""

import re

import numpy as np
import pytest

from backprop_course.grading.scoring import checks
from backprop_course.grading.scoring.checks import CheckFailed

EXPECTED = np.array([[0.123456, -2.5, 3.75], [1.0, 0.5, -0.25]])


def message(got, expected=EXPECTED, **kwargs):
    text = checks.diagnose(got, expected, "grad", **kwargs)
    assert text is not None, "diagnose accepted a wrong answer"
    assert text.startswith("grad"), text
    return text


def test_right_answers_pass_within_tolerance():
    assert checks.diagnose(EXPECTED + 1e-12, EXPECTED) is None
    assert checks.diagnose(EXPECTED.tolist(), EXPECTED) is None
    checks.check_array(EXPECTED.copy(), EXPECTED)
    checks.check_scalar(np.float64(2.5), 2.5)
    checks.check_scalar(2, 2.0)  # a Python int is a fine answer for a number


def test_none_says_return_is_missing():
    assert "forget to `return`" in message(None)


@pytest.mark.parametrize("got", [{"a": 1}, "0.5", [[1, 2], [3]]])
def test_non_arrays_are_named(got):
    text = message(got)
    assert "dict" in text or "dtype" in text or "could not be turned" in text


def test_wrong_shape_gives_both_shapes():
    text = message(np.zeros((4, 3)))
    assert "(4, 3)" in text and "(2, 3)" in text


def test_transposed_and_square_transposed():
    assert "transposed" in message(EXPECTED.T)
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transposed" in message(square.T, square)


def test_column_instead_of_flat_vector():
    text = message(np.ones((3, 1)), np.ones(3))
    assert "(3, 1)" in text and "same number of entries" in text
    with pytest.raises(CheckFailed, match="column came back"):
        checks.check_shape(np.ones((3, 1)), (3,), "d")


def test_array_where_a_number_was_expected():
    with pytest.raises(CheckFailed, match="expected a single number"):
        checks.check_scalar(np.array([1.5]), 1.5, "loss")


def test_not_finite_and_dtypes():
    bad = EXPECTED.copy()
    bad[1, 2] = np.nan
    assert "NaN or infinity" in message(bad)
    assert "(1, 2)" in message(bad)
    assert "integer dtype" in message(np.round(EXPECTED).astype(int))
    assert "boolean" in message(EXPECTED > 0)
    assert "complex" in message(EXPECTED + 0j)
    with pytest.raises(CheckFailed, match="bool"):
        checks.check_scalar(True, 1.0, "n")


def test_sign_and_constant_factors():
    assert "wrong sign" in message(-EXPECTED)
    assert "factor of 2 (too large)" in message(2 * EXPECTED)
    assert "factor of 2 (too small)" in message(EXPECTED / 2)
    text = message(-2 * EXPECTED)
    assert "wrong sign" in text and "factor of 2" in text
    assert "factor of 3" in message(3 * EXPECTED)


def test_batch_factors_are_named():
    text = message(16 * EXPECTED, batch_size=16)
    assert "1/N is missing" in text and "16" in text
    assert "divided by N once too often" in message(EXPECTED / 16, batch_size=16)
    # without a batch size a factor 16 is just a factor
    assert "1/N" not in message(16 * EXPECTED)


def test_near_miss_and_partly_wrong():
    assert "close to the expected value" in message(EXPECTED * 1.001)
    partly = EXPECTED.copy()
    partly[0, 1] += 1.0
    text = message(partly)
    assert "1 of 6 entries differ" in text


@pytest.mark.parametrize("factor", [1.0, -1.0, 2.0, 0.5, 7.0, 1.001])
def test_messages_never_print_the_expected_values(factor):
    got = EXPECTED * factor
    got[0, 0] += 0.3  # partly wrong as well, to reach every branch
    for g in (EXPECTED * factor, got, EXPECTED.T * factor):
        text = checks.diagnose(g, EXPECTED, "grad", batch_size=6) or ""
        for value in ("0.123", "2.5", "3.75", "-0.25"):
            assert value not in text, (value, text)


@pytest.mark.parametrize("got", [2.5, 1.6, 2.0004, np.array([2.5]), np.array([[1.6]])])
def test_a_wrong_single_number_never_gives_its_factor_away(got):
    # any number is a multiple of the expected 2.0: "off by a factor of 1.25" would reveal it
    expected = 2.0 if np.ndim(got) == 0 else np.full(np.shape(got), 2.0)
    text = checks.diagnose(got, expected, "rate")
    assert "factor" not in text and "relative error" not in text and "1.25" not in text
    assert "wrong value" in text or "close to the expected value" in text


def test_a_single_number_still_names_the_mistakes_that_have_names():
    assert "wrong sign" in checks.diagnose(-2.0, 2.0, "rate")
    assert "factor of 2 (too large)" in checks.diagnose(4.0, 2.0, "rate")
    assert "1/N is missing" in checks.diagnose(16.0, 2.0, "loss", batch_size=8)


def test_a_flat_vector_where_a_column_was_expected_is_named():
    with pytest.raises(CheckFailed, match=r"flat vector came back where a column"):
        checks.check_shape(np.zeros(4), (4, 1), "y_hat")


def test_check_params_names_the_key():
    expected = {"W1": np.ones((2, 3)), "b1": np.full(3, 0.5)}
    with pytest.raises(CheckFailed, match="missing the key"):
        checks.check_params({"W1": np.ones((2, 3))}, expected)
    with pytest.raises(CheckFailed, match="unexpected key"):
        checks.check_params({**expected, "W2": np.ones(1)}, expected)
    with pytest.raises(CheckFailed, match=r"grads\['b1'\] is all zeros"):
        checks.check_params({"W1": np.ones((2, 3)), "b1": np.zeros(3)}, expected)
    with pytest.raises(CheckFailed, match=r"grads\['W1'\] has shape \(3, 2\).*transposed"):
        checks.check_params({"W1": np.ones((3, 2)), "b1": np.full(3, 0.5)}, expected)
    with pytest.raises(CheckFailed, match="1/N is missing"):
        checks.check_params(
            {"W1": 8 * np.ones((2, 3)), "b1": np.full(3, 0.5)}, expected, batch_size=8
        )
    with pytest.raises(CheckFailed, match="is a list"):
        checks.check_params([1, 2], expected)
    with pytest.raises(CheckFailed, match="forget to `return`"):
        checks.check_params(None, expected)
    checks.check_params({k: v.copy() for k, v in expected.items()}, expected)


def test_check_unchanged_arrays_and_dicts():
    w = np.array([1.0, 2.0])
    checks.check_unchanged(w.copy(), w, "w")
    saved = {"W1": np.ones(2), "b1": np.zeros(1)}
    params = {k: v.copy() for k, v in saved.items()}
    params["b1"] -= 0.1
    with pytest.raises(CheckFailed, match=r"argument params\['b1'\] in place"):
        checks.check_unchanged(saved, params, "params")
    nan = np.array([np.nan, 1.0])
    checks.check_unchanged(nan.copy(), nan, "v")  # NaN equals NaN for this purpose


def test_check_finite_returns_the_array():
    arr = checks.check_finite([1.0, 2.0], "x")
    assert isinstance(arr, np.ndarray) and arr.shape == (2,)
    with pytest.raises(CheckFailed, match="NaN or infinity"):
        checks.check_finite(np.array([[1.0, np.inf]]), "x")


def test_check_failed_is_an_assertion_error():
    # nbgrader and our grader both count an AssertionError as a failed test
    assert issubclass(CheckFailed, AssertionError)


def test_a_non_finite_single_number_gets_no_index():
    with pytest.raises(CheckFailed) as info:
        checks.check_finite(np.float64("nan"), "lr")
    assert "index" not in str(info.value) and "NaN or infinity" in str(info.value)
    with pytest.raises(CheckFailed, match=r"first at index \(1,\)"):
        checks.check_finite([0.0, np.inf], "path")


def test_expect_fails_with_the_named_code_and_the_message_only():
    checks.expect(3 == 3, "never shown", "off_by_one")
    with pytest.raises(CheckFailed, match="^count every epoch$") as err:
        checks.expect(1 == 2, "count every epoch", "epoch_count_off_by_one")
    assert err.value.code == "epoch_count_off_by_one"
    assert isinstance(err.value, AssertionError)  # nbgrader counts it as a failed test
    with pytest.raises(ValueError, match="lower-case"):
        checks.expect(False, "message", "Not A Code")


def test_a_named_mistake_that_gives_zeros_beats_the_all_zeros_guess():
    start = {"W": np.ones(2), "b": np.zeros(2)}
    expected = {"W": np.full(2, 0.5), "b": np.full(2, -0.25)}
    frozen = checks.Mistake("biases_not_updated", {"b": start["b"]}, "the biases never move")
    with pytest.raises(CheckFailed, match="the biases never move") as info:
        checks.check_params({"W": np.full(2, 0.5), "b": np.zeros(2)}, expected, mistakes=[frozen])
    assert info.value.code == "biases_not_updated"
    with pytest.raises(CheckFailed, match="is all zeros") as info:  # no mistake gives zeros
        checks.check_params({"W": np.full(2, 0.5), "b": np.zeros(2)}, expected)
    assert info.value.code == "zero_gradient"


@pytest.mark.parametrize("expected_shape", [(4, 1), (4,)])
def test_a_column_minus_a_flat_vector_is_named_broadcast(expected_shape):
    table = np.ones((4, 1)) - np.arange(4.0)  # (4, 1) - (4,) -> (4, 4)
    for check in (
        lambda: checks.check_array(table, np.zeros(expected_shape), "delta"),
        lambda: checks.check_shape(table, expected_shape, "delta"),
    ):
        with pytest.raises(CheckFailed) as failed:
            check()
        assert failed.value.code == "broadcast_column_row"
        assert "(4, 4)" in str(failed.value) and "broadcasts" in str(failed.value)


def test_a_failed_check_in_a_notebook_shows_no_grader_frames(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("from backprop_course.grading import checks\nchecks.explain_shape_errors()")
    capsys.readouterr()
    result = shell.run_cell("checks.check_array([1.0, 3.0], [1.0, 2.0], 'grad')")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)  # no colours
    assert not result.success
    assert "grad: 1 of 2 entries differ" in shown
    assert "checks.check_array([1.0, 3.0]" in shown  # the notebook's own line
    assert "_fail" not in shown and "raise CheckFailed" not in shown and "checks.py" not in shown


def _looped(X, w):
    return np.array([x @ w for x in X])


def _matrix(X, w):
    return np.asarray(X, dtype=float) @ w


@pytest.mark.parametrize("costs, score", [(None, 1.0), (2, 2.0), (9, 0.0)])
def test_a_loop_over_the_examples_is_named_and_costs_what_the_test_sets(costs, score):
    from backprop_course.grading.scoring.testcell import run_test

    source = (
        "from backprop_course.grading import checks\n"
        "checks.check_vectorised(f, np.ones((97, 2)), np.ones(2), name='forward', costs=c)\n"
    )
    outcome = run_test(source, {"np": np, "f": _looped, "c": costs}, 4.0, "<test>")
    assert (outcome.score, outcome.code) == (score, "loops_over_examples")
    assert "one example at a time" in outcome.message and "faster" in outcome.message
    assert run_test(source, {"np": np, "f": _matrix, "c": costs}, 4.0, "<test>").score == 4.0


def test_row_reads_counts_what_the_code_does_not_time():
    from backprop_course.grading.scoring.in_notebook import row_reads

    X, y = np.ones((101, 2)), np.zeros(101)
    assert row_reads(lambda X, y: [x for x, _ in zip(X, y, strict=True)], 101, X, y) == 202
    assert row_reads(lambda X, y: [X[i : i + 1] for i in range(len(X))], 101, X, y) == 101
    assert row_reads(lambda X, y: (X[:, 0] - y).sum(), 101, X, y) == 0


def test_stored_expected_values_are_what_make_computes_today():
    """Are the public tests' stored numbers up to date (inputs, references and the stored
    modules agree)? Rewrite them with `python -m backprop_course.grading.scoring.expected.make`."""
    from pathlib import Path

    from backprop_course.grading.scoring.expected import STEMS, make, values

    here = Path(make.__file__).parent
    for stem in STEMS:
        assert (here / f"_{stem[:2]}.py").read_text(encoding="utf-8") == make.text(stem), stem
        assert values(stem) and set(make.MAKERS) == set(STEMS)
