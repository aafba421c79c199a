"""Is every lecture stored the way students and CI need it?

nbval (run on ``lectures/``) checks that each stored output is reproduced. These tests check
what nbval cannot see: that a lecture was saved executed top to bottom, holds no error output,
does not redefine a package algorithm under the package's own name, shows at least one figure,
starts from ``backprop_course``, opens with learning goals and closes with a summary and
questions, and explains every cell whose output nbval is told to ignore or skip.

How a lecture closes (answers, self-check, exercise, reading, glossary) and where the decks'
notations may appear is checked in ``test_lectures_closing.py``.

Each check is a function returning a list of problems; the lectures must have none, and the
checks themselves are tested on small notebooks built here that break one rule each.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from functools import cache
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from test_lectures_closing import DECK_NOTATION

import backprop_course

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
NUMBERED = [p for p in LECTURES if p.name.startswith("0")]  # the lectures proper, 01_ ... 08_
QUIZZES = ROOT / "backprop_course" / "quizzes"
NBVAL_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
NBVAL_TAGS = ("nbval-ignore-output", "nbval-skip", "raises-exception", "nbval-raises-exception")


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _python_source(source: str) -> str:
    """Cell source with IPython magics and shell escapes blanked out, so ``ast`` can parse it."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append("" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


@cache
def package_public_names() -> dict[str, str]:
    """Public name -> module, over every module of backprop_course.

    A module's public names are its ``__all__`` when it has one, otherwise the functions and
    classes it defines whose names do not start with ``_``.
    """
    names: dict[str, str] = {}
    modules = [backprop_course.__name__] + [
        m.name
        for m in pkgutil.walk_packages(backprop_course.__path__, backprop_course.__name__ + ".")
    ]
    for modname in modules:
        module = importlib.import_module(modname)
        public = getattr(module, "__all__", None)
        if public is None:
            public = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_")
                and (inspect.isfunction(obj) or inspect.isclass(obj))
                and getattr(obj, "__module__", None) == modname
            ]
        for n in public:
            names.setdefault(n, modname)
    return names


def execution_problems(nb) -> list[str]:
    """Saved unexecuted, or executed out of order: counts must be exactly 1..n over code cells."""
    counts = [c.get("execution_count") for c in _code_cells(nb)]
    problems = []
    missing = [i for i, n in enumerate(counts) if n is None]
    if missing:
        problems.append(f"code cells {missing} have no execution_count: save the lecture executed")
    elif counts != list(range(1, len(counts) + 1)):
        problems.append(
            f"execution counts are {counts}, not 1..{len(counts)}: re-run the whole lecture "
            "top to bottom in a fresh kernel before saving"
        )
    return problems


def error_problems(nb) -> list[str]:
    problems = []
    for i, cell in enumerate(_code_cells(nb)):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"code cell {i} has an error output: {out.get('ename')}")
            elif out.get("name") == "stderr" and "Traceback" in out.get("text", ""):
                problems.append(f"code cell {i} printed a traceback to stderr")
    return problems


def name_problems(nb) -> list[str]:
    """Top-level functions or classes that shadow a public name of the package."""
    public = package_public_names()
    problems = []
    for i, cell in enumerate(_code_cells(nb)):
        try:
            tree = ast.parse(_python_source(cell.source))
        except SyntaxError as exc:
            problems.append(f"code cell {i} is not valid Python: {exc}")
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if node.name in public:
                    problems.append(
                        f"code cell {i} defines {node.name!r}, a public name of "
                        f"{public[node.name]}: a lecture that builds an algorithm live names "
                        f"it differently (e.g. my_{node.name}) and asserts it equals the package's"
                    )
    return problems


def figure_problems(nb) -> list[str]:
    for cell in _code_cells(nb):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k.startswith("image/") for k in data):
                return []
    return ["the lecture shows no figure (no image output in any code cell)"]


def import_problems(nb) -> list[str]:
    cells = _code_cells(nb)
    if not cells:
        return ["the lecture has no code cells"]
    try:
        tree = ast.parse(_python_source(cells[0].source))
    except SyntaxError as exc:
        return [f"the first code cell is not valid Python: {exc}"]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[0] == "backprop_course"
        ):
            return []
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "backprop_course" for a in node.names
        ):
            return []
    return ["the first code cell does not import from backprop_course"]


def structure_problems(nb) -> list[str]:
    """Learning goals before the first code cell; summary and questions after the last figure.

    The closing part may hold code cells (the self-check, the numbers the answers quote), but
    no figure: the body of the lecture ends before its summary.
    """
    problems = []
    kinds = [c.cell_type for c in nb.cells]
    if "code" not in kinds:
        return ["the lecture has no code cells"]
    first_code = kinds.index("code")
    figures = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and any(k.startswith("image/") for o in c.get("outputs", []) for k in o.get("data", {}))
    ]
    body_end = figures[-1] if figures else len(kinds) - 1 - kinds[::-1].index("code")
    head = "\n".join(c.source for c in nb.cells[:first_code] if c.cell_type == "markdown")
    tail = "\n".join(c.source for c in nb.cells[body_end + 1 :] if c.cell_type == "markdown")
    if not re.search(r"learning goals", head, re.IGNORECASE):
        problems.append("no 'Learning goals' in the markdown before the first code cell")
    if not re.search(r"summary", tail, re.IGNORECASE):
        problems.append("no 'Summary' in the markdown after the last figure")
    m = re.search(r"question", tail, re.IGNORECASE)
    if m is None or "?" not in tail[m.end() :]:
        problems.append("no questions (a 'Questions' heading followed by '?') at the end")
    return problems


def _is_reason(line: str) -> bool:
    text = line.strip()
    if not text.startswith("#"):
        return False
    text = text.lstrip("#").strip()
    return not any(m in text for m in NBVAL_MARKERS) and len(text.split()) >= 3


def marker_problems(nb) -> list[str]:
    """Every nbval marker stands alone on its line with a reason comment next to it."""
    problems = []
    for i, cell in enumerate(_code_cells(nb)):
        lines = cell.source.splitlines()
        tags = set(cell.get("metadata", {}).get("tags", []))
        for tag in tags & set(NBVAL_TAGS):
            if not any(_is_reason(line) for line in lines):
                problems.append(f"code cell {i} is tagged {tag!r} without a reason comment")
        for j, line in enumerate(lines):
            found = [m for m in NBVAL_MARKERS if m in line]
            if not found:
                continue
            if line.strip().lstrip("#").strip() != found[0] or not line.strip().startswith("#"):
                problems.append(
                    f"code cell {i} line {j + 1}: {found[0]} must be alone on a comment line "
                    "(nbval ignores it otherwise); put the reason on the next line"
                )
                continue
            neighbours = lines[max(j - 1, 0) : j] + lines[j + 1 : j + 2]
            if not any(_is_reason(n) for n in neighbours):
                problems.append(
                    f"code cell {i}: {found[0]} without a reason comment on the line next to it"
                )
    return problems


CHECKS = (
    execution_problems,
    error_problems,
    name_problems,
    figure_problems,
    import_problems,
    structure_problems,
    marker_problems,
)


def test_there_are_lectures():
    assert LECTURES, "no lectures/*.ipynb found"


SUMMARY = "course_summary.ipynb"


@pytest.mark.parametrize("path", [p for p in LECTURES if p.name != SUMMARY], ids=lambda p: p.name)
def test_lecture_ends_with_a_link_to_the_course_summary(path):
    nb = nbformat.read(path, as_version=4)
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and f"]({SUMMARY})" in last.source, (
        f"{path.name}: the last cell should link to the course summary ({SUMMARY})"
    )
    assert (path.parent / SUMMARY).is_file()


def _squash(text: str) -> str:
    return re.sub(r"[\s`$]", "", text)


def _mlp_notation() -> list[tuple[str, str]]:
    """(quantity, our notation) for each row of the table in ``mlp``'s docstring."""
    from backprop_course import mlp

    lines = mlp.__doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if re.fullmatch(r"\s*=+(\s+=+)+\s*", line)]
    assert len(rules) == 3, "mlp's docstring should hold one table (header, rule, rows, rule)"
    header = re.split(r"\s{2,}", lines[rules[0] + 1].strip())
    ours = next(
        (i for i, h in enumerate(header) if h.startswith("here") or "row" in h), len(header) - 1
    )
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[rules[1] + 1 : rules[2]]]
    return [(row[0], row[ours]) for row in rows]


def _markdown_tables(nb) -> list[list[list[str]]]:
    """Every markdown table of a notebook: its rows (the header first), each a list of cells."""
    tables = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        current: list[list[str]] = []
        for line in cell.source.splitlines() + [""]:
            if line.lstrip().startswith("|"):
                if not re.fullmatch(r"[|\-\s:]+", line.strip()):
                    current.append([c.strip() for c in line.strip().strip("|").split("|")])
            elif current:
                tables.append(current)
                current = []
    return tables


def _quantity(text: str) -> str:
    return _squash(text.replace(r"\to", "->").replace("→", "->")).lower()


def test_notation_table_in_lecture_03_matches_the_mlp_docstring():
    """Does lecture 3 teach our one notation, row for row as ``mlp``'s docstring writes it?

    Lecture 3 holds a single notation table (quantity, maths, shape, code) in the teaching
    notation only; its code column must be the docstring's "here" column, row for row, and it
    carries none of the decks' notations (those live in the course summary's mapping table).
    """
    expected = _mlp_notation()
    path = next(p for p in LECTURES if p.name.startswith("03_"))
    nb = nbformat.read(path, as_version=4)
    tables = [t for t in _markdown_tables(nb) if t[0] and t[0][0].lower() == "quantity"]
    assert len(tables) == 1, f"{path.name} should hold one notation table, has {len(tables)}"
    header, *rows = tables[0]
    assert [h.lower() for h in header] == ["quantity", "maths", "shape", "code"], header
    assert len(rows) == len(expected), (
        f"{len(rows)} table rows in {path.name}, mlp has {len(expected)}"
    )
    for got, (quantity, code) in zip(rows, expected, strict=True):
        assert _quantity(got[0]) == _quantity(quantity), (got, quantity)
        assert _squash(got[3]) == _squash(code), (got, code)
    text = "\n".join("|".join(row) for row in tables[0])
    assert not DECK_NOTATION.search(text) and "deck" not in text.lower(), (
        "lecture 3's table teaches our notation only; the decks' go to the summary's mapping"
    )


@pytest.mark.parametrize("path", LECTURES, ids=[p.name for p in LECTURES])
@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_lecture(path, check):
    nb = nbformat.read(path, as_version=4)
    problems = check(nb)
    assert not problems, f"{path.name}: " + "; ".join(problems)


# ---- the checks themselves: a good notebook passes, each broken one is caught ----------------


def _good_notebook():
    img = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    cells = [
        new_markdown_cell("# Lecture\n\n**Learning goals**\n- one"),
        new_code_cell("from backprop_course import data\nx = 1", execution_count=1),
        new_code_cell(
            "# NBVAL_IGNORE_OUTPUT\n# timings differ from run to run\nprint(2)",
            execution_count=2,
            outputs=[new_output("stream", name="stdout", text="2\n")],
        ),
        new_code_cell("%matplotlib inline\ndef my_sigmoid(s):\n    return s", execution_count=3),
        new_code_cell("plot()", execution_count=4, outputs=[img]),
        new_markdown_cell("## Summary\n- done\n\n## Questions to think about\n1. Why?"),
    ]
    return new_notebook(cells=cells)


def test_checks_accept_a_good_notebook():
    nb = _good_notebook()
    assert [p for check in CHECKS for p in check(nb)] == []


def _broken(edit):
    nb = _good_notebook()
    edit(nb)
    return nb


@pytest.mark.parametrize(
    "check, edit, expected",
    [
        (execution_problems, lambda nb: nb.cells[2].update(execution_count=None), "no execution"),
        (execution_problems, lambda nb: nb.cells[2].update(execution_count=7), "not 1..4"),
        (
            error_problems,
            lambda nb: nb.cells[2].outputs.append(
                new_output("error", ename="ValueError", evalue="x", traceback=[])
            ),
            "error output",
        ),
        (
            name_problems,
            lambda nb: nb.cells[3].update(source="def sigmoid(s):\n    return s"),
            "'sigmoid'",
        ),
        (name_problems, lambda nb: nb.cells[3].update(source="class MLP:\n    pass"), "'MLP'"),
        (figure_problems, lambda nb: nb.cells[4].update(outputs=[]), "no figure"),
        (import_problems, lambda nb: nb.cells[1].update(source="import numpy as np"), "import"),
        (structure_problems, lambda nb: nb.cells[0].update(source="# Lecture"), "Learning goals"),
        (structure_problems, lambda nb: nb.cells.pop(), "Summary"),
        (
            structure_problems,
            lambda nb: nb.cells[-1].update(source="## Summary\n- done"),
            "questions",
        ),
        (
            marker_problems,
            lambda nb: nb.cells[2].update(source="# NBVAL_IGNORE_OUTPUT\nprint(2)"),
            "reason",
        ),
        (
            marker_problems,
            lambda nb: nb.cells[2].update(source="# NBVAL_SKIP\n# NBVAL_IGNORE_OUTPUT\nprint(2)"),
            "reason",
        ),
        (
            marker_problems,
            lambda nb: nb.cells[2].update(source="# NBVAL_SKIP because it is slow\nprint(2)"),
            "alone",
        ),
        (
            marker_problems,
            lambda nb: nb.cells[4].metadata.update(tags=["nbval-skip"]),
            "tagged",
        ),
    ],
)
def test_checks_catch_each_broken_rule(check, edit, expected):
    problems = check(_broken(edit))
    assert problems and expected in " ".join(problems), problems


def test_public_names_cover_the_package_algorithms():
    names = package_public_names()
    for name in ("gradient_descent", "init_params", "sigmoid", "Perceptron", "decision_boundary"):
        assert name in names
    assert not any(n.startswith("_") for n in names)
