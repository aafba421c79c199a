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
from grader_fixtures.submissions import GOOD, POINTS, SOURCE, submission

from backprop_course.grading import grade_batch

SUM = "test_scaled_sum"
DER = "test_derivative"
LR = "test_learning_rate"
PLANTED = Path(tempfile.gettempdir()) / f"backprop-course-planted-{os.getpid()}.txt"
WRONG_SUM = "def scaled_sum(X, c):\n    return np.zeros(2)\n"
RIGHT_SUM = "def scaled_sum(X, c):\n    return c * X.sum(axis=0)\n"
GOOD_DERIVATIVE = GOOD["derivative"] + "\n"


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

#: Files that attacks on the sandbox try to create outside their folder (none may exist).
PLANTED_BY = {
    route: PLANTED.with_name(f"{PLANTED.stem}-{route}.txt")
    for route in ("ctypes", "dir_fd", "realpath", "hook_globals")
}


def _from_solution(read: str) -> str:
    """An answer whose ``scaled_sum`` is the source's solution, got by ``read`` (code that
    sets ``text`` to the source notebook's JSON): it earns the points only if ``read`` works."""
    body = "\n".join("    " + line for line in read.strip().splitlines())
    return (
        "import json, os\n"
        "def scaled_sum(X, c):\n"
        f"{body}\n"
        "    ns = {'np': np}\n"
        "    exec(''.join(json.loads(text)['cells'][3]['source']), ns)\n"
        "    return ns['scaled_sum'](X, c)\n"
    )


#: Reads the grading worker's memory (its copy of the source) through /proc/<ppid>/mem.
READ_WORKER_MEMORY = r"""
marker = b'def scaled_sum(X, c):\n    \"\"\"Column sums of X times c.\"\"\"\n    ### BEGIN SOLUTION'
ppid = os.getppid()
found = None
with open(f'/proc/{ppid}/maps') as fh:
    regions = [line.split() for line in fh]
with open(f'/proc/{ppid}/mem', 'rb', buffering=0) as mem:
    for fields in regions:
        if found is not None or not fields[1].startswith('rw'):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split('-'))
        if hi - lo > 1 << 28:
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:
            continue
        at = data.find(marker)
        if at >= 0:
            found = data[at:data.index(b'### END SOLUTION', at)].decode()
if found is None:
    raise LookupError('not in memory')
cell = found.replace('### BEGIN SOLUTION', '')
text = json.dumps({'cells': [0, 0, 0, {'source': [cell]}]})
"""

#: Empties the tables of the helper's module (its audit hook once read them) and copies the
#: source with a shell.
REWRITE_HOOK_GLOBALS = f"""
g = type(__backprop_course__).kind.__globals__
for key, value in list(g.items()):
    if key.startswith('_') and isinstance(value, (frozenset, tuple, set, dict)):
        g[key] = type(value)()
    if key == '_WRITE_FLAGS':
        g[key] = 0
os.system('cp {SOURCE} solution_copy.txt; touch {PLANTED_BY["hook_globals"]}')
text = open('solution_copy.txt').read()
"""

#: Replaces the functions of the audit hook's closure, found through the garbage collector.
EDIT_HOOK_CLOSURE = """
import gc
for obj in gc.get_objects():
    if type(obj).__name__ == 'cell':
        try:
            value = obj.cell_contents
        except ValueError:
            continue
        if callable(value) and getattr(value, '__name__', '') in ('as_path', 'check_write'):
            obj.cell_contents = lambda *a: None
        elif isinstance(value, (set, frozenset)) and any('.ipynb' in str(v) for v in value):
            obj.cell_contents = frozenset()
text = open(SOURCE_PATH).read()
"""

#: Rewires every function found in the frames of a refusal's traceback (the audit hook's and
#: its checks'): new defaults, and new contents for any closure cell (neither is refused), then
#: reads the source again.
REWIRE_HOOK_CHECKS = """
try:
    open(SOURCE_PATH)
except PermissionError as error:
    tb = error.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if type(value).__name__ == 'function':
                value.__defaults__ = (None,) * value.__code__.co_argcount
                for cell in value.__closure__ or ():
                    cell.cell_contents = lambda *a: None
        tb = tb.tb_next
text = open(SOURCE_PATH).read()
"""

#: Runs ``cp`` without subprocess (fork_exec raises no audit event), from the loaded module or a
#: fresh copy of it, and reads the copy.
FORK_EXEC_CP = f"""
import importlib.util, _posixsubprocess
def cp(module):
    errpipe_read, errpipe_write = os.pipe()
    argv = [b'/bin/cp', b'{SOURCE}', b'solution_copy.txt']
    pid = module.fork_exec(
        argv, [argv[0]], True, (errpipe_write,), None, None, -1, -1, -1, -1, -1, -1,
        errpipe_read, errpipe_write, True, False, -1, None, None, None, -1, None, False)
    os.close(errpipe_write)
    failure = os.read(errpipe_read, 200)
    os.waitpid(pid, 0)
    if failure:
        raise PermissionError(f'cp did not run: {{failure!r}}')
try:
    cp(_posixsubprocess)
except PermissionError:
    cp(importlib.util.module_from_spec(importlib.util.find_spec('_posixsubprocess')))
text = open('solution_copy.txt').read()
"""

#: Runs ``cp`` through Tcl's exec (no audit event either) and reads the copy.
TCL_EXEC_CP = f"""
import tkinter
tkinter.Tcl().eval('exec cp {SOURCE} solution_copy.txt')
text = open('solution_copy.txt').read()
"""

#: Writes outside the folder by three routes the audit hook once missed.
WRITES_OUTSIDE = f"""
import os
try:
    import ctypes
    libc = ctypes.CDLL(None)
    fd = libc.open({str(PLANTED_BY["ctypes"]).encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)
    libc.write(fd, b'gotcha', 6)
except Exception:
    pass
try:
    folder = os.open({str(PLANTED.parent)!r}, os.O_RDONLY)
    flags = os.O_WRONLY | os.O_CREAT
    fd = os.open({PLANTED_BY["dir_fd"].name!r}, flags, 0o644, dir_fd=folder)
    os.write(fd, b'gotcha')
except Exception:
    pass
try:
    real = os.path.realpath
    os.path.realpath = lambda path, *a, **k: os.path.join(os.getcwd(), 'innocent.txt')
    open({str(PLANTED_BY["realpath"])!r}, 'w').write('gotcha')
except Exception:
    pass
finally:
    os.path.realpath = real
"""

#: Files and folders in its own folder, as honest code uses them: all must keep working.
HONEST_FILES = """
import os, shutil, tempfile
from pathlib import Path
Path('work/sub').mkdir(parents=True)
Path('work/sub/a.txt').write_text('hi')
np.save(Path('work') / 'a.npy', np.arange(3.0))
assert np.load('work/a.npy').sum() == 3.0 and Path('work/sub/a.txt').read_text() == 'hi'
for entry in os.scandir('work'):
    open(entry).close() if entry.is_file() else None
shutil.copytree('work', 'copy')
shutil.rmtree('work')
with tempfile.TemporaryDirectory() as tmp:
    (Path(tmp) / 'b.txt').write_text('x')
assert open('/proc/self/statm').read() and os.listdir('/proc/self/fd')
"""

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
        {
            "derivative": "def derivative(f, x):\n    import faulthandler\n"
            "    faulthandler._sigsegv()"
        },
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
        {DER},
        "signalling other processes is not allowed",
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
    "ctypes_reads_the_solution": (
        {
            "scaled_sum": _from_solution(
                "import ctypes\nlibc = ctypes.CDLL(None)\n"
                f"fd = libc.open({str(SOURCE).encode()!r}, 0)\n"
                "buf = ctypes.create_string_buffer(1 << 16)\n"
                "text = buf.raw[: libc.read(fd, buf, 1 << 16)].decode()"
            )
        },
        None,
        {SUM},
        "through ctypes is not allowed",
    ),
    "reads_the_grader_memory": (
        {"scaled_sum": _from_solution(READ_WORKER_MEMORY)},
        None,
        {SUM},
        "not readable while grading",
    ),
    "rewrites_the_hook_globals": (
        {"scaled_sum": _from_solution(REWRITE_HOOK_GLOBALS)},
        None,
        {SUM},
        "starting programs is not allowed",
    ),
    "edits_the_hook_closure": (
        {"scaled_sum": f"SOURCE_PATH = {str(SOURCE)!r}\n" + _from_solution(EDIT_HOOK_CLOSURE)},
        None,
        {SUM},
        "the grader's own objects are off limits",
    ),
    "rewires_the_hook_checks": (
        {"scaled_sum": f"SOURCE_PATH = {str(SOURCE)!r}\n" + _from_solution(REWIRE_HOOK_CHECKS)},
        None,
        {SUM},
        "notebooks cannot be read",
    ),
    "writes_outside_by_other_routes": (
        {"derivative": GOOD_DERIVATIVE + WRITES_OUTSIDE},
        None,
        set(),
        "",
    ),
    "fork_exec_copies_the_solution": (
        {"scaled_sum": _from_solution(FORK_EXEC_CP)},
        None,
        {SUM},
        "starting programs is not allowed",
    ),
    "tcl_copies_the_solution": (
        {"scaled_sum": _from_solution(TCL_EXEC_CP)},
        None,
        {SUM},
        "starting programs is not allowed",
    ),
    "uses_files_in_its_own_folder": (
        {"derivative": GOOD_DERIVATIVE + HONEST_FILES},
        None,
        set(),
        "",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for path in PLANTED_BY.values():  # left by a run against a broken sandbox
        path.unlink(missing_ok=True)
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
    assert [path.name for path in PLANTED_BY.values() if path.exists()] == []
