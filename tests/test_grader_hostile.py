"""Can a hostile submission earn a point it did not earn, or stop the batch? (It must not.)

One batch grades the whole bank in parallel (short timeouts, small memory caps); each test then
checks one submission's points part by part: the attack gets nothing, the honest parts of the
same notebook keep their points, and every output file is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import nbformat
import pytest
from grader_fixtures.submissions import POINTS, SOURCE, submission

from backprop_course.grading import grade_batch

SUM = "test_scaled_sum"
DER = "test_derivative"
LR = "test_learning_rate"
PLANTED = Path(tempfile.gettempdir()) / f"backprop-course-planted-{os.getpid()}.txt"
WRONG_SUM = "def scaled_sum(X, c):\n    return np.zeros(2)\n"
RIGHT_SUM = "def scaled_sum(X, c):\n    return c * X.sum(axis=0)\n"


def _drop_tests(nb):
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]


def _edit_tests(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "print('all tests passed')\n6"


def _tamper_metadata(nb):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
        if meta.get("grade_id") == "scaled_sum":
            meta.update(grade=True, points=50)
    nb.metadata["backprop_course"] = {"forbidden_modules": []}


def _rename_answer(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "scaled_sum":
            cell.metadata.nbgrader["grade_id"] = "my_scaled_sum"


FAKE_REPLY = (
    "from IPython.display import publish_display_data\n"
    "def fake(value):\n"
    '    bad = \'{"__ndarray__": "", "dtype": "|O", "shape": [0]}\'\n'
    "    publish_display_data({'text/x-backprop-course-reply': bad})\n"
    "__backprop_course__._reply = fake\n"
)

#: name -> (answers, edit, points lost by part, words expected in the lost part's message)
BANK = {
    "loop_in_function": (
        {"scaled_sum": "def scaled_sum(X, c):\n    while True:\n        pass"},
        None,
        {SUM},
        "timed out",
    ),
    "loop_ignoring_interrupts": (
        {
            "scaled_sum": "def scaled_sum(X, c):\n    while True:\n        try:\n"
            "            while True:\n                pass\n        except BaseException:\n"
            "            pass"
        },
        None,
        {SUM},
        "timed out",
    ),
    "loop_in_answer_cell": (
        {"scaled_sum": RIGHT_SUM + "while True:\n    pass"},
        None,
        {SUM},
        "timed out",
    ),
    "os_exit_when_called": (
        {"derivative": "def derivative(f, x):\n    import os\n    os._exit(3)"},
        None,
        {DER},
        "died",
    ),
    "os_exit_in_first_answer_cell": (
        {"scaled_sum": RIGHT_SUM + "import os\nos._exit(1)"},
        None,
        {SUM},
        "died",
    ),
    "sys_exit": (
        {"derivative": "def derivative(f, x):\n    import sys\n    sys.exit(0)"},
        None,
        {DER},
        "SystemExit",
    ),
    "segfault": (
        {"derivative": "def derivative(f, x):\n    import ctypes\n    return ctypes.string_at(0)"},
        None,
        {DER},
        "died",
    ),
    "memory_bomb": (
        {
            "scaled_sum": "def scaled_sum(X, c):\n    big = bytearray(4 * 1024 ** 3)\n"
            "    return c * np.sum(X, axis=0)"
        },
        None,
        {SUM},
        "MemoryError",
    ),
    "raises_its_own_memory_limit": (
        {
            "scaled_sum": "import resource\ntry:\n"
            "    resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\nexcept (ValueError, OSError):\n"
            "    pass\ndef scaled_sum(X, c):\n    big = bytearray(4 * 1024 ** 3)\n"
            "    return c * np.sum(X, axis=0)"
        },
        None,
        {SUM},
        "MemoryError",
    ),
    "monkeypatched_numpy": (
        {
            "scaled_sum": WRONG_SUM + "np.allclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n"
            "np.ndarray.__eq__ = lambda *a: True\n"
        },
        None,
        {SUM},
        "column sums times c are wrong",
    ),
    "monkeypatched_builtins": (
        {
            "scaled_sum": WRONG_SUM + "import builtins\nbuiltins.isinstance = lambda *a: True\n"
            "builtins.abs = lambda x: 0\nbuiltins.float = lambda x=0: 0.5\n"
        },
        None,
        {SUM},
        "",
    ),
    "overridden_assertion_error": (
        {
            "derivative": "import builtins\n"
            "builtins.AssertionError = type('Nope', (BaseException,), {})\n"
            "AssertionError = builtins.AssertionError\n"
            "def derivative(f, x):\n    return 0.0"
        },
        None,
        {DER},
        "",
    ),
    "ipython_custom_exception_handler": (
        {
            "scaled_sum": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
            "def scaled_sum(X, c):\n    raise ValueError('no')"
        },
        None,
        {SUM},
        "",
    ),
    "printed_fake_scores_and_fake_reply": (
        {
            "scaled_sum": "print('Score: 6 / 6, all tests passed')\n"
            'print(\'{"score": 6, "tests": []}\')\n' + FAKE_REPLY + WRONG_SUM
        },
        None,
        {SUM, DER, LR},
        "not data",
    ),
    "deleted_test_cells": ({}, _drop_tests, set(), ""),
    "edited_test_cells": (
        {"scaled_sum": WRONG_SUM, "learning_rate": "learning_rate = 0.1"},
        _edit_tests,
        {SUM, LR},
        "",
    ),
    "tampered_metadata_and_points": ({"scaled_sum": WRONG_SUM}, _tamper_metadata, {SUM}, ""),
    "renamed_answer_cell": ({}, _rename_answer, {SUM}, ""),
    "forbidden_module": (
        {
            "derivative": "try:\n    from backprop_course.gradcheck import numerical_gradient\n"
            "except ImportError:\n    numerical_gradient = None\n\n"
            "def derivative(f, x, h=1e-6):\n    return (f(x + h) - f(x - h)) / (2 * h)"
        },
        None,
        {DER},
        "backprop_course.gradcheck",
    ),
    "kills_its_grading_worker": (
        {"derivative": "def derivative(f, x):\n    import os\n    os.kill(os.getppid(), 9)"},
        None,
        {SUM, DER, LR},
        "killed",
    ),
    "reads_the_solution_notebook": (
        {
            "scaled_sum": "def scaled_sum(X, c):\n    import json\n"
            f"    nb = json.load(open({str(SOURCE)!r}))\n"
            "    ns = {'np': np}\n    exec(''.join(nb['cells'][3]['source']), ns)\n"
            "    return ns['scaled_sum'](X, c)"
        },
        None,
        {SUM},
        "notebooks cannot be read",
    ),
    "copies_the_solution_with_a_shell": (
        {
            "scaled_sum": "def scaled_sum(X, c):\n    import os, json\n"
            f"    os.system('cp {SOURCE} /tmp/copied_solution.txt')\n"
            "    nb = json.load(open('/tmp/copied_solution.txt'))\n"
            "    ns = {'np': np}\n    exec(''.join(nb['cells'][3]['source']), ns)\n"
            "    return ns['scaled_sum'](X, c)"
        },
        None,
        {SUM},
        "starting programs is not allowed",
    ),
    "writes_outside_its_folder": (
        {
            "scaled_sum": "def scaled_sum(X, c):\n    try:\n"
            f"        open({str(PLANTED)!r}, 'w').write('gotcha')\n"
            "    except PermissionError:\n        pass\n    return c * np.sum(X, axis=0)"
        },
        None,
        set(),
        "",
    ),
    "returns_a_function": (
        {"scaled_sum": "def scaled_sum(X, c):\n    return lambda: 0"},
        None,
        {SUM},
        "need an array",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    paths = [
        submission(folder, name, answers, edit) for name, (answers, edit, _, _) in BANK.items()
    ]
    corrupt = folder / "corrupt_json.ipynb"
    corrupt.write_text('{"cells": [ not json', encoding="utf-8")
    missing = folder / "missing_file.ipynb"
    before = {p: p.read_bytes() for p in [*paths, corrupt]}
    out = folder / "out"
    reports = grade_batch(
        SOURCE,
        [*paths, corrupt, missing],
        out,
        jobs=2,
        gradescope=True,
        timeout=2,
        memory_mb=384,
        progress=False,
    )
    after = {p: p.read_bytes() for p in [*paths, corrupt]}
    by_name = {r.submission.rsplit("/", 1)[-1].removesuffix(".ipynb"): r for r in reports}
    return by_name, out, before == after


@pytest.mark.parametrize("name", list(BANK))
def test_hostile_submission_earns_only_its_honest_parts(graded, name):
    reports, _, _ = graded
    report = reports[name]
    _, _, lost, words = BANK[name]
    expected = {gid: (0.0 if gid in lost else pts) for gid, pts in POINTS.items()}
    got = {gid: p.points for gid, p in report.parts.items()}
    assert got == expected, report.summary()
    assert report.max_total == 6.0
    for gid in lost:
        assert report.parts[gid].status in ("failed", "forbidden"), report.summary()
    if words:
        text = " ".join([p.message for p in report.parts.values()] + report.messages)
        assert words in text, report.summary()


def test_forbidden_module_is_named_as_the_reason(graded):
    part = graded[0]["forbidden_module"].parts[DER]
    assert part.status == "forbidden"
    assert "backprop_course.gradcheck" in part.message and "no points" in part.message


@pytest.mark.parametrize("name", ["corrupt_json", "missing_file"])
def test_unreadable_submissions_score_zero_and_are_invalid(graded, name):
    report = graded[0][name]
    assert report.status == "invalid" and report.total == 0.0 and report.max_total == 6.0


def test_the_batch_finishes_and_writes_every_output(graded):
    reports, out, _ = graded
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(BANK) + 2
    for name in reports:
        data = json.loads((out / f"{name}.json").read_text())
        assert data["total"] == reports[name].total
        assert (out / "gradescope" / name / "results.json").is_file()


def test_no_submission_was_modified(graded):
    assert graded[2]


def test_edited_test_cells_are_not_what_is_run(tmp_path, graded):
    report = graded[0]["edited_test_cells"]
    assert report.parts[SUM].message.startswith("AssertionError: column sums")
    nb = nbformat.read(tmp_path.parent / "hostile0" / "edited_test_cells.ipynb", as_version=4)
    assert "all tests passed" in nb.cells[4].source


def test_student_code_cannot_write_outside_its_scratch_folder(graded):
    assert not PLANTED.exists()
