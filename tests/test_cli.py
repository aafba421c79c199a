"""Does the `backprop-course` command wrap the library with the right exit codes and messages?"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_course.cli import main

FIXTURES = Path(__file__).parent / "grader_fixtures"


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions").mkdir()
    shutil.copy(FIXTURES / "source.ipynb", tmp_path / "solutions" / "01_fixture.ipynb")
    return tmp_path


def test_build_then_check_round_trip(course, capsys):
    sol, ex = str(course / "solutions"), str(course / "exercises")
    assert main(["build-exercises", "--check", "--solutions", sol, "--exercises", ex]) == 1
    err = capsys.readouterr().err
    assert "missing:" in err and "01_fixture.ipynb" in err
    assert not (course / "exercises").exists(), "--check must write nothing"
    assert main(["build-exercises", "--solutions", sol, "--exercises", ex]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["build-exercises", "--check", "--solutions", sol, "--exercises", ex]) == 0


def test_check_names_a_stale_exercise(course, capsys):
    sol, ex = str(course / "solutions"), str(course / "exercises")
    main(["build-exercises", "--solutions", sol, "--exercises", ex])
    target = course / "exercises" / "01_fixture.ipynb"
    target.write_text(target.read_text() + " ", encoding="utf-8")
    capsys.readouterr()
    assert main(["build-exercises", "--check", "--solutions", sol, "--exercises", ex]) == 1
    assert f"stale: {target}" in capsys.readouterr().err


def test_invalid_solution_exits_2_with_the_cell_named(course, capsys):
    (course / "solutions" / "broken.ipynb").write_text("{", encoding="utf-8")
    code = main(["build-exercises", "--solutions", str(course / "solutions")])
    assert code == 2
    assert "broken.ipynb: not a readable notebook" in capsys.readouterr().err


def test_console_script_defaults_to_solutions_and_exercises_in_cwd(course):
    exe = shutil.which("backprop-course")
    cmd = [exe] if exe else [sys.executable, "-m", "backprop_course.cli"]
    proc = subprocess.run(
        [*cmd, "build-exercises"], cwd=course, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (course / "exercises" / "01_fixture.ipynb").is_file()


def test_grade_writes_results_and_reports_progress(tmp_path, capsys):
    from grader_fixtures.submissions import SOURCE, submission

    good = submission(tmp_path, "alice", {})
    out = tmp_path / "out"
    code = main(
        ["grade", str(SOURCE), str(good), str(tmp_path / "nobody.ipynb"), "--out", str(out)]
        + ["--jobs", "1", "--timeout", "5", "--memory-mb", "512", "--gradescope"]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "[2/2]" in captured.err and "alice.ipynb: 6/6 graded" in captured.err
    assert (out / "grades.csv").read_text().splitlines()[1:] == [
        "alice,graded,2,3,1,6,6",
        "nobody,invalid,0,0,0,0,6",
    ]
    assert (out / "gradescope" / "alice" / "results.json").is_file()

    # grading again into the same folder must not lose grades edited by hand
    (out / "grades.csv").write_text("hand-edited\n", encoding="utf-8")
    again = ["grade", str(SOURCE), str(good), "--out", str(out), "--jobs", "1", "--quiet"]
    assert main(again) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == "hand-edited\n"
    assert main([*again, "--overwrite"]) == 0
    assert (out / "grades.csv").read_text().splitlines()[1:] == ["alice,graded,2,3,1,6,6"]


def test_check_prints_the_public_score_and_fails_until_complete(tmp_path, capsys):
    from grader_fixtures.submissions import submission

    wrong = submission(tmp_path, "mine", {"learning_rate": "learning_rate = 0.25"})
    assert main(["check", str(wrong), "--timeout", "5", "--memory-mb", "512"]) == 1
    out = capsys.readouterr().out
    assert "test_learning_rate: 0 / 1 failed" in out
    assert "not the largest stable rate" in out


@pytest.mark.parametrize(
    "argv", [["grade", "s.ipynb", "--out", "o", "--jobs", "0"], ["check", "x", "--timeout", "-1"]]
)
def test_nonpositive_limits_are_rejected_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "must be positive" in capsys.readouterr().err


def test_grade_with_a_broken_source_exits_2_naming_it(tmp_path, capsys):
    bad = tmp_path / "source.ipynb"
    bad.write_text("[]", encoding="utf-8")
    assert main(["grade", str(bad), str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "source.ipynb" in capsys.readouterr().err


def test_lab_opens_jupyterlab_on_the_lectures_folder(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    (tmp_path / "lectures").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["lab"]) == 0
    assert calls[0][1:3] == ["-m", "jupyterlab"]
    assert calls[0][3] == f"--notebook-dir={tmp_path / 'lectures'}"


def test_check_on_a_lecture_says_it_has_nothing_to_check_and_fails(capsys):
    lecture = Path(__file__).resolve().parents[1] / "lectures" / "02_gradient_descent.ipynb"
    assert main(["check", str(lecture)]) == 2
    err = capsys.readouterr().err
    assert "no graded test cells" in err and "exercises/" in err
