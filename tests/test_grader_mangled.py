"""Notebooks that editors or students mangled: graded when they can be, refused clearly when not.

The fixtures (written by tests/grader_fixtures/mangled.py) are the fixture
exercise as Google Colab saves it (no cell metadata), with an answer cell duplicated or turned
into markdown, empty, cut off, in nbformat 4.4 without cell ids, and with IPython's traceback
display switched off. Each gets its own row in grades.csv and a message saying what happened
and how to fix it (issue 22).
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest
from grader_fixtures import mangled as fixtures
from grader_fixtures.submissions import POINTS, SOURCE

from backprop_course.grading import grade_batch
from backprop_course.grading.format import mangled
from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.format.build import make_exercise

SUM, DER = "test_scaled_sum", "test_derivative"
SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"

#: name -> (points lost, words in its messages)
EXPECTED = {
    "colab_stripped": (set(), "matched to the exercise's by their order"),
    "colab_stripped_wrong_sum": ({SUM}, "no nbgrader metadata"),
    "duplicated_answer": (set(), "appears 2 times"),
    "answer_as_markdown": ({DER}, "press Y"),
    "nbformat_4_4": (set(), "nbformat 4.4"),
    "hides_its_failures": ({SUM}, ""),
}
REFUSED = {"empty": "the file is empty (0 bytes)", "cut_off_json": "not valid JSON"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mangled")
    paths = fixtures.write(folder)
    out = folder / "out"
    before = {p: p.read_bytes() for p in paths}
    reports = grade_batch(SOURCE, paths, out, jobs=2, timeout=20, progress=False)
    assert {p: p.read_bytes() for p in paths} == before  # nothing was changed
    return {Path(r.submission).stem: r for r in reports}, out


def test_every_fixture_is_covered(graded):
    assert set(graded[0]) == set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_mangled_notebooks_are_graded_with_a_note(graded, name):
    report = graded[0][name]
    lost, words = EXPECTED[name]
    expected = {gid: (0.0 if gid in lost else pts) for gid, pts in POINTS.items()}
    assert {gid: p.points for gid, p in report.parts.items()} == expected, report.summary()
    text = " ".join(report.messages + [p.message for p in report.parts.values()])
    assert words in text, report.summary()
    assert report.submission.endswith(f"{name}.ipynb")  # the student's file, not a copy


@pytest.mark.parametrize("name", list(REFUSED))
def test_unreadable_files_are_refused_with_how_to_fix(graded, name):
    report = graded[0][name]
    assert report.status == "invalid" and report.total == 0.0
    text = " ".join(report.messages + [p.message for p in report.parts.values()])
    assert REFUSED[name] in text and "submit" in text, report.summary()


def test_each_gets_its_own_row(graded):
    reports, out = graded
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(reports)


def test_hiding_tracebacks_hides_nothing(graded):
    part = graded[0]["hides_its_failures"].parts[SUM]
    assert part.status == "failed" and part.points == 0.0


@pytest.mark.parametrize("name", sorted(p.name for p in SOLUTIONS.glob("*.ipynb")))
@pytest.mark.parametrize("which", ["solution", "exercise"])
def test_every_answer_cell_of_the_course_is_found_without_metadata(name, which):
    """Each sheet as Colab would save it, answered (the solution) or not (the exercise)."""
    source = nbmod.read_notebook(SOLUTIONS / name)
    nb = make_exercise(source) if which == "exercise" else nbformat.from_dict(source)
    where = {nbmod.grade_id(c): i for i, c in enumerate(nb.cells) if nbmod.role(c) == "answer"}
    for cell in nb.cells:
        cell.metadata = {}
    fixed, notes = mangled.repair(source, nb)
    found = {nbmod.grade_id(c): i for i, c in enumerate(fixed.cells) if nbmod.grade_id(c)}
    assert found == where, notes
