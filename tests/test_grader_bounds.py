"""Can one submission stall a class's batch, make the grader read another file, or plant a
spreadsheet formula in grades.csv?

The time-bound tests run real kernels with small numbers (1 s per call, 3 s per submission,
functions that sleep 0.8 s), so they take seconds; timings of a whole class live in
``benchmarks/bench_grading_bound.py``.
"""

from __future__ import annotations

import csv
import os
import time

import nbformat
import pytest
from grader_fixtures.submissions import GOOD, POINTS, SOURCE, submission

from backprop_course.cli import main
from backprop_course.grading import batch, grade_batch, grade_submission
from backprop_course.grading.format.notebook import SymlinkRefused, read_notebook
from backprop_course.grading.grade import OUT_OF_TIME
from backprop_course.grading.results import csv_text, failed_report, write_csv

#: Calls of ``slow`` in each slow part: 20 x 0.8 s, far beyond the 3 s bound.
CALLS = 20


def _answer(gid, source):
    return nbformat.v4.new_code_cell(
        source, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": gid}}
    )


def _test(gid, source):
    meta = {"nbgrader": {"solution": False, "grade": True, "grade_id": gid, "points": 1}}
    return nbformat.v4.new_code_cell(source, metadata=meta)


def _slow_source(folder):
    """A source with a quick part first, then two parts that call ``slow`` CALLS times each,
    then a plain value; and a submission whose ``slow`` sleeps 0.8 s (just under 1 s)."""
    loop = f"for _ in range({CALLS}):\n    assert slow() == 2, 'slow() should return 2'"
    cells = [
        nbformat.v4.new_code_cell("import time"),
        _answer("fast", "def fast():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        _test("test_fast", "assert fast() == 1, 'fast() should return 1'"),
        _answer("slow", "def slow():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"),
        _test("test_slow_a", loop),
        _test("test_slow_b", loop),
        _answer("rate", "### BEGIN SOLUTION\nrate = 0.5\n### END SOLUTION"),
        _test("test_rate", "assert rate == 0.5, 'rate should be 0.5'"),
    ]
    source = folder / "slow_source.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), source)
    nb = nbformat.read(source, as_version=4)
    nb.cells[3].source = "def slow():\n    time.sleep(0.8)\n    return 2"
    sub = folder / "sleepy.ipynb"
    nbformat.write(nb, sub)
    return source, sub


def test_a_slow_submission_stops_at_its_bound_and_keeps_the_parts_graded_before(tmp_path):
    source, sub = _slow_source(tmp_path)
    started = time.perf_counter()
    report = grade_submission(source, sub, timeout=1, memory_mb=512, submission_timeout=3)
    elapsed = time.perf_counter() - started
    parts = report.parts
    assert list(parts) == ["test_fast", "test_slow_a", "test_slow_b", "test_rate"]
    assert (parts["test_fast"].points, parts["test_fast"].status) == (1.0, "passed")
    message = OUT_OF_TIME.format(bound=3)
    for gid in ("test_slow_a", "test_slow_b", "test_rate"):
        assert (parts[gid].points, parts[gid].message) == (0.0, message), report.summary()
        assert parts[gid].code == "submission_timeout"
    assert "time bound of 3 s" in message and "--submission-timeout" in message
    assert any(
        m.startswith("grading stopped at the submission's time bound of 3 s")
        and "3 part(s) not graded" in m
        for m in report.messages
    ), report.messages
    # unbounded, the sleeps alone take 2 * CALLS * 0.8 = 32 s
    assert elapsed < 20, f"took {elapsed:.1f} s"


def test_without_the_bound_the_same_class_of_submission_is_graded_to_the_end(tmp_path):
    source, sub = _slow_source(tmp_path)
    nb = nbformat.read(sub, as_version=4)
    nb.cells[3].source = "def slow():\n    time.sleep(0.05)\n    return 2"
    quick = tmp_path / "quick.ipynb"
    nbformat.write(nb, quick)
    report = grade_submission(source, quick, timeout=1, memory_mb=512, submission_timeout=None)
    assert report.total == report.max_total == 4.0, report.summary()
    assert not any("time bound" in m for m in report.messages)


def test_a_batch_goes_on_after_a_submission_hits_its_bound(tmp_path):
    source, sub = _slow_source(tmp_path)
    good = tmp_path / "good.ipynb"
    nbformat.write(nbformat.read(source, as_version=4), good)
    out = tmp_path / "out"
    reports = grade_batch(
        source, [sub, good], out, jobs=1, progress=False, timeout=1, memory_mb=512,
        submission_timeout=3,
    )  # fmt: skip
    assert [r.total for r in reports] == [1.0, 4.0], reports[0].summary()
    rows = list(csv.reader((out / "grades.csv").open(newline="")))
    assert rows[1:] == [["sleepy", "graded", "1", "0", "0", "0", "1", "4"],
                        ["good", "graded", "1", "1", "1", "1", "4", "4"]]  # fmt: skip


@pytest.mark.parametrize("bad", ["0", "-3", "soon"])
def test_a_nonpositive_submission_timeout_is_refused_by_the_parser(bad, capsys):
    with pytest.raises(SystemExit):
        main(["grade", "s.ipynb", "x.ipynb", "--out", "o", "--submission-timeout", bad])
    assert "--submission-timeout" in capsys.readouterr().err


def test_the_library_refuses_a_nonpositive_submission_timeout(tmp_path):
    with pytest.raises(ValueError, match="submission_timeout must be a positive number"):
        grade_submission(SOURCE, SOURCE, submission_timeout=0)
    with pytest.raises(ValueError, match="submission_timeout must be a positive number"):
        grade_batch(SOURCE, [SOURCE], tmp_path / "o", submission_timeout=-1.0)


def test_a_symlinked_submission_is_refused_unread_and_the_batch_goes_on(tmp_path, monkeypatch):
    seen = []

    class Recording(batch.Sandbox):
        def __init__(self, *args, protected=(), **kwargs):
            seen.append(tuple(protected))
            super().__init__(*args, protected=protected, **kwargs)

    monkeypatch.setattr(batch, "Sandbox", Recording)
    # followed, a link to the solution would score full marks; and a link's target, hidden
    # from every kernel of the class (Landlock), would stop them all if it is the folder of
    # the interpreter's standard library
    to_source = tmp_path / "cheat.ipynb"
    to_source.symlink_to(SOURCE)
    stdlib = os.path.dirname(os.__file__)
    to_usr = tmp_path / "usr.ipynb"
    to_usr.symlink_to(stdlib)
    good = submission(tmp_path, "good", GOOD)
    out = tmp_path / "out"
    reports = grade_batch(
        SOURCE, [to_source, to_usr, good], out, jobs=1, progress=False, timeout=5, memory_mb=512
    )
    for report, target in zip(reports[:2], (SOURCE, stdlib), strict=True):
        assert report.status == "invalid" and report.total == 0.0
        assert report.messages == [
            f"{report.submission}: refused: a symbolic link (to {target}); the grader never "
            "follows links, which could point it at another file (the solution, a classmate's "
            "notebook): submit the notebook file itself"
        ]
        assert {p.message for p in report.parts.values()} == {"submission refused: a symbolic link"}
        assert {p.code for p in report.parts.values()} == {"symlink_refused"}
    assert reports[2].total == sum(POINTS.values()), reports[2].summary()
    assert seen and all(p == (str(SOURCE), str(good)) for p in seen)
    rows = list(csv.reader((out / "grades.csv").open(newline="")))
    expected = [["cheat", "invalid"], ["usr", "invalid"], ["good", "graded"]]
    assert [r[:2] for r in rows[1:]] == expected


def test_protected_files_are_named_absolutely_for_the_kernel(tmp_path, monkeypatch):
    # the kernel resolves them in its own scratch folder: a relative path there hid nothing
    monkeypatch.chdir(tmp_path)
    sandbox = batch.Sandbox(protected=("source.ipynb", "subs/ann.ipynb"))
    assert sandbox.protected == (str(tmp_path / "source.ipynb"), str(tmp_path / "subs/ann.ipynb"))


def test_reading_a_submission_never_follows_a_link(tmp_path):
    link = tmp_path / "link.ipynb"
    link.symlink_to(SOURCE)
    assert read_notebook(link).cells  # the instructor's own files may be links
    with pytest.raises(SymlinkRefused, match="refused: a symbolic link"):
        read_notebook(link, follow_symlinks=False)
    dangling = tmp_path / "dangling.ipynb"
    dangling.symlink_to(tmp_path / "nowhere.ipynb")
    with pytest.raises(SymlinkRefused):
        read_notebook(dangling, follow_symlinks=False)
    assert read_notebook(SOURCE, follow_symlinks=False).cells


NASTY = [
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "comma, in it",
    "line\nbreak",
    'quote " in it',
    "plain",
]


def test_every_text_field_of_grades_csv_is_neutralised_and_one_row(tmp_path):
    parts = [("=part", 2.0), ("ok", 1.0)]
    reports = [(name, failed_report("s.ipynb", f"{name}.ipynb", parts, "x")) for name in NASTY]
    path = write_csv(reports, [gid for gid, _ in parts], tmp_path / "grades.csv")
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    assert len(rows) == 1 + len(NASTY)
    assert rows[0] == ["submission", "status", "'=part", "ok", "total", "max_total"]
    for name, row in zip(NASTY, rows[1:], strict=True):
        assert len(row) == 6
        assert row[0] == (f"'{name}" if name[0] in "=+-@\t\r" else name)
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert [float(x) for x in row[2:]] == [0.0, 0.0, 0.0, 3.0]  # scores stay numbers


def test_a_file_named_like_a_formula_with_a_comma_and_a_newline_is_one_safe_row(tmp_path):
    name = '=HYPERLINK("evil"),x\ny'
    odd = tmp_path / f"{name}.ipynb"
    odd.write_text("not a notebook")
    plain = tmp_path / "plain.ipynb"
    plain.write_text("{}")
    out = tmp_path / "out"
    grade_batch(SOURCE, [odd, plain], out, jobs=1, progress=False)
    rows = list(csv.reader((out / "grades.csv").open(newline="", encoding="utf-8")))
    assert [r[:2] for r in rows[1:]] == [[f"'{name}", "invalid"], ["plain", "invalid"]]
    assert all(len(r) == len(rows[0]) for r in rows)
    assert os.path.exists(out / f"{name}.json")


def test_csv_text_leaves_ordinary_names_alone():
    assert [csv_text(s) for s in ("alice", "a-b", "x=1", "")] == ["alice", "a-b", "x=1", ""]
