"""Does every lecture close the self-study loop (issue 20) and teach in one notation (issue 19)?

Every "Question to think about" has a collapsed answer, and the end of each lecture holds a
self-check quiz (its data in ``backprop_course/quizzes``, checked here), a link to the
lecture's exercise, sources to read next and the glossary. The decks' notations appear only in
quoted-slide or erratum boxes and the summary's mapping table. Each check is a function
returning a list of problems; the lectures must have none, and the checks themselves are
tested on small notebooks that break one rule each.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from backprop_course.selfcheck import validate_quiz

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
NUMBERED = [p for p in LECTURES if p.name.startswith("0")]  # the lectures proper, 01_ ... 08_
QUIZZES = ROOT / "backprop_course" / "quizzes"
SUMMARY = "course_summary.ipynb"


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
