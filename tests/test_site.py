"""The static site (issue 23): `backprop-course site` builds every page from the repository.

The site is built once per module from this checkout's stored, executed lectures (nothing is
executed); the tests read its HTML. tests/test_browser.py opens it in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from backprop_course import site
from backprop_course.cli import main
from backprop_course.site.explorer import PAGE_BUDGET_BYTES

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9]*.ipynb"))
# which lecture stores which kernel-free explorer (the widgets' text/html output)
EXPLORERS = {
    "02_gradient_descent": "learning-rate",
    "05_backprop_derivation": "backprop-stepper",
    "07_training_with_sgd": "training",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> site.SiteResult:
    out = tmp_path_factory.mktemp("site") / "_site"
    assert main(["site", "--out", str(out), "--root", str(ROOT)]) == 0
    return site.SiteResult(out, [])


def _html(built, name: str) -> str:
    return (built.out / f"{name}.html").read_text(encoding="utf-8")


def test_every_page_is_built_and_linked_from_home(built):
    home = _html(built, "index")
    for nb in LECTURES:
        assert (built.out / "lectures" / f"{nb.stem}.html").exists(), nb.name
        assert f'href="lectures/{nb.stem}.html"' in home, f"home does not link {nb.stem}"
    for nb in EXERCISES:
        assert (built.out / "exercises" / f"{nb.stem}.html").exists(), nb.name
        assert f'href="exercises/{nb.stem}.html"' in home
    assert (built.out / "ERRATA.html").exists() and 'href="ERRATA.html"' in home
    assert (built.out / site.MARKER).exists()


def test_lecture_pages_have_navigation_contents_and_math(built):
    stems = [nb.stem for nb in LECTURES if nb.stem[0].isdigit()]
    for i, stem in enumerate(stems):
        page = _html(built, f"lectures/{stem}")
        # the sidebar lists every lecture; previous/next links walk them in order
        for other in stems:
            assert f'href="{other}.html"' in page or other == stem, (stem, other)
        if i + 1 < len(stems):
            assert re.search(rf'class="right-next"\s+href="{stems[i + 1]}.html"', page), stem
        # a table of contents of the page's sections
        toc = re.search(r'<nav[^>]*class="page-toc"[^>]*>(.*?)</nav>', page, re.S)
        assert toc and toc.group(1).count("toc-entry") >= 3, f"{stem} has no table of contents"
        # math is left for MathJax, which the page loads from the site itself
        assert 'class="math' in page, stem
        assert re.search(r'<script[^>]+src="\.\./_static/mathjax/tex-chtml\.js', page), stem
    assert (built.out / "_static" / "mathjax" / "tex-chtml.js").exists()


def test_no_page_loads_anything_from_another_host(built):
    loads = re.compile(
        r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=[\"']((?:https?:)?//[^\"']+)"
        r"|<link\b[^>]*\bhref=[\"']((?:https?:)?//[^\"']+)",
        re.I,
    )
    pages = sorted(built.out.rglob("*.html"))
    assert len(pages) >= len(LECTURES) + len(EXERCISES)
    for page in pages:
        found = loads.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.relative_to(built.out)} loads {found}"
    for css in (built.out / "_static").rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", text), css


def test_exercise_pages_hold_statements_without_tests_or_answers(built):
    for path in EXERCISES:
        page = _html(built, f"exercises/{path.stem}")
        nb = nbformat.read(path, as_version=4)
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert tests, f"{path.name} has no graded cells to leave out"
        for cell in tests:
            first = next(line for line in cell.source.splitlines() if line.strip())
            code = re.sub(r"<[^>]+>", "", page)
            assert first.strip() not in code, f"{path.stem} shows a test cell: {first!r}"
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in page, (path.stem, marker)
        assert "YOUR CODE HERE" in page  # the starter code is there


def test_explorers_are_on_their_pages_and_pages_stay_within_budget(built):
    for stem, name in EXPLORERS.items():
        page = _html(built, f"lectures/{stem}")
        m = re.search(rf"data-explorer='{name}' data-frames='(\d+)'", page)
        assert m, (
            f"{stem} stores no kernel-free {name} explorer: re-execute the lecture so its "
            "widget's text/html output is stored"
        )
        assert int(m.group(1)) >= 9, (stem, m.group(1))
        assert "application/vnd.jupyter.widget" not in page
    for page in sorted(built.out.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        images = set(re.findall(r'<img[^>]+src="([^"]+\.(?:png|jpg|svg))"', text))
        weight = len(text.encode()) + sum((page.parent / s).stat().st_size for s in images)
        assert weight <= PAGE_BUDGET_BYTES, f"{page.name} weighs {weight / 1e6:.2f} MB"


def test_refuses_to_overwrite_a_folder_it_did_not_build(tmp_path, capsys):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    assert main(["site", "--out", str(foreign), "--root", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and "notes" in err
    assert (foreign / "mine.txt").read_text() == "keep me"
    afile = tmp_path / "file.html"
    afile.write_text("x")
    assert main(["site", "--out", str(afile), "--root", str(ROOT)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_folder_without_lectures_is_a_clear_error(tmp_path, capsys):
    assert main(["site", "--out", str(tmp_path / "out"), "--root", str(tmp_path)]) == 2
    assert "no lectures" in capsys.readouterr().err
