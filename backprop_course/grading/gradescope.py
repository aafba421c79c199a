"""A Gradescope autograder for one notebook (``backprop-course gradescope-autograder``).

Gradescope's autograder contract: the instructor uploads a zip whose root holds ``setup.sh``
(run once, as root, on Gradescope's Ubuntu image, to build it) and ``run_autograder`` (run for
each submission). Gradescope unzips it into ``/autograder/source``, puts the student's files in
``/autograder/submission`` and reads ``/autograder/results/results.json``.

The zip made here holds, at its root:

- ``setup.sh``: installs the course from the wheel in the zip (never from an index, without
  its dependencies), then only what grading needs (``requirements.txt``: numpy, nbformat,
  nbclient, ipykernel and whatever the source notebook imports) from PyPI, at exactly the
  versions of the environment that built the zip (``constraints.txt``, every installed
  distribution pinned): no JupyterLab. With ``BACKPROP_AUTOGRADER_PYTHON`` set to an
  interpreter that already has the dependencies, it installs only the wheel, offline.
- ``run_autograder``: grades ``/autograder/submission/*.ipynb`` against the bundled source
  notebook with the course's grader and writes ``results.json``; no notebook, several
  notebooks or a grader failure still give a results.json (score 0, output saying why).
- the source notebook, ``backprop_course-VERSION-py3-none-any.whl`` and ``autograder.json``
  (which notebook, which course version).

``BACKPROP_AUTOGRADER_ROOT`` relocates ``/autograder`` (the tests unpack into a temporary one).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import os
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

import backprop_course
from backprop_course.grading.format import mangled
from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.results import gradescope_results, hidden_parts

#: Environment variable that relocates Gradescope's ``/autograder`` root.
ROOT_ENV = "BACKPROP_AUTOGRADER_ROOT"
#: Environment variable naming an interpreter that has the dependencies (offline install).
PYTHON_ENV = "BACKPROP_AUTOGRADER_PYTHON"
DEFAULT_ROOT = "/autograder"
MANIFEST = "autograder.json"
DIST = "backprop-course"

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image (backprop-course).
# The course comes from the wheel in this zip, never from an index; what grading needs
# (numpy, nbformat, nbclient, ipykernel and theirs) comes from PyPI, pinned by constraints.txt.
# With BACKPROP_AUTOGRADER_PYTHON set to an
# interpreter that already has them, only the wheel is installed, with no network.
set -euo pipefail
ROOT="${BACKPROP_AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
WHEEL="$(ls "$SRC"/backprop_course-*.whl | head -n 1)"

if [ -n "${BACKPROP_AUTOGRADER_PYTHON:-}" ]; then
    PY="$BACKPROP_AUTOGRADER_PYTHON"
    rm -rf "$ROOT/site"
    "$PY" -m pip install --quiet --no-index --no-deps --target "$ROOT/site" "$WHEEL"
    printf '%s\n' "$PY" > "$SRC/python"
    exit 0
fi

# the course needs Python 3.11 or later: Ubuntu 24.04 has it; on 22.04 it is installed
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        PY="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PY" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
    PY="$(command -v python3.11)"
fi
if ! "$PY" -m venv "$ROOT/venv"; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$(basename "$PY")-venv" || \
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
    "$PY" -m venv "$ROOT/venv"
fi
# only what grading needs (requirements.txt), at exactly the versions the course's tests ran
# with (constraints.txt, written when the zip was built); the course's other dependencies
# (JupyterLab, ipywidgets, matplotlib...) are for students and never installed here (pip
# warns that the course "requires" them: grading does not)
"$ROOT/venv/bin/python" -m pip install --quiet -c "$SRC/constraints.txt" --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet --no-deps "$WHEEL"
"$ROOT/venv/bin/python" -m pip install --quiet -c "$SRC/constraints.txt" -r "$SRC/requirements.txt"
printf '%s\n' "$ROOT/venv/bin/python" > "$SRC/python"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for each submission: grade it and write results/results.json.
ROOT="${BACKPROP_AUTOGRADER_ROOT:-/autograder}"
export BACKPROP_AUTOGRADER_ROOT="$ROOT"
PY="$(cat "$ROOT/source/python" 2>/dev/null || echo python3)"
if [ -d "$ROOT/site" ]; then
    export PYTHONPATH="$ROOT/site${PYTHONPATH:+:$PYTHONPATH}"
fi
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
cd "$ROOT"
"$PY" -m backprop_course.grading.gradescope || echo "the grader exited with status $?" >&2
if [ ! -s "$ROOT/results/results.json" ]; then
    why="The autograder could not run (did setup.sh fail?); please tell your instructor."
    printf '{"score": 0.0, "output": "%s", "visibility": "visible", %s}\n' "$why" \
        '"stdout_visibility": "hidden", "tests": []' > "$ROOT/results/results.json"
fi
exit 0
"""


#: What the grader itself imports (besides the standard library and the course).
GRADING_NEEDS = ("numpy", "nbformat", "nbclient", "ipykernel")


def grading_requirements(source: str | Path) -> list[str]:
    """Distributions grading ``source`` needs: :data:`GRADING_NEEDS` and those providing the
    modules its code cells import (the course and the standard library left out).

    >>> "ipykernel" in grading_requirements("tests/grader_fixtures/source.ipynb")
    True
    """
    import ast

    provided = importlib.metadata.packages_distributions()
    needed = dict.fromkeys(GRADING_NEEDS)
    for cell in nbmod.read_notebook(source).cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse("".join(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                for dist in provided.get(name.split(".")[0], []):
                    if dist.lower().replace("_", "-") != DIST:
                        needed[dist] = None
    return sorted(needed, key=str.lower)


def pinned_versions() -> list[str]:
    """``name==version`` of every distribution installed here but the course: the versions
    the course's tests ran with, as constraints for ``setup.sh``."""
    pins = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower().replace("_", "-") != DIST:
            pins[name.lower()] = f"{name}=={dist.version}"
    return [pins[key] for key in sorted(pins)]


def _course_wheel() -> tuple[str, bytes]:
    """A pure-Python wheel of the installed course: ``(file name, bytes)``.

    Built from the imported package's own files (``*.py`` under ``backprop_course/``) and its
    installed metadata, so no build tool or index is needed.
    """
    meta = importlib.metadata.metadata(DIST)
    version = meta["Version"]
    name = f"backprop_course-{version}"
    info = f"{name}.dist-info"
    package = Path(backprop_course.__file__).resolve().parent
    files: list[tuple[str, bytes]] = []
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        files.append((f"backprop_course/{path.relative_to(package).as_posix()}", path.read_bytes()))
    lines = ["Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {version}"]
    if meta["Requires-Python"]:
        lines.append(f"Requires-Python: {meta['Requires-Python']}")
    for req in meta.get_all("Requires-Dist") or []:
        if "extra ==" not in req:
            lines.append(f"Requires-Dist: {req}")
    files.append((f"{info}/METADATA", ("\n".join(lines) + "\n").encode()))
    wheel_txt = "Wheel-Version: 1.0\nGenerator: backprop-course\nRoot-Is-Purelib: true\n"
    files.append((f"{info}/WHEEL", (wheel_txt + "Tag: py3-none-any\n").encode()))
    files.append((f"{info}/top_level.txt", b"backprop_course\n"))
    record = []
    for arc, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files:
            zf.writestr(zipfile.ZipInfo(arc, (2020, 1, 1, 0, 0, 0)), data)
    return f"{name}-py3-none-any.whl", buf.getvalue()


def _check_source(source: Path) -> dict:
    """Read ``source`` and refuse it unless it is a valid solution notebook with grade cells."""
    nb = nbmod.read_notebook(source)
    nbmod.validate(nb, str(source))
    if not nbmod.graded_parts(nb):
        raise ValueError(
            f"{source}: no graded test cells (nbgrader metadata with points): "
            "give a solution notebook from solutions/"
        )
    answers = [c for c in nb.cells if nbmod.role(c) == "answer"]
    if not answers or not any("### BEGIN SOLUTION" in c.source for c in answers):
        raise ValueError(
            f"{source}: its answer cells hold no solutions (### BEGIN SOLUTION): give the "
            "solution notebook from solutions/, not a built exercise"
        )
    return nb


def build_autograder(source: str | Path, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write Gradescope's autograder zip for the solution notebook ``source`` to ``out``.

    Raises
    ------
    FileExistsError
        When ``out`` exists and ``overwrite`` is false.
    NotebookError, ValueError
        When ``source`` is not a solution notebook with graded test cells.
    """
    source, out = Path(source), Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists: pass --overwrite to replace it")
    if out.is_dir():
        raise ValueError(f"{out} is a folder: --out names the zip file to write")
    _check_source(source)
    wheel_name, wheel = _course_wheel()
    manifest = {
        "source": source.name,
        "course_version": importlib.metadata.version(DIST),
        "wheel": wheel_name,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable, as Gradescope runs them
            zf.writestr(info, text)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
        zf.writestr("requirements.txt", "\n".join(grading_requirements(source)) + "\n")
        zf.writestr("constraints.txt", "\n".join(pinned_versions()) + "\n")
        zf.writestr(source.name, source.read_bytes())
        zf.writestr(wheel_name, wheel)
    tmp.replace(out)
    return out


def _zero_results(parts, message: str, output: str) -> dict:
    """results.json scoring 0: every part failed with ``message``, ``output`` above them."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": gid,
                "score": 0.0,
                "max_score": pts,
                "status": "failed",
                "output": message,
                "visibility": "visible",
            }
            for gid, pts in parts
        ],
    }


def results_for(root: Path) -> dict:
    """Grade the notebook in ``root/submission`` against the bundled source; never raises."""
    from backprop_course.grading.grade import grade_submission

    started = time.perf_counter()
    try:
        manifest = json.loads((root / "source" / MANIFEST).read_text(encoding="utf-8"))
        source = root / "source" / manifest["source"]
        source_nb = nbmod.read_notebook(source)
        parts = nbmod.graded_parts(source_nb)
    except Exception as exc:  # a broken zip: say so, never crash
        return _zero_results([], "", f"The autograder is broken ({exc}); tell your instructor.")
    folder = root / "submission"
    found = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not found and folder.is_dir():
        found = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if len(found) != 1:
        names = ", ".join(p.relative_to(folder).as_posix() for p in found)
        why = (
            f"no notebook (.ipynb) was submitted: submit your {manifest['source']}"
            if not found
            else f"{len(found)} notebooks were submitted ({names}): submit exactly one, "
            f"your {manifest['source']}"
        )
        return _zero_results(parts, "not graded: " + why, why)
    try:
        with tempfile.TemporaryDirectory(prefix="backprop-course-repaired-") as scratch:
            graded, notes = mangled.repaired_copy(source_nb, found[0], scratch)
            report = grade_submission(source, graded)
        report.submission = str(found[0])
        report.messages[:0] = notes
    except Exception:
        tb = traceback.format_exc(limit=3)
        print(tb, file=sys.stderr)
        return _zero_results(
            parts, "not graded: the grader failed", "The grader failed; tell your instructor."
        )
    data = gradescope_results(report, hidden_parts(source_nb))
    data["execution_time"] = round(time.perf_counter() - started, 3)
    return data


def run_autograder(root: str | Path | None = None) -> Path:
    """Grade ``ROOT/submission/*.ipynb`` and write ``ROOT/results/results.json``.

    ``root`` defaults to ``$BACKPROP_AUTOGRADER_ROOT`` or ``/autograder``.
    """
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    data = results_for(root)
    path = root / "results" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {run_autograder()}")
