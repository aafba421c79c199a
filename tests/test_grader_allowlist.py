"""What a student's kernel may read: an allow-list, not a deny-list (issue 22).

The attacks are written as an attacker would write them: each is first run unconfined, to show
that it finds the solution (or the classmate's code) when nothing stops it, then graded as a
submission, where it must earn nothing while the honest parts of the same notebook keep
their points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from grader_fixtures.submissions import POINTS, SOURCE, submission

from backprop_course.grading import grade_batch
from backprop_course.grading.boundary.sandbox import Sandbox
from backprop_course.grading.kernel import confine

SUM = "test_scaled_sum"

#: Walks from the course package to the repository's git objects, inflates every loose object
#: and every object of every pack (deltas applied) until one is a notebook holding ``scaled_sum``'s
#: solution, and defines ``scaled_sum`` from that cell.
FROM_GIT = r"""
import glob, json, os, zlib
import backprop_course


def _git_folder():
    here = os.path.dirname(os.path.abspath(backprop_course.__file__))
    while here != os.path.dirname(here):
        dot_git = os.path.join(here, ".git")
        if os.path.isdir(dot_git):
            return dot_git
        if os.path.isfile(dot_git):  # a worktree: "gitdir: ..." and its commondir
            gitdir = open(dot_git).read().split("gitdir:", 1)[1].strip()
            common = os.path.join(gitdir, "commondir")
            if os.path.isfile(common):
                gitdir = os.path.join(gitdir, open(common).read().strip())
            return os.path.normpath(gitdir)
        here = os.path.dirname(here)
    raise LookupError("no repository around the package")


def _varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        shift, at = shift + 7, at + 1
        if byte < 0x80:
            return value, at


def _apply_delta(base, delta):
    _, at = _varint(delta, 0)
    _, at = _varint(delta, at)
    out = bytearray()
    while at < len(delta):
        op = delta[at]
        at += 1
        if op & 0x80:  # copy from the base
            offset = size = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[at] << (8 * i)
                    at += 1
            for i in range(3):
                if op & (1 << (4 + i)):
                    size |= delta[at] << (8 * i)
                    at += 1
            out += base[offset : offset + (size or 0x10000)]
        else:  # insert
            out += delta[at : at + op]
            at += op
    return bytes(out)


def _pack_objects(path):
    data = open(path, "rb").read()
    count = int.from_bytes(data[8:12], "big")
    at, by_offset = 12, {}
    for _ in range(count):
        start = at
        kind = (data[at] >> 4) & 7
        while data[at] & 0x80:
            at += 1
        at += 1
        base = None
        if kind == 6:  # offset delta
            byte = data[at]
            ofs = byte & 0x7F
            while byte & 0x80:
                at += 1
                byte = data[at]
                ofs = ((ofs + 1) << 7) | (byte & 0x7F)
            at += 1
            base = by_offset.get(start - ofs)
        elif kind == 7:  # reference delta: skipped
            at += 20
        inflate = zlib.decompressobj()
        content = inflate.decompress(data[at:])
        at = len(data) - len(inflate.unused_data)
        if kind == 6 and base is not None:
            content = _apply_delta(base, content)
        elif kind == 7:
            continue
        by_offset[start] = content
        yield content


def _inflated(objects):
    # os.listdir, not glob: glob answers a refused folder with an empty list
    for sub in os.listdir(objects):
        if len(sub) != 2:
            continue
        for name in os.listdir(os.path.join(objects, sub)):
            try:
                data = open(os.path.join(objects, sub, name), "rb").read()
                yield zlib.decompress(data).split(b"\0", 1)[-1]
            except (OSError, zlib.error):
                pass
    for pack in glob.glob(os.path.join(objects, "pack", "*.pack")):
        yield from _pack_objects(pack)


def _stolen():
    for blob in _inflated(os.path.join(_git_folder(), "objects")):
        if b"def scaled_sum(X, c)" not in blob:
            continue
        try:
            cells = json.loads(blob)["cells"]
        except (ValueError, KeyError, TypeError):
            continue
        for cell in cells:
            text = "".join(cell.get("source", ""))
            if text.startswith("def scaled_sum(X, c)") and "BEGIN SOLUTION" in text:
                return text
    raise LookupError("no solution in the repository")


_ns = {"np": np}
exec(_stolen(), _ns)
scaled_sum = _ns["scaled_sum"]
"""

#: Leaves its (right) answer in its scratch folder and stays alive a while for a classmate.
LEAVES = """
import time
def scaled_sum(X, c):
    return c * np.sum(X, axis=0)
with open("shared_answer.py", "w") as fh:
    fh.write("def scaled_sum(X, c):\\n    return c * np.sum(X, axis=0)\\n")
time.sleep(6)
"""

#: Polls the other kernels' scratch folders (beside its own) for the classmate's answer.
POLLS = """
import glob, os, time
def scaled_sum(X, c):
    return np.zeros(2)
_deadline = time.time() + 8
_base = os.path.dirname(os.getcwd())
while time.time() < _deadline:
    _found = [
        p for p in glob.glob(os.path.join(_base, "*", "shared_answer.py"))
        if not p.startswith(os.getcwd())
    ]
    for _name in os.listdir(_base) if not _found else []:
        _path = os.path.join(_base, _name, "shared_answer.py")
        if os.path.isfile(_path) and not _path.startswith(os.getcwd()):
            _found.append(_path)
    if _found:
        exec(open(_found[0]).read())
        break
    time.sleep(0.2)
"""


def _unconfined(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run an answer's code in a plain interpreter (no sandbox) and call its scaled_sum."""
    program = (
        "import numpy as np\n"
        + code
        + "\nprint([float(v) for v in scaled_sum(np.ones((2, 2)), 3.0)])\n"
    )
    return subprocess.run(
        [sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_the_git_attack_finds_the_solution_when_nothing_stops_it(tmp_path):
    run = _unconfined(FROM_GIT, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[6.0, 6.0]"


def test_the_polling_attack_finds_a_classmates_answer_when_nothing_stops_it(tmp_path):
    mine, theirs = tmp_path / "backprop-course-grade-mine", tmp_path / "backprop-course-grade-x"
    mine.mkdir(), theirs.mkdir()
    (theirs / "shared_answer.py").write_text("def scaled_sum(X, c):\n    return c * X[0]\n")
    run = _unconfined(POLLS, mine)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[3.0, 3.0]"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("allowlist")
    bank = {"reads_git": FROM_GIT, "leaves_its_answer": LEAVES, "polls_classmates": POLLS}
    paths = [submission(folder, name, {"scaled_sum": code}) for name, code in bank.items()]
    reports = grade_batch(
        SOURCE, paths, folder / "out", jobs=3, timeout=30, memory_mb=512, progress=False
    )
    return {r.submission.rsplit("/", 1)[-1].removesuffix(".ipynb"): r for r in reports}


@pytest.mark.parametrize("name", ["reads_git", "polls_classmates"])
def test_reading_outside_the_allow_list_earns_nothing(graded, name):
    report = graded[name]
    expected = {gid: (0.0 if gid == SUM else pts) for gid, pts in POINTS.items()}
    assert {gid: p.points for gid, p in report.parts.items()} == expected, report.summary()


def test_the_classmate_who_shared_keeps_their_own_points(graded):
    report = graded["leaves_its_answer"]
    assert {gid: p.points for gid, p in report.parts.items()} == POINTS, report.summary()


def test_the_git_attack_is_told_what_it_may_read(graded):
    assert "not readable while grading" in graded["reads_git"].parts[SUM].message


#: Run in kernel B, which is told kernel A's folder, connection file and a file in A's folder.
PEEK = """
import glob, json, os, socket
def attempt(action):
    try:
        return repr(action())[:60]
    except OSError as exc:
        return type(exc).__name__
theirs, their_connection = {theirs!r}, {connection!r}
print(json.dumps(dict(
    read_their_file=attempt(lambda: open(os.path.join(theirs, "note.txt")).read()),
    list_their_folder=attempt(lambda: os.listdir(theirs)),
    list_tmp=attempt(lambda: os.listdir(os.path.dirname(os.getcwd()))),
    glob_tmp=attempt(lambda: glob.glob(os.path.dirname(os.getcwd()) + "/*/*")),
    their_connection_file=attempt(lambda: open(their_connection).read()),
    sockets_of_the_machine=attempt(lambda: open("/proc/net/unix").read()),
    grader_memory=attempt(lambda: open(f"/proc/{{os.getppid()}}/maps").read()),
    my_connection_file=attempt(lambda: len(open({mine!r}).read()) > 0),
    their_socket_exists=os.path.exists({their_socket!r}),
    namespace=os.environ.get("BACKPROP_COURSE_HIDDEN"),
    netlink_socket_list=attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)),
    connect_their_socket=attempt(lambda: socket.socket(socket.AF_UNIX).connect({their_socket!r})),
    abstract_socket=attempt(lambda: socket.socket(socket.AF_UNIX).bind("\\0backprop")),
    my_file=attempt(lambda: open("mine.txt", "w").write("x")),
)))
"""


def test_one_kernel_cannot_reach_another(tmp_path):
    """Side by side, kernel B sees nothing of kernel A: its folder, its files, its sockets
    (kernels listen on Unix sockets in their own folder; no allowed listing shows them) and
    its connection file (whose key drives a kernel)."""
    a, b = Sandbox(timeout=20), Sandbox(timeout=20)
    try:
        assert a.start().ok and b.start().ok
        assert a.run("open('note.txt', 'w').write('secret')").ok
        theirs = a._tmp.name
        assert a._client.km.transport == "ipc"
        assert os.path.dirname(a._client.km.ip) == theirs  # A's sockets are in A's folder
        their_socket = f"{a._client.km.ip}-{a._client.km.shell_port}"
        assert os.path.exists(their_socket)  # A's shell socket, which B is told of
        code = PEEK.format(
            theirs=theirs,
            connection=a._client.km.connection_file,
            mine=b._client.km.connection_file,
            their_socket=their_socket,
        )
        outcome = b.run(code.replace("print(json.dumps(", "__out = (json.dumps("))
        assert outcome.ok, outcome.describe()
        reply = b.run("__backprop_course__._reply(__out)")
        assert reply.ok, reply.describe()
        seen = json.loads(json.loads(reply.reply))
    finally:
        a.close(), b.close()
    refused = "PermissionError"
    # with a mount namespace (root with CAP_SYS_ADMIN, as here) A's folder is not even there
    # for B; without one, the allow-list alone keeps it out of reach
    assert seen.pop("their_socket_exists") is (seen.pop("namespace") != "1")
    assert seen == {
        "read_their_file": refused,
        "list_their_folder": refused,
        "list_tmp": refused,
        "glob_tmp": "[]",
        "their_connection_file": refused,
        "sockets_of_the_machine": refused,
        "grader_memory": refused,
        "my_connection_file": "True",
        "netlink_socket_list": refused,
        "connect_their_socket": refused,
        "abstract_socket": refused,
        "my_file": "1",
    }


#: Other roads to a file of the repository, each tried in a sealed kernel with ``{path}``
#: (those that swallow errors assert that they read something).
ROADS = {
    "open": "open({path!r}).read()",
    "os_open": "import os; os.read(os.open({path!r}, os.O_RDONLY), 10)",
    "open_code": "import io; io.open_code({path!r}).read()",
    "pathlib": "import pathlib; pathlib.Path({path!r}).read_bytes()",
    "linecache": "import linecache; assert linecache.getline({path!r}, 1)",
    "loader": "from importlib.machinery import SourceFileLoader as L\n"
    "L('x', {path!r}).get_data({path!r})",
    "copyfile": "import shutil; shutil.copyfile({path!r}, 'copy.txt')",
    "proc_root": "open('/proc/self/root' + {path!r}).read()",
    "dotdot": "import os; open(os.getcwd() + '/../..' + {path!r}).read()",
    "sqlite_uri": "import sqlite3; sqlite3.connect('file:' + {path!r} + '?mode=ro', uri=True)",
    "listing": "import os; assert os.listdir(os.path.dirname({path!r}))",
    "walk": "import os; assert [f for _, _, fs in os.walk(os.path.dirname({path!r})) for f in fs]",
}


def test_every_road_to_the_repository_is_closed():
    path = str(Path(confine.__file__).parents[3] / "pyproject.toml")
    sandbox = Sandbox(timeout=20)
    try:
        assert sandbox.start().ok
        outcomes = {name: sandbox.run(code.format(path=path)) for name, code in ROADS.items()}
        allowed = sandbox.run("import numpy, backprop_course.grading.scoring.checks")
    finally:
        sandbox.close()
    open_roads = {
        name: outcome.describe()
        for name, outcome in outcomes.items()
        if outcome.ok or not outcome.describe().startswith(("PermissionError", "AssertionError"))
    }
    assert open_roads == {}
    assert allowed.ok, allowed.describe()
