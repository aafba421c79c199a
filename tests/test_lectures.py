"""Is every lecture stored the way students and CI need it?

nbval (run on ``lectures/``) checks that each stored output is reproduced. These tests check
what nbval cannot see: that a lecture was saved executed top to bottom, holds no error output,
does not redefine a package algorithm under the package's own name, shows at least one figure,
starts from ``backprop_course``, opens with learning goals and closes with a summary and
questions, and explains every cell whose output nbval is told to ignore or skip.

A lecture also closes the self-study loop (issue 20): every "Question to think about" has a
collapsed answer, and the end holds a self-check quiz (its data in ``backprop_course/quizzes``,
checked here), a link to the lecture's exercise, sources to read next and the glossary. The
decks' notations appear only in quoted-slide or erratum boxes and the summary's mapping table
(issue 19).

Each check is a function returning a list of problems; the lectures must have none, and the
checks themselves are tested on small notebooks built here that break one rule each.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from functools import cache
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import backprop_course
from backprop_course.selfcheck import validate_quiz

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


# ---- closing the self-study loop (issue 20) and one notation (issue 19) ----------------------

QUESTIONS_HEADING = re.compile(r"^#+\s*Questions to think about", re.IGNORECASE | re.MULTILINE)
DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
# the answer block of COMMON.md, indented or not (inside a list item it may be)
ANSWER = re.compile(
    r"<details>\s*<summary>Answer</summary>[ \t]*\n[ \t]*\n(.+?)\n[ \t]*\n[ \t]*</details>",
    re.DOTALL,
)
# "1. ", "1) ", "**1.** " or "**Question 1.** " at the start of a line
QUESTION_START = re.compile(r"^ {0,3}(?:\*\*)?(?:Question\s+)?(\d+)[.)](?:\*\*)?\s", re.MULTILINE)


def _questions_cell(nb) -> int | None:
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    found = [i for i in found if QUESTIONS_HEADING.search(nb.cells[i].source)]
    return found[-1] if found else None


def answer_problems(nb) -> list[str]:
    """Every numbered question under "Questions to think about" is followed, before the next
    question, by a collapsed ``<details><summary>Answer</summary>`` block with an answer in it."""
    at = _questions_cell(nb)
    if at is None:
        return ["no 'Questions to think about' heading"]
    text = QUESTIONS_HEADING.split(nb.cells[at].source)[-1]
    text = re.split(r"^#{1,3}\s", text, flags=re.MULTILINE)[0]  # up to the next heading
    problems, pending, asked = [], None, 0
    for piece in re.split(f"({DETAILS.pattern})", text, flags=re.DOTALL):
        if piece.startswith("<details>"):
            answer = ANSWER.fullmatch(piece.strip())
            if pending is None:
                problems.append("an answer block follows no question")
            elif answer is None or len(answer.group(1).strip()) < 20:
                problems.append(
                    f"question {pending}'s answer is not '<details><summary>Answer</summary>', "
                    "a blank line, the answer, a blank line, '</details>'"
                )
            pending = None
            continue
        for m in QUESTION_START.finditer(piece):
            if pending is not None:
                problems.append(f"question {pending} has no <details> answer below it")
            pending, asked = m.group(1), asked + 1
    if pending is not None:
        problems.append(f"question {pending} has no <details> answer below it")
    if not asked:
        problems.append("no numbered questions under 'Questions to think about'")
    return problems


# the exercise of each lecture; None: no exercise, the lecture links the next lecture instead
EXERCISES = {
    "01": "01_perceptron",
    "02": "02_gradient_descent",
    "03": None,
    "04": "03_naive_gradients",
    "05": "04_backprop_derivation",
    "06": "05_matrix_backprop",
    "07": "06_training_with_sgd",
}
# a heading (or a bold label) "Read next" / "Further reading", then the list of sources
READ_NEXT = re.compile(r"^(?:#+\s*|\*\*)[^\n]*?(?:read next|further reading)[^\n]*\n", re.I | re.M)
LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+\S")


def _list_after(text: str) -> int:
    """How many items the list that starts ``text`` (after blank lines) has."""
    items = 0
    for line in text.splitlines():
        if LIST_ITEM.match(line):
            items += 1
        elif line.strip() and not (items and line.startswith((" ", "\t"))):
            break  # neither an item, a blank line nor an item's continuation: the list ended
    return items


def closing_problems(nb, path: Path) -> list[str]:
    """After the questions: the lecture's self-check, a link to its exercise (or, without one,
    the next lecture), 2-4 sources to read next, and a link to the glossary."""
    at = _questions_cell(nb)
    if at is None:
        return ["no 'Questions to think about' heading to close after"]
    end = nb.cells[at:]
    markdown = "\n".join(c.source for c in end if c.cell_type == "markdown")
    code = "\n".join(c.source for c in end if c.cell_type == "code")
    stem, problems = path.stem, []
    if not re.search(rf"self_check\(\s*[\"']{re.escape(stem)}[\"']\s*\)", code):
        problems.append(f'no code cell after the questions calls self_check("{stem}")')
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", markdown)
    exercise = EXERCISES.get(stem[:2], "any")
    if exercise is None:
        nexts = sorted(path.parent.glob(f"{int(stem[:2]) + 1:02d}_*.ipynb"))
        wanted = [p.name for p in nexts]
    elif exercise == "any":
        wanted = [f"../exercises/{p.name}" for p in (path.parent.parent / "exercises").glob("*")]
    else:
        wanted = [f"../exercises/{exercise}.ipynb"]
    if not any(link in wanted for link in links):
        problems.append(f"no link to {' or '.join(wanted) or 'its exercise'} after the questions")
    for link in links:
        if not link.startswith(("http://", "https://")) and not (path.parent / link).exists():
            problems.append(f"the link {link!r} leads nowhere")
    if "glossary.ipynb" not in links:
        problems.append("no link to glossary.ipynb after the questions")
    read = READ_NEXT.search(markdown)
    items = _list_after(markdown[read.end() :]) if read else 0
    if not 2 <= items <= 4:
        problems.append(
            f"a 'Read next' heading with 2-4 listed sources should close the lecture "
            f"(found {items if read else 'no heading'})"
        )
    return problems


DECK_NOTATION = re.compile(r"(?<![A-Za-z])u_\{?[a-z]{2}|W\^\{?\[|z\^\{?\[")
BOX_LABEL = re.compile(r"^[>\s]*\*\*[^*\n]*(erratum|slide|deck)[^*\n]*\*\*", re.IGNORECASE)


def deck_notation_uses(nb, name: str) -> tuple[int, list[str]]:
    """How often the decks' notations (Hajij's u_il, W^[l], z^[l]) appear in the markdown, and
    the uses outside a box that quotes a slide: a blockquote line, a cell labelled like
    ``**Slide erratum**``, or (in the course summary) a row of its mapping table."""
    count, stray = 0, []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        boxed = bool(BOX_LABEL.match(cell.source.lstrip()))
        for line in cell.source.splitlines():
            found = DECK_NOTATION.findall(line)
            count += len(found)
            in_table = name == SUMMARY and line.lstrip().startswith("|")
            if found and not (boxed or in_table or line.lstrip().startswith(">")):
                stray.append(f"{name} cell {i}: {', '.join(found)} in {line.strip()[:60]!r}")
    return count, stray


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


@pytest.mark.parametrize("path", NUMBERED, ids=[p.name for p in NUMBERED])
def test_every_question_to_think_about_has_a_collapsed_answer(path):
    problems = answer_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", NUMBERED, ids=[p.name for p in NUMBERED])
def test_lecture_closes_with_self_check_exercise_reading_and_glossary(path):
    problems = closing_problems(nbformat.read(path, as_version=4), path)
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_decks_notations_only_in_quoted_slides_and_the_mapping_table():
    """Fewer than 12 uses of u_il, W^[l] and z^[l] in all lectures' markdown, each in a box
    that quotes a slide or in the course summary's mapping table (issue 19)."""
    total, stray = 0, []
    for path in LECTURES:
        count, outside = deck_notation_uses(nbformat.read(path, as_version=4), path.name)
        total, stray = total + count, stray + outside
    assert not stray, "the decks' notation outside a quoted-slide box: " + "; ".join(stray)
    assert total < 12, f"{total} uses of the decks' notations in the lectures, the target is < 12"


QUIZ_FILES = sorted(QUIZZES.glob("*.json"))


@pytest.mark.parametrize("path", QUIZ_FILES, ids=[p.name for p in QUIZ_FILES])
def test_quiz_is_well_formed(path):
    """One right answer per question (a value or range for a number), feedback on every answer:
    ``selfcheck.validate_quiz``'s rules, which ``tests/test_selfcheck.py`` checks."""
    validate_quiz(json.loads(path.read_text(encoding="utf-8")), name=path.stem)


def test_every_lecture_has_a_quiz_and_every_quiz_a_lecture():
    assert {p.stem for p in NUMBERED} == {p.stem for p in QUIZ_FILES}


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


ANSWERED = (
    "## Questions to think about\n\n1. Why?\n\n<details><summary>Answer</summary>\n\n"
    "Because the gradient says so.\n\n</details>\n\n2. And then?\n\n"
    "<details><summary>Answer</summary>\n\nThen: 1. first this, 2. then that.\n\n</details>\n\n"
    "**3.** And indented?\n\n  <details><summary>Answer</summary>\n\n  Indented answers count.\n\n"
    "  </details>"
)
CLOSING = (
    "## Self-check\n\nA quiz.",
    'from backprop_course.selfcheck import self_check\n\nself_check("01_perceptron")',
    "Now [Exercise 1](../exercises/01_perceptron.ipynb), terms in [the glossary](glossary.ipynb)."
    "\n\n### Read next\n\n- Nielsen, ch. 1\n- CS231n, linear classification notes\n\n---\n\n"
    "All of it: [the course summary](course_summary.ipynb)",
)


def _closing_notebook():
    cells = [new_markdown_cell(ANSWERED), new_markdown_cell(CLOSING[0])]
    cells += [new_code_cell(CLOSING[1], execution_count=1), new_markdown_cell(CLOSING[2])]
    return new_notebook(cells=cells)


@pytest.fixture
def lecture_path(tmp_path):
    for name in ("exercises/01_perceptron.ipynb", "lectures/glossary.ipynb", f"lectures/{SUMMARY}"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}")
    return tmp_path / "lectures" / "01_perceptron.ipynb"


def test_closing_checks_accept_a_good_ending(lecture_path):
    nb = _closing_notebook()
    assert answer_problems(nb) == [] and closing_problems(nb, lecture_path) == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("1. Why?\n\n<details><summary>Answer</summary>\n\nBecause", "1. Why?\n\nBecause", "1 has"),
        ("\n\n</details>", "</details>", "blank line"),
        ("<summary>Answer</summary>", "<summary>Hint</summary>", "question 1's answer"),
        ("Because the gradient says so.", "Yes.", "question 1's answer"),
        ("1. Why?", "Why?", "follows no question"),
        ("  Indented answers count.", "", "question 3's answer"),
    ],
)
def test_answer_check_catches_each_broken_rule(old, new, expected):
    nb = _closing_notebook()
    assert old in nb.cells[0].source
    nb.cells[0].source = nb.cells[0].source.replace(old, new, 1)
    problems = answer_problems(nb)
    assert problems and expected in " ".join(problems), problems


@pytest.mark.parametrize(
    "cell, old, new, expected",
    [
        (2, '"01_perceptron"', '"02_gradient_descent"', "self_check"),
        (3, "01_perceptron.ipynb)", "02_gradient_descent.ipynb)", "no link to ../exercises/01"),
        (3, "(glossary.ipynb)", "(glossary)", "glossary"),
        (3, "- CS231n, linear classification notes\n", "", "2-4 listed sources"),
        (3, "### Read next", "### Next", "no heading"),
        (3, "- CS231n, linear classification notes\n", "- a\n- b\n- c\n- d\n", "(found 5)"),
    ],
)
def test_closing_check_catches_each_broken_rule(lecture_path, cell, old, new, expected):
    nb = _closing_notebook()
    assert old in nb.cells[cell].source
    nb.cells[cell].source = nb.cells[cell].source.replace(old, new)
    problems = closing_problems(nb, lecture_path)
    assert problems and expected in " ".join(problems), problems


def test_notation_count_sees_uses_outside_a_box():
    quoted = "> **Slide** (deck 002): $a_i = \\sum_l u_{il} z_l$, our `S = A @ W`"
    boxed = "**Slide erratum** (deck 003): $W^{[3]}$ is our `W3.T`"
    nb = new_notebook(cells=[new_markdown_cell(quoted), new_markdown_cell(boxed)])
    assert deck_notation_uses(nb, "05_x.ipynb") == (2, [])
    nb.cells.append(new_markdown_cell("Here $z^{[l]}$ is the pre-activation."))
    count, stray = deck_notation_uses(nb, "05_x.ipynb")
    assert count == 3 and len(stray) == 1 and "z^{[" in stray[0]
    table = new_markdown_cell("| quantity | deck 003 |\n|---|---|\n| weight | $W^{[l]}$ |")
    assert deck_notation_uses(new_notebook(cells=[table]), SUMMARY) == (1, [])
    assert deck_notation_uses(new_notebook(cells=[table]), "03_x.ipynb")[1]
