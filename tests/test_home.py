"""Can a student find everything from the course home that ``scripts/course.sh`` opens?

``home.ipynb`` at the repository root lists the lectures in order, each with its exercise,
its solution and its widget; every exercise (and its solution) starts with a link back to its
lecture. Every link is relative, so it works in JupyterLab, in a clone and in an HTML export.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "home.ipynb"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def missing_targets(links: list[str], base: Path) -> list[str]:
    """Relative links (from the folder ``base``) whose file does not exist."""
    return [link for link in links if not (base / link.split("#")[0]).is_file()]


def _home():
    return nbformat.read(HOME, as_version=4)


def _links(text: str) -> list[str]:
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def test_home_needs_no_kernel():
    """A student reads it before anything runs: markdown only."""
    assert [c.cell_type for c in _home().cells if c.cell_type != "markdown"] == []


def test_every_link_of_the_home_resolves():
    links = [t for c in _home().cells for t in _links(c.source)]
    missing = missing_targets(links, ROOT)
    assert links and not missing, f"home.ipynb links to missing files: {missing}"


@pytest.mark.parametrize("folder", ["lectures", "exercises", "solutions"])
def test_home_lists_every_notebook_in_order(folder):
    text = "\n".join(c.source for c in _home().cells)
    linked = [t for t in _links(text) if t.startswith(f"{folder}/")]
    numbered = [t for t in linked if re.match(rf"{folder}/\d\d_", t)]
    assert numbered == sorted(numbered), f"{folder} are not listed in order: {numbered}"
    present = {f"{folder}/{p.name}" for p in (ROOT / folder).glob("*.ipynb")}
    assert present - set(linked) == set(), f"home.ipynb does not list {present - set(linked)}"


def _rows() -> dict[str, str]:
    """Exercise link -> the lecture link in the same row of the home's table."""
    rows = {}
    for cell in _home().cells:
        for line in cell.source.splitlines():
            links = _links(line) if line.startswith("|") else []
            lecture = [t for t in links if t.startswith("lectures/")]
            exercise = [t for t in links if t.startswith("exercises/")]
            if lecture and exercise:
                rows[exercise[0]] = lecture[0]
    return rows


@pytest.mark.parametrize("folder", ["exercises", "solutions"])
def test_each_exercise_starts_with_a_link_to_its_lecture(folder):
    rows = _rows()
    for path in sorted((ROOT / folder).glob("*.ipynb")):
        first = nbformat.read(path, as_version=4).cells[0]
        links = _links(first.source)
        lecture = rows[f"exercises/{path.name}"]
        assert first.cell_type == "markdown" and f"../{lecture}" in links, (
            f"{folder}/{path.name} should start with a link to ../{lecture}, "
            f"the lecture of its row in home.ipynb; its first cell links {links}"
        )
        assert "../home.ipynb" in links, f"{folder}/{path.name}: no link back to the home"
