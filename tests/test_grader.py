"""Does the grader give each part exactly the points it earned, and say why it did not?

Each test grades small fixture notebooks in real kernels (short timeouts, small memory caps).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import nbformat
import pytest
from grader_fixtures.submissions import GOOD, POINTS, SOURCE, exercise, submission

from backprop_course.grading import batch, check_notebook, grade_batch, grade_submission
from backprop_course.grading.format.notebook import NotebookError

LIMITS = {"timeout": 5, "memory_mb": 512}


def grade(path, **kw):
    return grade_submission(SOURCE, path, **{**LIMITS, **kw})


def points(report):
    return {gid: p.points for gid, p in report.parts.items()}


def test_the_solution_scores_full_marks():
    report = grade(SOURCE)
    assert points(report) == POINTS
    assert report.total == report.max_total == 6.0
    assert all(p.status == "passed" and p.message == "" for p in report.parts.values())
    assert report.status == "graded"


def test_the_built_exercise_scores_zero_and_is_not_attempted(tmp_path):
    path = tmp_path / "exercise.ipynb"
    nbformat.write(exercise(), path)
    report = grade(path)
    assert report.total == 0.0 and report.max_total == 6.0
    assert {p.status for p in report.parts.values()} == {"not attempted"}
    assert report.status == "not attempted"


def test_a_wrong_answer_loses_exactly_its_part_and_keeps_the_message(tmp_path):
    wrong = "def scaled_sum(X, c):\n    return np.sum(X, axis=0)"  # forgot the factor c
    report = grade(submission(tmp_path, "no_c", {"scaled_sum": wrong}))
    assert points(report) == {**POINTS, "test_scaled_sum": 0.0}
    part = report.parts["test_scaled_sum"]
    assert part.status == "failed"
    assert "column sums times c are wrong" in part.message
    assert "line 4" in part.message and not part.in_hidden  # a public test failed


def test_a_failing_hidden_test_is_named_hidden_without_its_code(tmp_path):
    # right on the public 3x2 matrix only: hard-coded
    cheat = "def scaled_sum(X, c):\n    return c * np.array([6.0, 9.0])"
    part = grade(submission(tmp_path, "cheat", {"scaled_sum": cheat})).parts["test_scaled_sum"]
    assert part.points == 0.0 and "hidden" in part.message
    assert "default_rng" not in part.message and "Z.sum" not in part.message
    assert part.in_hidden  # every public test had passed (Gradescope shows that at once)


def test_partial_credit_from_the_test_cells_last_expression(tmp_path):
    only_square = "def derivative(f, x, eps=1e-6):\n    return 2 * x"  # right for x**2 only
    report = grade(submission(tmp_path, "partial", {"derivative": only_square}))
    part = report.parts["test_derivative"]
    assert (part.points, part.status) == (2.0, "partial")
    assert report.total == 5.0


def test_an_exception_in_the_students_code_is_reported_with_its_type(tmp_path):
    bad = "def scaled_sum(X, c):\n    raise ValueError('bad shapes')"
    part = grade(submission(tmp_path, "raises", {"scaled_sum": bad})).parts["test_scaled_sum"]
    assert part.points == 0.0 and part.status == "failed"
    assert "scaled_sum" in part.message and "ValueError: bad shapes" in part.message


def test_the_submission_file_is_not_modified(tmp_path):
    path = submission(tmp_path, "alice", {})
    before = path.read_bytes()
    grade(path)
    assert path.read_bytes() == before


def test_check_runs_public_tests_of_the_students_own_notebook(tmp_path):
    good = submission(tmp_path, "mine", {})
    report = check_notebook(good, **LIMITS)
    # the exercise has no hidden tests: the derivative cell's score counts its two public checks
    assert points(report) == {**POINTS, "test_derivative": 2.0}
    assert "public tests only" in report.messages[0]
    blank = tmp_path / "blank.ipynb"
    nbformat.write(exercise(), blank)
    assert check_notebook(blank, **LIMITS).status == "not attempted"


def test_check_and_grade_agree_on_an_answer_that_does_not_parse(tmp_path):
    broken = submission(tmp_path, "typo", {"scaled_sum": "def scaled_sum(X, c):\n    return c *"})
    graded, checked = grade(broken), check_notebook(broken, **LIMITS)
    for report in (graded, checked):
        part = report.parts["test_scaled_sum"]
        assert (part.points, part.status) == (0.0, "failed"), part
        # in the cell's own lines, never IPython's temporary file name
        assert "SyntaxError" in part.message and "of your answer cell 'scaled_sum'" in part.message
        assert ".py" not in part.message
    assert graded.parts["test_scaled_sum"].message == checked.parts["test_scaled_sum"].message
    assert points(graded) == {**POINTS, "test_scaled_sum": 0.0}


def test_a_part_that_fails_through_another_broken_part_names_it(tmp_path):
    # derivative works through the student's own scaled_sum, which drops its factor c
    through = (
        "def derivative(f, x, h=1e-6):\n"
        "    return scaled_sum(np.array([[f(x + h)], [-f(x - h)]]), 1 / (2 * h))[0]"
    )
    wrong_sum = "def scaled_sum(X, c):\n    return np.sum(X, axis=0)"
    report = grade(
        submission(tmp_path, "through", {"derivative": through, "scaled_sum": wrong_sum})
    )
    part = report.parts["test_derivative"]
    assert part.points < part.max_points
    assert "runs your scaled_sum (part 'test_scaled_sum')" in part.message, part.message
    fine = grade(submission(tmp_path, "through_ok", {"derivative": through}))
    assert fine.parts["test_derivative"].points == POINTS["test_derivative"]


def test_check_on_a_notebook_without_graded_cells_says_so(tmp_path):
    lecture = tmp_path / "lecture.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), lecture)
    with pytest.raises(NotebookError, match="no graded test cells"):
        check_notebook(lecture, **LIMITS)


def test_an_invalid_source_is_an_error_naming_the_cell(tmp_path):
    nb = nbformat.read(SOURCE, as_version=4)
    nb.cells[4].metadata.nbgrader["points"] = 0
    bad = tmp_path / "bad_source.ipynb"
    nbformat.write(nb, bad)
    with pytest.raises(NotebookError, match="cell 4"):
        grade_submission(bad, SOURCE)


def test_batch_writes_csv_json_and_gradescope(tmp_path):
    good = submission(tmp_path, "good", {})
    only_square = "def derivative(f, x):\n    return 2 * x"
    partial = submission(tmp_path, "partial", {"derivative": only_square})
    out = tmp_path / "out"
    reports = grade_batch(
        SOURCE, [good, partial], out, jobs=2, gradescope=True, progress=False, **LIMITS
    )
    assert [r.total for r in reports] == [6.0, 5.0]
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0] == (
        "submission,status,test_scaled_sum,test_derivative,test_learning_rate,total,max_total"
    )
    assert rows[1:] == ["good,graded,2,3,1,6,6", "partial,graded,2,2,1,5,6"]
    data = json.loads((out / "partial.json").read_text())
    assert data["parts"]["test_derivative"]["status"] == "partial"
    gs = json.loads((out / "gradescope" / "partial" / "results.json").read_text())
    assert gs["score"] == 5.0
    scored = {t["name"]: t["max_score"] for t in gs["tests"] if t["max_score"]}
    assert scored == POINTS


def test_a_single_submission_gets_gradescopes_results_json_at_the_top(tmp_path):
    good = submission(tmp_path, "solo", GOOD)
    grade_batch(SOURCE, [good], tmp_path / "out", gradescope=True, progress=False, **LIMITS)
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 6.0


_grade_one = batch._grade_one


def _grade_or_die(source, text, submission, *args):
    """A batch worker that dies, as if killed, whenever it is given a submission named doomed
    (a function of this module, so that a worker of any start method can unpickle it)."""
    if "doomed" in submission:
        os._exit(1)
    return _grade_one(source, text, submission, *args)


def test_a_worker_that_dies_costs_only_the_submission_it_was_grading(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "_grade_one", _grade_or_die)
    # killed workers leave their kernels' scratch folders behind: put them in a folder removed
    # below (short, since a kernel's socket path in it must stay under 108 characters)
    scratch = tempfile.mkdtemp(prefix="bpc-")
    monkeypatch.setattr(tempfile, "tempdir", scratch)
    good, doomed = submission(tmp_path, "good", {}), submission(tmp_path, "doomed", {})
    out = tmp_path / "out"
    try:
        reports = grade_batch(SOURCE, [doomed, good], out, jobs=2, progress=False, **LIMITS)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert [r.total for r in reports] == [0.0, 6.0], reports[1].summary()
    killed = "the grading process was killed while grading this submission"
    assert reports[0].status == "invalid" and reports[0].messages == [killed]
    assert {p.message for p in reports[0].parts.values()} == {killed}
    assert reports[0].max_total == 6.0 and reports[1].status == "graded"
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[1:] == ["doomed,invalid,0,0,0,0,6", "good,graded,2,3,1,6,6"]


def _one_answer_source(path, setup: str, answer: str, tests: dict[str, str]):
    """A source notebook: a setup cell, one answer cell, and test cells worth 1 point each."""
    meta = {"nbgrader": {"solution": True, "grade": False, "grade_id": "answer"}}
    cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell(answer, metadata=meta),
    ]
    for gid, test in tests.items():
        meta = {"nbgrader": {"solution": False, "grade": True, "grade_id": gid, "points": 1}}
        cells.append(nbformat.v4.new_code_cell(test, metadata=meta))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def _graded_with(source, answer: str):
    """Grade ``source`` with its answer cell replaced by ``answer``."""
    nb = nbformat.read(source, as_version=4)
    nb.cells[1].source = answer
    sub = source.with_name(f"{source.stem}_sub.ipynb")
    nbformat.write(nb, sub)
    return grade_submission(source, sub, **LIMITS)


def _in_place_source(path):
    """A source whose test checks that the student's function leaves its arguments alone."""
    return _one_answer_source(
        path,
        "import numpy as np\nW0 = np.ones(3)",
        "def step(w, grads, lr):\n"
        "    ### BEGIN SOLUTION\n"
        "    return {k: w[k] - lr * grads[k] for k in w}\n"
        "    ### END SOLUTION",
        {
            "test": "w = {'W': W0, 'b': [0.0, 1.0]}\n"
            "saved = {'W': W0.copy(), 'b': [0.0, 1.0]}\n"
            "new = step(w, {'W': np.ones(3), 'b': [1.0, 1.0]}, 0.5)\n"
            "assert np.allclose(new['W'], 0.5), 'wrong update'\n"
            "assert np.array_equal(w['W'], saved['W']), 'step changed the weights it was given'\n"
            "assert w['b'] == saved['b'], 'step changed the bias list it was given'",
            "test2": "assert np.array_equal(W0, np.ones(3)), 'W0 leaked from the test before'",
        },
    )


@pytest.mark.parametrize(
    "body, passed",
    [
        ("    return {k: w[k] - lr * np.asarray(grads[k]) for k in w}", True),
        ("    w['W'] -= lr * grads['W']\n    return {'W': w['W'], 'b': w['b']}", False),
        ("    w['b'][0] = 9.0\n    return {k: w[k] - lr * np.asarray(grads[k]) for k in w}", False),
    ],
)
def test_in_place_changes_to_arguments_are_seen_by_the_test(tmp_path, body, passed):
    source = _in_place_source(tmp_path / "inplace_source.ipynb")
    report = _graded_with(source, "def step(w, grads, lr):\n" + body)
    assert report.parts["test"].points == (1.0 if passed else 0.0), report.summary()
    if not passed:
        assert "changed the" in report.parts["test"].message
    # the test's changes to setup data never reach the next test cell
    assert report.parts["test2"].points == 1.0, report.summary()


def test_a_students_message_cannot_leak_hidden_test_inputs(tmp_path):
    leak = (
        "def scaled_sum(X, c):\n"
        "    if np.shape(X) != (3, 2):\n"
        "        raise ValueError(f'hidden input: {np.asarray(X).tolist()} {c}')\n"
        "    return c * np.sum(X, axis=0)"
    )
    part = grade(submission(tmp_path, "leak", {"scaled_sum": leak})).parts["test_scaled_sum"]
    assert part.points == 0.0
    assert part.message == "scaled_sum raised ValueError (in a hidden test)"


def test_an_oversized_submission_is_invalid_without_being_parsed(tmp_path, monkeypatch):
    from backprop_course.grading import grade as grade_module

    monkeypatch.setattr(grade_module, "MAX_SUBMISSION_BYTES", 1000)
    path = submission(tmp_path, "huge", {})
    report = grade(path)
    assert report.status == "invalid" and report.total == 0.0
    assert "a submission may have" in report.messages[0]


def test_a_failing_check_shows_its_message_and_line_not_the_graders_call():
    from backprop_course.grading.scoring.testcell import run_test

    source = (
        "from backprop_course.grading import checks\n"
        "checks.check_array(\n"
        "    got,\n"
        "    [1.0, 2.0],\n"
        '    "dense_forward(X, params)",\n'
        ")\n"
    )
    outcome = run_test(source, {"got": [1.0, 3.0]}, 2.0, "<test cell>")
    assert outcome.score == 0
    # the check's message stands alone: no grader class name, no internal call text
    assert outcome.message.endswith("(at line 2 of the test)"), outcome.message
    assert "CheckFailed" not in outcome.message and "checks." not in outcome.message
    hidden = source.replace("checks.check_array(", "### BEGIN HIDDEN TESTS\nchecks.check_array(")
    hidden += "### END HIDDEN TESTS\n"
    assert run_test(hidden, {"got": [1.0, 3.0]}, 2.0, "<test cell>").message.endswith(
        "(in a hidden test)"
    )


def test_a_deep_temporary_folder_does_not_stop_the_kernels(tmp_path, monkeypatch):
    # a kernel's Unix sockets live in its scratch folder, and a socket path must stay under
    # 108 bytes: with a deep $TMPDIR every kernel failed to start ("File name too long")
    good = submission(tmp_path, "deep", GOOD)
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    report = grade_submission(SOURCE, good, timeout=5, memory_mb=512)
    assert report.total == report.max_total == sum(POINTS.values()), report.summary()


def test_every_kernel_of_a_batch_is_kept_from_the_source_and_all_submissions(tmp_path, monkeypatch):
    seen = []

    class Recording(batch.Sandbox):
        def __init__(self, *args, protected=(), **kwargs):
            seen.append(tuple(protected))
            super().__init__(*args, protected=protected, **kwargs)

    monkeypatch.setattr(batch, "Sandbox", Recording)
    subs = [submission(tmp_path, name, GOOD) for name in ("ann", "bob")]
    reports = grade_batch(SOURCE, subs, tmp_path / "out", jobs=1, progress=False, **LIMITS)
    assert [r.total for r in reports] == [6.0, 6.0]
    assert seen and all(p == (str(SOURCE), *map(str, subs)) for p in seen)


def test_grading_works_on_a_machine_where_ipython_never_ran(tmp_path, monkeypatch):
    """Does a kernel start when ~/.ipython does not exist yet (it may write only its folder)?"""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    report = grade(SOURCE)
    assert points(report) == POINTS, report.summary()


def _counting_source(path):
    """A source whose test measures the student's work with counters (checks.CallCounter)."""
    return _one_answer_source(
        path,
        "import operator\nfrom backprop_course.grading import checks\n"
        "def loss(x):\n    return x * x",
        "def work(f, mul, x):\n"
        "    ### BEGIN SOLUTION\n"
        "    return mul(f(x), f(x + 1.0))\n"
        "    ### END SOLUTION",
        {
            "test": "f = checks.CallCounter(loss)\n"
            "mul = checks.CountingMul()\n"
            "assert work(f, mul, 2.0) == 36.0, 'wrong value'\n"
            "assert work(f, mul, 1.0) == 4.0, 'wrong value'\n"
            "checks.expect(f.count == 4, f'loss called {f.count} times', 'wrong_count')\n"
            "checks.expect(mul.count == 2, f'mul called {mul.count} times', 'wrong_count')\n"
            "plus = checks.CountingMul(operator.add)\n"
            "checks.expect(work(f, plus, 2.0) == 13.0, 'a product not through mul', 'bypass')"
        },
    )


@pytest.mark.parametrize(
    "body, code",
    [
        ("    return mul(f(x), f(x + 1.0))", ""),
        ("    a = f(x)\n    return mul(a, a * (x + 1.0) ** 2 / x**2)", "wrong_count"),
        ("    mul(1.0, 1.0)\n    return f(x) * f(x + 1.0)", "bypass"),
        (
            "    import os\n    os.write(int(os.environ['BACKPROP_COURSE_RECORDS_FD']),"
            " b'c forged\\n')\n    return mul(f(x), f(x + 1.0))",
            "raised:RuntimeError",
        ),
    ],
    ids=["measured", "calls_loss_once", "multiplies_behind_muls_back", "tampers"],
)
def test_counters_a_test_hands_the_student_count_the_students_own_calls(tmp_path, body, code):
    """Measured work: counters passed to a student's function count its calls in the kernel."""
    source = _counting_source(tmp_path / "counting_source.ipynb")
    part = _graded_with(source, "def work(f, mul, x):\n" + body).parts["test"]
    assert part.code == code, (part.code, part.message)
    assert part.points == (1.0 if not code else 0.0)
    if code.startswith("raised"):
        assert "tampered" in part.message
