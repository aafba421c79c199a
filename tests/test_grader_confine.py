"""The kernel's confinement below the grader: the allow-list itself, the audit hook alone, and
the operating system's layer (Landlock), each tested without a grading run (issue 22)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backprop_course.grading.kernel import confine


def _landlock_abi() -> int:
    """Landlock's ABI version on this machine (0: none), as the kernel's launcher sees it."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    libc.syscall.restype = ctypes.c_long
    return max(0, libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def test_the_allow_list_leaves_out_the_repository_around_the_package():
    allowed = confine.allow_list("/tmp/scratch-of-a-test")
    package = Path(confine.__file__).parents[2]
    repository = str(package.parent)
    assert repository in allowed["hidden"]
    assert str(package / "grading" / "kernel" / "confine.py") in allowed["files"]
    assert not any(f.endswith(("~", ".swp", ".orig")) for f in allowed["files"])
    for tree in allowed["trees"]:
        assert not tree.startswith("/tmp/backprop-course-grade")
        inside = tree.startswith(repository + os.sep)
        assert not inside or tree.startswith(os.path.realpath(sys.prefix)), tree
    assert not any(p.startswith(str(package.parent / "solutions")) for p in allowed["files"])


def test_an_editor_backup_in_the_package_is_not_readable(tmp_path):
    package = tmp_path / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    for name in ("a.py", "a.py~", ".a.py.swp", "#a.py#", "data.json", "notes.orig"):
        (package / name).write_text("x")
    (package / "__pycache__" / "a.cpython-311.pyc").write_text("x")
    (package / "__pycache__" / "gone.cpython-311.pyc").write_text("x")  # its module deleted
    files, folders = confine._package_files(str(package))
    names = sorted(os.path.relpath(f, package) for f in files)
    assert names == ["__pycache__/a.cpython-311.pyc", "a.py", "data.json"]
    assert sorted(folders) == [str(package), str(package / "__pycache__")]


def test_the_hook_alone_enforces_the_allow_list(tmp_path):
    """Without Landlock (other systems), the audit hook refuses the same reads."""
    code = textwrap.dedent(
        f"""
        import json, os, sys
        sys.path.insert(0, {str(Path(confine.__file__).parent)!r})
        import audit, confine, seal
        scratch = os.path.realpath(os.getcwd())
        seal.seal(audit, (), confine.allow_list(scratch))
        def attempt(path):
            try:
                open(path, "rb").read(1)
            except PermissionError:
                return "refused"
            return "read"
        print(json.dumps([attempt(p) for p in sys.argv[1:]]))
        """
    )
    repo = Path(confine.__file__).parents[3]
    paths = [
        confine.__file__,
        os.__file__,
        "/etc/hostname" if os.path.exists("/etc/hostname") else os.__file__,
        str(repo / "pyproject.toml"),
        str(repo / "README.md"),
        "/proc/net/unix",
        f"/proc/{os.getpid()}/environ",
    ]
    run = subprocess.run(
        [sys.executable, "-c", code, *paths], capture_output=True, text=True, cwd=tmp_path
    )  # the scratch folder is a fresh one (not /tmp, which may hold the checkout: CI's does)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == ["read"] * 3 + ["refused"] * 4


#: Tries what the operating-system layer must refuse, in a process confined as a kernel is.
CONFINED = """
import json, os, subprocess, sys, runpy
confine, scratch, hidden, sibling, outside, repository = sys.argv[1:7]
done = runpy.run_path(confine)["confine_process"](scratch, hidden=[hidden])
def attempt(action):
    try:
        action()
    except OSError as exc:
        return type(exc).__name__
    return "allowed"
done.update(
    read_hidden=attempt(lambda: open(hidden).read()),
    read_sibling=attempt(lambda: open(sibling).read()),
    list_their_folder=attempt(lambda: os.listdir(os.path.dirname(hidden))),
    read_repository=attempt(lambda: open(os.path.join(repository, "pyproject.toml")).read()),
    list_repository=attempt(lambda: os.listdir(repository)),
    read_package=attempt(lambda: open(confine).read(1)),
    read_stdlib=attempt(lambda: open(os.__file__).read(1)),
    sockets_of_the_machine=attempt(lambda: open("/proc/net/unix").read()),
    write_scratch=attempt(lambda: open(os.path.join(scratch, "x.txt"), "w").write("x")),
    write_outside=attempt(lambda: open(outside, "w").write("x")),
    run_program=attempt(lambda: subprocess.run(["/bin/true"], check=True)),
    parent_environment=attempt(lambda: open(f"/proc/{os.getppid()}/environ", "rb").read()),
    signal_parent=attempt(lambda: os.kill(os.getppid(), 0)),
)
print(json.dumps(done))
"""


@pytest.mark.skipif(not _landlock_abi(), reason="the system has no Landlock")
def test_the_kernel_process_is_confined_by_the_operating_system(tmp_path):
    """What holds even if student code got past the audit hook (memory corruption, say): the
    same allow-list, enforced by the operating system."""
    import subprocess
    import sys

    from backprop_course.grading.kernel import confine

    scratch, other = tmp_path / "scratch", tmp_path / "other"
    scratch.mkdir(), other.mkdir()
    hidden, sibling = other / "source.ipynb", other / "data.txt"
    hidden.write_text("solutions"), sibling.write_text("data")
    repository = Path(confine.__file__).parents[3]
    args = [confine.__file__, scratch, hidden, sibling, other / "planted.txt", repository]
    run = subprocess.run(
        [sys.executable, "-c", CONFINED, *map(str, args)], capture_output=True, text=True
    )
    done = json.loads(run.stdout)
    assert done.pop("landlock_abi") >= 1 and done.pop("no_new_privs")
    assert done.pop("capabilities_dropped")
    refused = "PermissionError"
    signal = refused if _landlock_abi() >= 6 else "allowed"
    assert done == {
        "read_hidden": refused,
        "read_sibling": refused,
        "list_their_folder": refused,
        "read_repository": refused,
        "list_repository": refused,
        "read_package": "allowed",
        "read_stdlib": "allowed",
        "sockets_of_the_machine": refused,
        "write_scratch": "allowed",
        "write_outside": refused,
        "run_program": refused,
        "parent_environment": refused,
        "signal_parent": signal,
    }
    assert not (other / "planted.txt").exists()
