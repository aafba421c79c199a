"""The Gradescope autograder zip (issue 10): built, unpacked into a stand-in ``/autograder``,
``setup.sh`` then ``run_autograder`` run as Gradescope runs them, results.json checked against
Gradescope's documented format. No network: setup.sh installs only the bundled wheel, with
the dependencies of this interpreter (``BACKPROP_AUTOGRADER_PYTHON``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from backprop_course.cli import main
from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.gradescope import build_autograder

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "02_gradient_descent.ipynb"
EXERCISE = REPO / "exercises" / "02_gradient_descent.ipynb"
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TEST_KEYS = {"name", "score", "max_score", "status", "output", "visibility"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """A stand-in /autograder after setup.sh: source/ unpacked from the zip, then set up."""
    tmp = tmp_path_factory.mktemp("gradescope")
    zip_path = build_autograder(SOLUTION, tmp / "autograder.zip")
    root = tmp / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        zf.extractall(root / "source")
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    # Gradescope wants both scripts at the zip's root; zipfile drops the executable bit
    assert {"setup.sh", "run_autograder", SOLUTION.name} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    env = {**os.environ, "BACKPROP_AUTOGRADER_ROOT": str(root)}
    env["BACKPROP_AUTOGRADER_PYTHON"] = sys.executable
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # Gradescope copies run_autograder to /autograder/ and runs it there, from /autograder
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    # the course is the wheel's copy, not this checkout's
    assert (root / "site" / "backprop_course" / "grading" / "gradescope.py").is_file()
    return root, env


def run(root: Path, env: dict, submissions: dict[str, Path]) -> dict:
    """Put ``submissions`` (name -> file) in root/submission, run run_autograder, read results."""
    folder = root / "submission"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name, path in submissions.items():
        shutil.copy(path, folder / name)
    done = subprocess.run(
        [str(root / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    check_format(results)
    return results


def check_format(results: dict) -> None:
    """Gradescope's results.json: types, keys and visibility values; score = sum of tests."""
    assert isinstance(results["score"], float)
    assert isinstance(results["output"], str)
    assert results["visibility"] in VISIBILITIES
    assert results["stdout_visibility"] in VISIBILITIES
    assert isinstance(results.get("execution_time", 0), int | float)
    for test in results["tests"]:
        assert set(test) == TEST_KEYS
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in {"passed", "failed"}
        assert test["visibility"] in VISIBILITIES
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def expected_visibility() -> dict[str, str]:
    """Each part's test, after publication when it holds hidden tests; those parts also get a
    visible, pointless "(public tests)" test shown at once."""
    nb = nbmod.read_notebook(SOLUTION)
    out = {}
    for c in nb.cells:
        if nbmod.role(c) == "test":
            gid = nbmod.grade_id(c)
            if "### BEGIN HIDDEN TESTS" in c.source:
                out[f"{gid} (public tests)"] = "visible"
                out[gid] = "after_published"
            else:
                out[gid] = "visible"
    return out


def test_the_solution_gets_full_marks_and_hidden_parts_wait_for_publication(autograder):
    root, env = autograder
    results = run(root, env, {"alice.ipynb": SOLUTION})
    points = dict(nbmod.graded_parts(nbmod.read_notebook(SOLUTION)))
    assert {t["name"]: t["max_score"] for t in results["tests"] if t["max_score"]} == points
    assert results["score"] == sum(points.values())
    assert all(t["status"] == "passed" for t in results["tests"])
    assert {t["name"]: t["visibility"] for t in results["tests"]} == expected_visibility()
    assert all(t["max_score"] == 0 for t in results["tests"] if t["name"].endswith("tests)"))


def test_the_stub_scores_zero(autograder):
    root, env = autograder
    results = run(root, env, {"02_gradient_descent.ipynb": EXERCISE})
    assert results["score"] == 0.0 and len(results["tests"]) == len(expected_visibility())
    assert all("not attempted" in t["output"] for t in results["tests"])
    assert {t["name"]: t["visibility"] for t in results["tests"]} == expected_visibility()


def test_students_see_their_public_tests_at_once_and_nothing_of_the_hidden_ones(autograder):
    """A public failure is shown with its message at once; a part that fails only in a
    hidden test shows its public tests passed, and its score and message wait."""
    root, env = autograder
    nb = nbmod.read_notebook(EXERCISE)
    for cell in nb.cells:
        gid = nbmod.grade_id(cell)
        if gid == "quadratic_gradient":  # forgot c: the public test names it
            cell.source = "def quadratic_gradient(A, c, w):\n    return 0.5 * (A + A.T) @ w"
        elif gid == "gradient_descent":  # right, except when n_steps is 0 (hidden tests only)
            cell.source = (
                "def gradient_descent(grad_fn, w0, lr, n_steps):\n"
                "    path = [np.array(w0, dtype=float)]\n"
                "    for _ in range(n_steps):\n"
                "        path.append(path[-1] - lr * grad_fn(path[-1]))\n"
                "    if n_steps == 0:\n"
                "        raise ValueError('secret hidden input ' + repr(w0))\n"
                "    return np.array(path)"
            )
    sub = root / "mixed.ipynb"
    nbformat.write(nb, sub)
    results = run(root, env, {"mixed.ipynb": sub})
    tests = {t["name"]: t for t in results["tests"]}
    public = tests["quadratic_gradient_tests (public tests)"]
    assert public["status"] == "failed" and public["visibility"] == "visible"
    assert public["output"] == tests["quadratic_gradient_tests"]["output"]  # the public message
    assert "at line" in public["output"]
    assert tests["quadratic_gradient_tests"]["visibility"] == "after_published"
    hidden_fail = tests["gradient_descent_tests"]
    assert hidden_fail["score"] == 0.0 and hidden_fail["visibility"] == "after_published"
    shown = tests["gradient_descent_tests (public tests)"]
    assert shown["status"] == "passed" and "secret" not in shown["output"]


def test_no_notebook_or_two_notebooks_score_zero_and_say_why(autograder):
    root, env = autograder
    results = run(root, env, {"notes.txt": SOLUTION})
    assert results["score"] == 0.0 and "no notebook" in results["output"]
    assert {t["max_score"] for t in results["tests"]} and results["tests"][0]["score"] == 0.0
    results = run(root, env, {"a.ipynb": SOLUTION, "b.ipynb": SOLUTION})
    assert results["score"] == 0.0 and "submit exactly one" in results["output"]


def test_cli_refuses_an_exercise_and_an_existing_out(tmp_path, capsys):
    out = tmp_path / "autograder.zip"
    assert main(["gradescope-autograder", str(EXERCISE), "--out", str(out)]) == 2
    assert "solution" in capsys.readouterr().err and not out.exists()
    out.write_text("mine")
    assert main(["gradescope-autograder", str(SOLUTION), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["gradescope-autograder", str(SOLUTION), "--out", str(out), "--overwrite"]) == 0
    assert zipfile.is_zipfile(out)


def test_parts_without_hidden_tests_are_visible_and_batch_results_know_the_hidden_ones():
    from backprop_course.grading.results import PartResult, SubmissionReport, gradescope_results

    part = PartResult("quadratic_gradient_tests", 2.0, 2.0, "passed")
    report = SubmissionReport(str(SOLUTION), "a.ipynb", {part.grade_id: part})
    assert gradescope_results(report, hidden=set())["tests"][0]["visibility"] == "visible"
    # without `hidden`, the hidden parts are read from the report's source notebook
    assert expected_visibility()[part.grade_id] == "after_published"
    tests = gradescope_results(report)["tests"]
    assert [(t["name"], t["visibility"]) for t in tests] == [
        ("quadratic_gradient_tests (public tests)", "visible"),
        ("quadratic_gradient_tests", "after_published"),
    ]


def test_setup_installs_only_what_grading_needs_at_the_tested_versions(tmp_path):
    """requirements.txt names what grading imports (no JupyterLab); constraints.txt pins every
    distribution at the version installed here, where the tests run (issue 22)."""
    import importlib.metadata

    zip_path = build_autograder(SOLUTION, tmp_path / "autograder.zip")
    with zipfile.ZipFile(zip_path) as zf:
        requirements = zf.read("requirements.txt").decode().split()
        constraints = zf.read("constraints.txt").decode().split()
        setup = zf.read("setup.sh").decode()
    assert {"numpy", "nbformat", "nbclient", "ipykernel"} <= set(requirements)
    assert not {"jupyterlab", "matplotlib", "ipywidgets", "scikit-learn"} & set(requirements)
    for name in ("numpy", "nbclient", "ipykernel", "pyzmq", "jupyterlab"):
        assert f"{name}=={importlib.metadata.version(name)}" in constraints
    assert not any(line.lower().startswith("backprop") for line in constraints)
    assert '-m pip install --quiet --no-deps "$WHEEL"' in setup
    assert '-c "$SRC/constraints.txt" -r "$SRC/requirements.txt"' in setup
