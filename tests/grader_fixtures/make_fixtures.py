"""Write the grader's fixture notebooks (run: python tests/grader_fixtures/make_fixtures.py).

``source.ipynb`` is a small course notebook in nbgrader format: a setup cell, three answer cells
(a function, a function taking a setup function by name, a plain value), public and hidden tests,
one test cell that scores partial credit with its last expression, and a forbidden module.
The generated files are committed; this script documents how they were made.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def answer(grade_id, source):
    meta = {
        "nbgrader": {
            "grade": False,
            "grade_id": grade_id,
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
    }
    return new_code_cell(source, metadata=meta)


def test(grade_id, points, source):
    meta = {
        "nbgrader": {
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": points,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    }
    return new_code_cell(source, metadata=meta)


def source_notebook():
    cells = [
        new_markdown_cell("# Fixture: scaled sums and a derivative\n\nThree small parts."),
        new_code_cell(
            "import numpy as np\n"
            "\n"
            "\n"
            "def square(x):\n"
            "    return x * x\n"
            "\n"
            "\n"
            "X = np.arange(6.0).reshape(3, 2)"
        ),
        new_markdown_cell(
            "**Part 1.** Write `scaled_sum(X, c)`: the column sums of `X` times `c`."
        ),
        answer(
            "scaled_sum",
            "def scaled_sum(X, c):\n"
            '    """Column sums of X times c."""\n'
            "    ### BEGIN SOLUTION\n"
            "    return c * np.asarray(X, dtype=float).sum(axis=0)\n"
            "    ### END SOLUTION",
        ),
        test(
            "test_scaled_sum",
            2,
            "out = scaled_sum(X, 2.0)\n"
            'assert isinstance(out, np.ndarray), f"need an array, got {type(out).__name__}"\n'
            'assert out.shape == (2,), f"expected shape (2,), got {out.shape}"\n'
            'assert np.allclose(out, [12.0, 18.0]), "column sums times c are wrong"\n'
            "### BEGIN HIDDEN TESTS\n"
            "rng = np.random.default_rng(0)\n"
            "Z = rng.normal(size=(5, 3))\n"
            'assert np.allclose(scaled_sum(Z, -1.5), -1.5 * Z.sum(axis=0)), "hidden: random"\n'
            "### END HIDDEN TESTS",
        ),
        new_markdown_cell(
            "**Part 2.** Write `derivative(f, x)`: a central difference of `f` at `x`."
        ),
        answer(
            "derivative",
            "def derivative(f, x, eps=1e-5):\n"
            "    ### BEGIN SOLUTION\n"
            "    return (f(x + eps) - f(x - eps)) / (2 * eps)\n"
            "    ### END SOLUTION",
        ),
        test(
            "test_derivative",
            3,
            "score = 0\n"
            "if abs(derivative(square, 3.0) - 6.0) < 1e-4:\n"
            "    score += 1\n"
            "if abs(derivative(square, -1.0) + 2.0) < 1e-4:\n"
            "    score += 1\n"
            "### BEGIN HIDDEN TESTS\n"
            "if abs(derivative(np.sin, 0.0) - 1.0) < 1e-6:\n"
            "    score += 1\n"
            "### END HIDDEN TESTS\n"
            "score",
        ),
        new_markdown_cell(
            "**Part 3.** Set `learning_rate` to the largest stable rate for f = 2 w^2."
        ),
        answer("learning_rate", "### BEGIN SOLUTION\nlearning_rate = 0.5\n### END SOLUTION"),
        test(
            "test_learning_rate",
            1,
            'assert isinstance(learning_rate, float), "learning_rate must be a float"\n'
            'assert abs(learning_rate - 0.5) < 1e-12, "not the largest stable rate"',
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["backprop_course"] = {"forbidden_modules": ["backprop_course.gradcheck"]}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
    return nb


if __name__ == "__main__":
    nbformat.write(source_notebook(), HERE / "source.ipynb")
