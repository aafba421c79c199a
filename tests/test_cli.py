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
