"""Do the README's two commands install into their own .venv on stock Debian/Ubuntu python3?

The scripts run as on a fresh Debian machine: ``PATH=/usr/bin:/bin``, so ``python3`` is the
distribution's (externally managed, PEP 668, no ``python`` command), in a temporary copy of the
repository's tracked files. One real install (``course.sh`` on a copy without ``.venv``, then
``test.sh`` re-using it for the dev tools) keeps this to about a minute and a half with pip's
cache warm; the failure paths (no ensurepip, a folder that is not a venv, a broken venv) stop
before pip and cost a second each. Without a Debian-style ``/usr/bin/python3`` 3.11+ that has
venv, every install test here is skipped with the reason; the check that the README's commands
need no ``python`` command runs everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = Path("/usr/bin/python3")
# a first install on a cold machine downloads ~150 MB; pytest's default 600 s is not enough
INSTALL_TIMEOUT = 1500
#: The last line of each script's install: the one command to run next.
COURSE_NEXT = "Next, to open the course in JupyterLab: bash scripts/course.sh"
TEST_NEXT = "Next, to run every test: bash scripts/test.sh"


def _system_python_version() -> str:
    """``X.Y.Z`` of /usr/bin/python3, or skip the module saying why it cannot be used."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"{SYSTEM_PYTHON} does not exist: no distribution python3 to install with")
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys, venv, ensurepip; print(*sys.version_info[:3])"],
        capture_output=True,
        text=True,
        env=_debian_env(),
    )
    if probe.returncode != 0:
        pytest.skip(
            f"{SYSTEM_PYTHON} cannot make virtual environments (python3-venv missing?): "
            + probe.stderr.strip().splitlines()[-1]
        )
    version = tuple(int(p) for p in probe.stdout.split())
    if version < (3, 11):
        pytest.skip(f"{SYSTEM_PYTHON} is {version}; the course needs Python 3.11+")
    return ".".join(map(str, version))


def _debian_env(**extra: str) -> dict[str, str]:
    """The environment of a shell on a plain Debian machine: no venv active, no pyenv."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONHOME"}}
    env.pop("PYTHONPATH", None)
    env["PATH"] = "/usr/bin:/bin"
    env.update(extra)
    return env


def _copy_repository(dest: Path) -> Path:
    """Copy the tracked files (as they are in the working tree) to ``dest``, as a clone would."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot list the repository's tracked files")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout: {listing.stderr.strip()}")
    for name in filter(None, listing.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree stays deleted
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _run(repo: Path, script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", f"scripts/{script}", *args],
        cwd=repo,
        env=_debian_env(**env),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )


def _pin(package: str) -> str:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    return re.search(rf"^{package}==([^\s;]+)", text, re.MULTILINE).group(1)


@pytest.fixture(scope="module")
def system_python_version() -> str:
    return _system_python_version()


@pytest.fixture
def no_ensurepip(tmp_path) -> str:
    """A PYTHONPATH on which ``import ensurepip`` fails, as on Debian without python3-venv."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "ensurepip.py").write_text('raise ImportError("no ensurepip (simulated)")\n')
    return str(shadow)


def test_without_ensurepip_the_package_to_install_is_named(
    system_python_version, no_ensurepip, tmp_path
):
    repo = _copy_repository(tmp_path / "repo")
    proc = _run(repo, "course.sh", "--install-only", PYTHONPATH=no_ensurepip)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    minor = ".".join(system_python_version.split(".")[:2])
    assert f"apt-get install python{minor}-venv" in proc.stderr, proc.stderr
    assert "python3-venv" in proc.stderr
    assert not (repo / ".venv").exists(), "a failed creation must leave no half-made .venv"


def test_a_broken_venv_is_not_reused(system_python_version, no_ensurepip, tmp_path):
    """Is a .venv whose python is gone (the interpreter it was made from was removed) rebuilt?

    Rebuilding needs ensurepip, which is hidden here, so the script must stop with the
    package's name instead of announcing that it uses the broken environment.
    """
    repo = _copy_repository(tmp_path / "repo")
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "pyvenv.cfg").write_text("include-system-site-packages = false\n")
    (repo / ".venv" / "bin" / "python").symlink_to("/nonexistent/python3")
    proc = _run(repo, "course.sh", "--install-only", PYTHONPATH=no_ensurepip)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Using the virtual environment" not in proc.stdout
    assert "-venv" in proc.stderr


def test_a_folder_that_is_not_a_venv_is_left_alone(system_python_version, tmp_path):
    repo = _copy_repository(tmp_path / "repo")
    (repo / ".venv").mkdir()
    (repo / ".venv" / "notes.txt").write_text("mine")
    proc = _run(repo, "course.sh", "--install-only")
    assert proc.returncode == 1
    assert "'.venv' exists but is not a virtual environment" in proc.stderr, proc.stderr
    assert (repo / ".venv" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (repo / ".venv").iterdir()) == ["notes.txt"]


def test_a_failing_venv_leaves_nothing_and_names_the_package(system_python_version, tmp_path):
    """When ``python3 -m venv`` fails after making a folder, is the half-made .venv removed?"""
    repo = _copy_repository(tmp_path / "repo")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -m ] && [ "$2" = venv ]; then\n'
        '  echo "venv: simulated failure" >&2; mkdir -p "$4/bin"; exit 1\n'
        "fi\n"
        f'exec {SYSTEM_PYTHON} "$@"\n'
    )
    (fake / "python3").chmod(0o755)
    proc = _run(repo, "course.sh", "--install-only", PATH=f"{fake}:/usr/bin:/bin")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "venv: simulated failure" in proc.stderr
    assert "'python3 -m venv .venv' failed" in proc.stderr
    assert "-venv" in proc.stderr.split("failed", 1)[1]
    assert not (repo / ".venv").exists()


def test_a_link_to_a_broken_venv_is_not_re_created(system_python_version, tmp_path):
    repo = _copy_repository(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyvenv.cfg").write_text("include-system-site-packages = false\n")
    (repo / ".venv").symlink_to(elsewhere)
    proc = _run(repo, "course.sh", "--install-only")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "'.venv' is a link" in proc.stderr and "not ours to re-create" in proc.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["pyvenv.cfg"]


@pytest.fixture(scope="module")
def installed(system_python_version, tmp_path_factory):
    """A repository copy after ``course.sh --install-only`` then ``test.sh --install-only``."""
    repo = _copy_repository(tmp_path_factory.mktemp("installed") / "repo")
    course = _run(repo, "course.sh", "--install-only")
    assert course.returncode == 0, course.stdout + course.stderr
    sentinel = repo / ".venv" / "sentinel"  # must survive: test.sh re-uses course.sh's venv
    sentinel.write_text("made by course.sh's venv")
    test = _run(repo, "test.sh", "--install-only")
    assert test.returncode == 0, test.stdout + test.stderr
    yield {"repo": repo, "course": course, "test": test, "sentinel": sentinel}
    shutil.rmtree(repo)  # about 800 MB; pytest would keep the last three runs' copies


@pytest.mark.timeout(INSTALL_TIMEOUT * 2)
def test_course_then_test_install_into_one_isolated_venv(installed, system_python_version):
    repo, venv = installed["repo"], installed["repo"] / ".venv"
    assert "Creating the virtual environment .venv with python3" in installed["course"].stdout
    assert "Using the virtual environment .venv" in installed["test"].stdout
    assert installed["sentinel"].exists(), "test.sh re-created the venv instead of re-using it"

    cfg = (venv / "pyvenv.cfg").read_text()
    assert re.search(r"^include-system-site-packages = false$", cfg, re.MULTILINE), cfg
    assert re.search(rf"^version = {re.escape(system_python_version)}$", cfg, re.MULTILINE), cfg
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import json, sys, backprop_course, nbval, xdist, playwright, pytest;"
            "print(json.dumps([sys.base_prefix, sys.path, backprop_course.__file__]))",
        ],
        cwd=venv,  # not the repository: the import must go through the editable install
        capture_output=True,
        text=True,
        env=_debian_env(),
    )
    assert probe.returncode == 0, probe.stderr
    base_prefix, path, package = json.loads(probe.stdout)
    assert base_prefix == "/usr"  # made from Debian's python3, not a pyenv one
    outside = [
        p
        for p in path
        if ("site-packages" in p or "dist-packages" in p)
        and not Path(p).resolve().is_relative_to(venv.resolve())
    ]
    assert not outside, f"the venv sees packages outside it: {outside}"
    assert Path(package).resolve().is_relative_to(repo.resolve()), "not the editable copy"

    cli = subprocess.run(
        [str(venv / "bin" / "backprop-course"), "--help"], capture_output=True, text=True
    )
    assert cli.returncode == 0 and "build-exercises" in cli.stdout, cli.stderr
    lab = subprocess.run(
        [str(venv / "bin" / "jupyter"), "lab", "--version"], capture_output=True, text=True
    )
    assert lab.returncode == 0, lab.stderr
    assert lab.stdout.strip() == _pin("jupyterlab"), "constraints.txt was not applied"

    again = _run(repo, "course.sh", "--install-only")
    assert again.returncode == 0, again.stderr
    assert "Packages in .venv are up to date" in again.stdout
    assert again.stdout.splitlines()[-1] == COURSE_NEXT


@pytest.mark.timeout(INSTALL_TIMEOUT * 2)
def test_the_install_says_what_it_does_and_what_to_run_next(installed):
    """Is a first install visibly busy (pip's own lines, not -q), and does it end with the
    one command to run next? A silent minute and a half looks like a hang."""
    for script, extra, proc in (
        ("course.sh", "-e .", installed["course"]),
        ("test.sh", "-e .[dev]", installed["test"]),
    ):
        out = proc.stdout
        assert f"Installing {extra} into .venv with pip" in out, out
        pip_lines = [
            line
            for line in out.splitlines()
            if line.startswith(
                ("Collecting ", "Requirement already satisfied", "Successfully installed")
            )
        ]
        assert len(pip_lines) >= 10, f"{script}: pip's progress is hidden:\n{out}"
        assert f"Installed {extra} into .venv" in out
        last = out.rstrip("\n").splitlines()[-1]
        assert last == (COURSE_NEXT if script == "course.sh" else TEST_NEXT), last


@pytest.mark.timeout(INSTALL_TIMEOUT * 2)
def test_course_sh_starts_jupyterlab_also_as_root(installed, tmp_path):
    """Does the README's first command serve the course's folder and open the course home in
    the browser (with --allow-root when root)?"""
    repo, log = installed["repo"], tmp_path / "lab.log"
    env = _debian_env(
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
    )
    # a stand-in browser (Python's webbrowser honours $BROWSER) records the page it is asked
    # to open: jupyter_server hands it a local HTML file that redirects to the notebook
    opened = tmp_path / "opened.html"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\ncat "${{1#file://}}" > {opened}\n')
    browser.chmod(0o755)
    env["BROWSER"] = str(browser)
    with log.open("w") as out:
        lab = subprocess.Popen(
            ["bash", "scripts/course.sh", "--port=0"],
            cwd=repo,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline, port = time.monotonic() + 120, None
        while port is None and lab.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
            found = re.search(r"http://127\.0\.0\.1:(\d+)/lab", log.read_text())
            port = found and int(found.group(1))
        text = log.read_text()
        assert port, f"JupyterLab did not start (exit code {lab.poll()}):\n{text}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/api", timeout=30) as response:
            assert "version" in json.load(response)
        root_line = "Running as root: starting JupyterLab with --allow-root"
        assert (root_line in text) == (os.getuid() == 0), text
        # the course's root, not lectures/: the file browser reaches exercises/ and solutions/
        assert "Serving notebooks from local directory: " + str(repo) + "\n" in text, text
        token = re.search(r"token=(\w+)", text).group(1)
        with opener.open(f"http://127.0.0.1:{port}/api/contents?token={token}") as response:
            names = {c["name"] for c in json.load(response)["content"]}
        assert {"home.ipynb", "lectures", "exercises", "solutions"} <= names, names
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.3)
        page = opened.read_text() if opened.exists() else "(the browser was never asked)"
        assert re.search(rf"(localhost|127\.0\.0\.1):{port}/lab/tree/home\.ipynb\?token=", page), (
            page
        )
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait()


def test_readme_commands_run_on_stock_debian():
    """Stock Debian has ``python3`` and no ``python``: does every command block of the README
    call ``python3``, ``.venv/bin/python`` or a script, never a bare ``python`` (which on Debian
    is missing, so e.g. ``$(command -v python)`` is empty and a setup silently takes the slow
    route)?"""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(?:bash|sh|console)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert blocks, "no command blocks found in README.md"
    bare = re.compile(r"(?<![\w/.$-])python(?![\w.])")
    wrong = [line for block in blocks for line in block.splitlines() if bare.search(line)]
    assert not wrong, f"README commands that need a `python` command: {wrong}"
