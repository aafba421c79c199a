"""Is the glossary (``lectures/glossary.ipynb``) complete, sorted and linked?

One table, A to Z: each row a term, a one-line meaning and the lectures that define it, as
relative links that resolve. Every numbered lecture defines at least one term of it, and no
term appears twice. (The notebook's own stored outputs are checked by nbval and by
``tests/test_lectures.py`` like any lecture's.)
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from test_home import LINK, missing_targets

ROOT = Path(__file__).resolve().parents[1]
LECTURES = ROOT / "lectures"
GLOSSARY = LECTURES / "glossary.ipynb"
ROW = re.compile(r"^\| \*\*(?P<term>.+?)\*\* \| (?P<meaning>.+) \| (?P<lectures>.+) \|$")


def rows() -> list[dict[str, str]]:
    nb = nbformat.read(GLOSSARY, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Terms"):
            found += [m.groupdict() for m in map(ROW.match, cell.source.splitlines()) if m]
    return found


def _key(term: str) -> str:
    return re.sub(r"^[^A-Za-z]+", "", term.replace("$", "")).lower()


def test_the_glossary_has_a_row_per_term_in_order():
    terms = [r["term"] for r in rows()]
    assert len(terms) >= 60, f"only {len(terms)} terms"
    assert len(set(map(_key, terms))) == len(terms), "a term appears twice"
    assert [_key(t) for t in terms] == sorted(_key(t) for t in terms), "not in A-Z order"
    short = [r["term"] for r in rows() if len(r["meaning"].split()) < 5]
    assert not short, f"terms without a real definition: {short}"


def test_every_term_links_the_lectures_that_define_it():
    for row in rows():
        links = LINK.findall(row["lectures"])
        assert links, f"{row['term']}: no lecture linked"
        assert all(re.fullmatch(r"\d\d_\w+\.ipynb", t) for t in links), (row["term"], links)
        missing = missing_targets(links, LECTURES)
        assert not missing, f"{row['term']}: links to missing lectures {missing}"


def test_every_lecture_defines_some_term():
    linked = {t for r in rows() for t in LINK.findall(r["lectures"])}
    numbered = {p.name for p in LECTURES.glob("[0-9][0-9]_*.ipynb")}
    assert numbered - linked == set(), f"no glossary term links {numbered - linked}"
    assert linked - numbered == set(), linked - numbered


def test_every_line_of_the_table_is_a_well_formed_row():
    """A stray line break (``"\\nabla"`` in a non-raw string) or a ``|`` inside math splits or
    widens a row; such a row would silently drop out of the checks above."""
    nb = nbformat.read(GLOSSARY, as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Terms")]
    lines = [line for line in cell.source.splitlines()[2:] if line.strip()]
    body = lines[2:]  # after the header row and its rule
    bad = [line for line in body if not ROW.match(line) or line.count("|") != 4]
    bad += [line for line in body if line.count("$") % 2 or "\t" in line]
    assert not bad, f"malformed glossary rows: {bad[:3]}"
    assert len(body) == len(rows())
