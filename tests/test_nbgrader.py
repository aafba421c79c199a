"""Do our solutions work unchanged in real nbgrader (the README's "nbgrader route")?

A temporary course folder, nbgrader's own command line (``python -m nbgrader`` of this
interpreter; nothing is installed at run time): ``generate_assignment`` from one solution,
two students' submissions (the solution itself, and the release copy untouched),
``autograde`` and ``export``. The solution student gets every point of the notebook (as our
grader counts them), the release copy none; and nbgrader's release copy is the exercise
``backprop-course build-exercises`` writes.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from backprop_course.grading.format import notebook as nbmod

pytest.importorskip("nbgrader", reason="nbgrader is in the dev extra: pip install -e '.[dev]'")

pytestmark = pytest.mark.nbgrader

ROOT = Path(__file__).resolve().parent.parent
#: The quickest solution to execute (a few seconds per copy).
NOTEBOOK = "02_gradient_descent.ipynb"


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # only the course's nbgrader_config.py counts: no user or system Jupyter config
    env.update(
        JUPYTER_CONFIG_DIR=str(course / ".jupyter"),
        JUPYTER_DATA_DIR=str(course / ".jupyter-data"),
        JUPYTER_PLATFORM_DIRS="1",
        # nbgrader creates its gradebook by running the `alembic` command it finds on PATH:
        # this interpreter's, as in an activated virtual environment
        PATH=os.pathsep.join([sysconfig.get_path("scripts"), env.get("PATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_nbgrader_generates_autogrades_and_exports_our_solution(tmp_path):
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    # as in the README: the config names the course folder, and nbgrader runs in it
    (course / "nbgrader_config.py").write_text('c = get_config(); c.CourseDirectory.root = "."\n')
    shutil.copy(ROOT / "solutions" / NOTEBOOK, course / "source" / "ps1" / NOTEBOOK)

    nbgrader(course, "generate_assignment", "ps1")
    release = course / "release" / "ps1" / NOTEBOOK
    exercise = nbmod.read_notebook(ROOT / "exercises" / NOTEBOOK)
    assert [c.source.rstrip() for c in nbmod.read_notebook(release).cells] == [
        c.source.rstrip() for c in exercise.cells
    ], "nbgrader's release copy differs from exercises/: run backprop-course build-exercises"

    for student, notebook in (("solved", ROOT / "solutions" / NOTEBOOK), ("blank", release)):
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / NOTEBOOK)
    nbgrader(course, "autograde", "ps1")  # adds the students to the gradebook as it goes
    nbgrader(course, "export", "--to", "grades.csv")  # one row per student

    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    points = sum(
        p for _, p in nbmod.graded_parts(nbmod.read_notebook(ROOT / "solutions" / NOTEBOOK))
    )
    assert set(rows) == {"solved", "blank"}
    assert float(rows["solved"]["max_score"]) == points
    assert float(rows["solved"]["score"]) == points, rows["solved"]
    assert float(rows["blank"]["score"]) == 0.0, rows["blank"]
