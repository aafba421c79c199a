"""Does build-exercises turn solutions into exercises that leak nothing and are reproducible?"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import pytest

from backprop_course.grading.format import regions
from backprop_course.grading.format.build import build_exercises, make_exercise
from backprop_course.grading.format.notebook import NotebookError, read_notebook, validate

FIXTURES = Path(__file__).parent / "grader_fixtures"


@pytest.fixture
def solutions(tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir()
    shutil.copy(FIXTURES / "source.ipynb", folder / "01_fixture.ipynb")
    return folder


def test_solution_regions_become_stubs_at_their_indentation():
    src = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    out = regions.replace_solutions(src)
    assert out == "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    compile(out, "<stub>", "exec")


def test_two_solution_regions_in_one_cell_are_both_replaced():
    src = (
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\n"
        "def g():\n        ### BEGIN SOLUTION\n        return 2\n        ### END SOLUTION"
    )
    out = regions.replace_solutions(src)
    assert "return" not in out
    assert out.count("raise NotImplementedError()") == 2
    assert "        raise NotImplementedError()" in out


def test_a_solution_cell_without_markers_is_replaced_whole():
    assert regions.replace_solutions("x = 42") == "# YOUR CODE HERE\nraise NotImplementedError()"


def test_hidden_tests_are_removed_with_their_markers():
    src = "assert a\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nassert b"
    assert regions.remove_hidden_tests(src) == "assert a\nassert b"


@pytest.mark.parametrize(
    "src, words",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without a matching"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "already opened"),
    ],
)
def test_unbalanced_markers_are_reported_with_their_line(src, words):
    with pytest.raises(ValueError, match=words):
        regions.find_regions(src, regions.BEGIN_SOLUTION, regions.END_SOLUTION)


def test_exercise_keeps_tests_and_metadata_and_drops_solutions_outputs_hidden_tests():
    nb = read_notebook(FIXTURES / "source.ipynb")
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", text="hello")]
    nb.cells[3].execution_count = 7
    before = copy.deepcopy(nb)
    ex = make_exercise(nb)
    assert nb == before, "make_exercise must not change its input"
    text = nbformat.writes(ex)
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    assert "np.asarray(X, dtype=float).sum(axis=0)" not in text
    assert "learning_rate = 0.5" not in text
    assert "default_rng(0)" not in text
    assert "column sums times c are wrong" in text
    for src_cell, ex_cell in zip(nb.cells, ex.cells, strict=True):
        assert ex_cell.metadata.get("nbgrader") == src_cell.metadata.get("nbgrader")
        assert ex_cell.id == src_cell.id
        if ex_cell.cell_type == "code":
            assert ex_cell.outputs == [] and ex_cell.execution_count is None
    assert ex.metadata == nb.metadata


def test_build_writes_byte_identical_files_and_check_passes(solutions, tmp_path):
    exercises = tmp_path / "exercises"
    first = build_exercises(solutions, exercises)
    assert first.written == [exercises / "01_fixture.ipynb"]
    data = (exercises / "01_fixture.ipynb").read_bytes()
    second = build_exercises(solutions, exercises)
    assert second.written == [] and second.unchanged == [exercises / "01_fixture.ipynb"]
    assert (exercises / "01_fixture.ipynb").read_bytes() == data
    assert build_exercises(solutions, exercises, check=True).ok
    nbformat.validate(nbformat.reads(data.decode(), as_version=4))


def test_check_names_stale_missing_and_orphan_exercises_and_writes_nothing(solutions, tmp_path):
    exercises = tmp_path / "exercises"
    build_exercises(solutions, exercises)
    shutil.copy(solutions / "01_fixture.ipynb", solutions / "02_new.ipynb")
    nb = read_notebook(solutions / "01_fixture.ipynb")
    nb.cells[0].source += "\nEdited."
    nbformat.write(nb, solutions / "01_fixture.ipynb")
    shutil.copy(exercises / "01_fixture.ipynb", exercises / "99_orphan.ipynb")
    snapshot = {p.name: p.read_bytes() for p in exercises.iterdir()}
    result = build_exercises(solutions, exercises, check=True)
    assert result.stale == [exercises / "01_fixture.ipynb", exercises / "02_new.ipynb"]
    assert result.orphans == [exercises / "99_orphan.ipynb"]
    assert not result.ok
    assert {p.name: p.read_bytes() for p in exercises.iterdir()} == snapshot


def _fixture_with(edit):
    nb = read_notebook(FIXTURES / "source.ipynb")
    edit(nb)
    return nb


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda nb: nb.cells[4].metadata.nbgrader.update(grade_id="scaled_sum"), "already used"),
        (lambda nb: nb.cells[4].metadata.nbgrader.pop("points"), "positive 'points'"),
        (lambda nb: nb.cells[4].metadata.nbgrader.update(points=-1), "positive 'points'"),
        (lambda nb: nb.cells[3].metadata.nbgrader.pop("grade_id"), "needs a 'grade_id'"),
        (
            lambda nb: setattr(nb.cells[3], "source", nb.cells[3].source.replace("### END", "#")),
            "never closed",
        ),
        (
            lambda nb: setattr(nb.cells[1], "source", "### BEGIN SOLUTION\nx=1\n### END SOLUTION"),
            "would leak",
        ),
        (
            lambda nb: setattr(nb.cells[4], "source", nb.cells[4].source + "\n  x = ("),
            "does not parse",
        ),
        (lambda nb: nb.cells[3].metadata.nbgrader.update(grade=True, points=1), "graded by hand"),
    ],
)
def test_validation_names_notebook_cell_and_problem(edit, words):
    nb = _fixture_with(edit)
    with pytest.raises(NotebookError, match=words) as info:
        validate(nb, "solutions/demo.ipynb")
    assert "solutions/demo.ipynb, cell" in str(info.value)


def test_one_broken_solution_stops_the_build_before_anything_is_written(solutions, tmp_path):
    nb = read_notebook(solutions / "01_fixture.ipynb")
    nb.cells[4].metadata.nbgrader["grade_id"] = "scaled_sum"
    nbformat.write(nb, solutions / "00_broken.ipynb")
    with pytest.raises(NotebookError, match="00_broken.ipynb, cell 4"):
        build_exercises(solutions, tmp_path / "exercises")
    assert not (tmp_path / "exercises").exists()


def test_corrupt_solution_json_is_a_clear_error(solutions, tmp_path):
    (solutions / "bad.ipynb").write_text("{ not json", encoding="utf-8")
    with pytest.raises(NotebookError, match="bad.ipynb: not a readable notebook"):
        build_exercises(solutions, tmp_path / "exercises")
