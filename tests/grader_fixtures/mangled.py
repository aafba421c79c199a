"""Mangled submissions of the fixture exercise: what an editor or a student does to it (issue 22).

:func:`write` puts one file per case in a folder; ``test_grader_mangled.py`` grades them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
from grader_fixtures.submissions import submission

HIDES_FAILURES = (
    "import sys\n"
    "from IPython import get_ipython\n"
    "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
    "sys.excepthook = lambda *args: None\n"
    "def scaled_sum(X, c):\n"
    "    raise RuntimeError('not done yet')\n"
)


def colab(nb):
    """What Colab saves: no custom cell metadata, its own notebook metadata."""
    for cell in nb.cells:
        cell.metadata = {}
    nb.metadata = {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}}


def duplicated(nb):
    """The scaled_sum answer cell copied below itself and changed there."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    at = ids.index("scaled_sum")
    twin = copy.deepcopy(nb.cells[at])
    twin.source = "def scaled_sum(X, c):\n    return 0 * X.sum(axis=0)  # trying something"
    twin.id = "copied-cell"
    nb.cells.insert(at + 1, twin)


def to_markdown(nb):
    """The derivative answer cell turned into a markdown cell (Esc M in Jupyter)."""
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "derivative":
            nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)


def write(out: Path) -> list[Path]:
    """Write every mangled submission into ``out``; return their paths."""
    out = Path(out)
    wrong_sum = {"scaled_sum": "def scaled_sum(X, c):\n    return X.sum(axis=0)"}
    submission(out, "colab_stripped", edit=colab)
    submission(out, "colab_stripped_wrong_sum", wrong_sum, edit=colab)
    submission(out, "duplicated_answer", edit=duplicated)
    submission(out, "answer_as_markdown", edit=to_markdown)
    submission(out, "hides_its_failures", {"scaled_sum": HIDES_FAILURES})
    (out / "empty.ipynb").write_bytes(b"")
    text = (out / "colab_stripped.ipynb").read_text(encoding="utf-8")
    (out / "cut_off_json.ipynb").write_text(text[: len(text) // 2], encoding="utf-8")
    path = submission(out, "nbformat_4_4")
    old = json.loads(path.read_text(encoding="utf-8"))
    old["nbformat_minor"] = 4
    for cell in old["cells"]:
        cell.pop("id", None)
    path.write_text(json.dumps(old, indent=1) + "\n", encoding="utf-8")
    return sorted(out.glob("*.ipynb"))
