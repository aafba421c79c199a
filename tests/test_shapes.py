"""Shape errors are told in the student's names and shapes, in a notebook and by the grader.

``grading/kernel/shapes.py`` turns numpy's "matmul: Input operand 1 has a mismatch in its core
dimension 0, with gufunc signature ..." into the expression, its operands' shapes and the rule;
``checks.explain_shape_errors`` shows that in a notebook instead of a traceback through numpy,
and the grader records such a failure with the code ``shape_error``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from backprop_course.grading import grade_submission
from backprop_course.grading.kernel.shapes import SHAPE_MARK, explain_shape_error

ROOT = Path(__file__).resolve().parents[1]


def _explained(fn, *args) -> str | None:
    with pytest.raises(ValueError) as info:
        fn(*args)
    return explain_shape_error(info.value)


def test_matmul_in_the_wrong_order_names_operands_and_rule():
    def dense_backward(delta, W):
        dA = delta @ W
        return dA

    text = _explained(dense_backward, np.ones((5, 2)), np.ones((3, 2)))
    assert text.startswith(SHAPE_MARK)
    assert "`delta @ W`" in text and "of dense_backward)" in text
    assert "delta has shape (5, 2)" in text and "W has shape (3, 2)" in text
    assert "(here 2)" in text and "(here 3)" in text and ".T" in text
    assert "gufunc" not in text


def test_np_dot_attributes_and_subscripts_are_read_from_the_frame():
    def forward(params, X):
        return np.dot(X, params["W1"].T)

    text = _explained(forward, {"W1": np.ones((2, 3))}, np.ones((4, 2)))
    assert "X has shape (4, 2)" in text and "params['W1'].T has shape (3, 2)" in text


def test_elementwise_broadcast_and_augmented_assignment():
    def delta_out(S, y):
        return S - y

    text = _explained(delta_out, np.ones((4, 3)), np.ones(5))
    assert "S has shape (4, 3)" in text and "y has shape (5,)" in text
    assert "entry by entry" in text

    def step(w, g):
        w -= g
        return w

    text = _explained(step, np.ones((2, 3)), np.ones((3, 2)))
    assert "`w -= g`" in text and "w has shape (2, 3)" in text


def test_operands_that_are_calls_are_never_called_again():
    calls = []

    def make(shape):
        calls.append(shape)
        return np.ones(shape)

    def product():
        return make((2, 3)) @ make((2, 3))

    text = _explained(product)
    assert len(calls) == 2  # only the student's own run; the explainer read nothing by calling
    assert text.startswith(SHAPE_MARK) and "numpy says" in text


def test_numpy_conversions_in_an_operand_are_read_and_an_extra_transpose_is_named():
    def hidden_delta(a, W_next, delta_next):
        return a * (np.asarray(W_next).T @ np.asarray(delta_next, dtype=float))

    text = _explained(hidden_delta, np.ones(3), np.ones((3, 2)), np.ones(2))
    assert "np.asarray(W_next).T has shape (2, 3)" in text
    assert "np.asarray(delta_next, dtype=float) has shape (2,)" in text
    assert "transpose (.T) of `np.asarray(W_next)` one too many" in text
    assert "gufunc" not in text


def test_a_look_alike_of_numpy_in_an_operand_is_never_called():
    calls = []

    class FakeNumpy:
        @staticmethod
        def asarray(x):
            calls.append(x)
            return x

    fake = FakeNumpy()

    def product(A, B):
        np = fake  # a student's own `np`, with an `asarray` of their own
        return np.asarray(A) @ B

    text = _explained(product, np.ones((2, 3)), np.ones((2, 3)))
    assert len(calls) == 1 and "numpy says" in text and "B has shape (2, 3)" in text


def test_broadcast_shapes_numpy_names_fill_in_operands_that_are_calls():
    def sigma_prime(a):
        return a

    def hidden_delta(a, delta_next):
        return sigma_prime(a) * delta_next

    text = _explained(hidden_delta, np.ones(3), np.ones(2))
    assert "sigma_prime(a) has shape (3,) and delta_next has shape (2,)" in text
    assert "another layer" in text


def test_other_value_errors_are_left_alone():
    def parse():
        return int("x")

    assert _explained(parse) is None
    assert explain_shape_error(TypeError("shapes (2,) and (3,) not aligned")) is None


def test_a_notebook_shows_the_explanation_instead_of_numpys_traceback(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\nfrom backprop_course.grading import checks\n"
            "checks.explain_shape_errors()"
        ),
        nbformat.v4.new_code_cell(
            "def f(A, B):\n    return A @ B\nf(np.ones((2, 3)), np.ones((2, 3)))"
        ),
        nbformat.v4.new_code_cell("int('x')"),
    ]
    client = NotebookClient(
        nb, timeout=60, allow_errors=True, resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    shape, other = (c.outputs[-1] for c in nb.cells[1:])
    assert shape.output_type == other.output_type == "error"  # the cell still fails
    assert shape.ename == "ValueError"
    text = "\n".join(shape.traceback)
    assert SHAPE_MARK in text and "A has shape (2, 3)" in text and "gufunc" not in text
    assert "invalid literal" in "\n".join(other.traceback)  # the usual traceback
    assert len(other.traceback) > 1
    nb.cells = nb.cells[:2]
    with pytest.raises(CellExecutionError, match="shapes do not fit"):  # nbval sees it fail
        NotebookClient(nb, timeout=60, resources={"metadata": {"path": tmp_path}}).execute()


def _submission(tmp_path: Path, code: str) -> Path:
    from test_exercises import replace_solution

    nb = nbformat.read(ROOT / "solutions" / "05_matrix_backprop.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "dense_backward":
            cell.source = replace_solution(cell.source, code)
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_grader_explains_a_shape_crash_and_codes_it(tmp_path):
    path = _submission(tmp_path, "return delta @ W, A_prev.T @ delta, delta.sum(axis=0)")
    report = grade_submission(ROOT / "solutions" / "05_matrix_backprop.ipynb", path)
    part = report.parts["dense_backward_tests"]
    assert part.points == 0 and part.status == "failed"
    assert part.code == "shape_error", part
    assert report.to_dict()["parts"]["dense_backward_tests"]["code"] == "shape_error"  # the JSON
    assert SHAPE_MARK in part.message and "`delta @ W`" in part.message
    assert "gufunc" not in part.message and "Traceback" not in part.message
    passed = report.parts["dense_forward_tests"]
    assert passed.status == "passed" and passed.code == ""
