"""Can an answer get another part's reference (the versions ``checks.use_reference`` binds in
the student's kernel while a test runs) and hand it in as its own?"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from backprop_course.grading import grade_submission
from backprop_course.grading.scoring import references

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "05_matrix_backprop.ipynb"

#: loss_and_grads' test binds references of dense_forward, dense_backward and
#: bce_output_delta; an attacker looks through them for the reference loss_and_grads.
STEALS_THROUGH_GLOBALS = """
def loss_and_grads(params, X, y):
    for name in ("dense_forward", "dense_backward", "bce_output_delta"):
        found = globals()[name].__globals__.get("loss_and_grads")
        if found is not None and found is not loss_and_grads:
            return found(params, X, y)
    raise NotImplementedError()
"""


def _with_answer(tmp_path, grade_id: str, code: str) -> Path:
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code
    path = tmp_path / "attacker.ipynb"
    nbformat.write(nb, path)
    return path


def test_an_answer_cannot_return_the_reference_found_through_another_reference(tmp_path):
    report = grade_submission(
        SOLUTION, _with_answer(tmp_path, "loss_and_grads", STEALS_THROUGH_GLOBALS)
    )
    assert report.parts["loss_and_grads_tests"].points == 0, report.summary()
    assert (
        report.parts["dense_forward_tests"].points == report.parts["dense_forward_tests"].max_points
    )


@pytest.mark.parametrize("name", references.NAMES)
def test_a_reference_goes_into_the_kernel_with_its_helpers_only(name):
    source = references._source_of([name])
    defined = set(re.findall(r"^def (\w+)", source, re.M))
    assert name in defined and repr(source) in references.kernel_code([name])
    assert not (defined - {name}) & set(references.NAMES), defined


def test_no_test_binds_the_reference_of_a_part_graded_after_it():
    """A reference bound in a test is only ever of a part whose own test ran before: no answer
    can keep a reference and return it when its own part is graded later."""
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        tested_at = {}
        for i, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                for name in re.findall(r"^def (\w+)", cell.source, re.M):
                    tested_at[name] = i
            if cell.cell_type == "code" and meta.get("grade"):
                for call in re.findall(r"use_reference\(([^)]*)\)", cell.source):
                    for name in re.findall(r"[\"'](\w+)[\"']", call):
                        assert tested_at.get(name, i) < i, (path.name, meta["grade_id"], name)
