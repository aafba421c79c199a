"""Does every graded part of every solution close with a discussion that stays in sync with the
grader's bank of wrong answers, and that never reaches the exercise?

After each part's test cell a solution has a markdown *discussion* cell: why the answer is what it
is (a "**Why.**" paragraph), then the most common mistakes, each a bullet that starts with its
diagnosis code in bold code type, e.g. ``- **`transposed`**: ...``. Every code named there must
be one the bank in ``tests/test_exercises.py`` (``MUTANTS``) declares for that notebook and part,
so a renamed or removed diagnosis fails here; every part names at least two.

The discussion gives the answer away, so it lives in an nbgrader solution region of a markdown
solution cell, its marker lines inside HTML comments: ``build-exercises`` (and nbgrader's
``generate_assignment``) replace the region with "YOUR ANSWER HERE", which stays inside the
comment, so the exercise shows only the cell's first lines and the solution never shows a marker.
The cell is also an nbgrader task worth 0 points (``task: true, points: 0``): nbgrader refuses a
markdown solution cell that is neither graded nor a task, and our grader grades code only.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from test_exercises import MUTANTS

from backprop_course.grading.format.build import make_exercise
from backprop_course.grading.format.regions import MARKDOWN_STUB

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
#: A mistake bullet: ``- **`code`**`` (several codes may share a bullet: ``**`a`** and **`b`**``).
CODE = re.compile(r"\*\*`([a-z0-9_]+)`\*\*")
REGION = re.compile(r"<!--\n### BEGIN SOLUTION\n-->\n(.*?)\n<!--\n### END SOLUTION\n-->", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def bank_codes(name: str) -> dict[str, set[str]]:
    """Test part -> the diagnosis codes the bank declares for it."""
    codes: dict[str, set[str]] = {}
    for _answer, _code, target, _why, diagnosis in MUTANTS[name]:
        codes.setdefault(target, set()).add(diagnosis)
    return codes


def discussion_problems(nb, bank: dict[str, set[str]]) -> list[str]:
    """Every problem with the discussions of one solution notebook (none: all is well)."""
    problems = []
    cells = nb.cells
    answer = None
    for i, cell in enumerate(cells):
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            answer = meta["grade_id"]
        if not (cell.cell_type == "code" and meta.get("grade")):
            continue
        part = meta["grade_id"]
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        if nxt is None or nxt.cell_type != "markdown" or not _nbgrader(nxt).get("solution"):
            problems.append(f"{part}: no discussion cell (a markdown solution cell) right after it")
            continue
        if _nbgrader(nxt).get("grade_id") != f"{answer}_discussion":
            problems.append(f"{part}: its discussion's grade_id should be {answer}_discussion")
        found = REGION.search(nxt.source)
        if found is None:
            problems.append(
                f"{part}: the discussion is not one solution region with its markers in HTML "
                "comments (<!--, ### BEGIN SOLUTION, -->, ..., <!--, ### END SOLUTION, -->)"
            )
            continue
        body = found.group(1)
        if "**Why.**" not in body:
            problems.append(f"{part}: the discussion has no '**Why.**' paragraph")
        named = set(CODE.findall(body))
        unknown = sorted(named - bank.get(part, set()))
        if unknown:
            problems.append(
                f"{part}: the discussion names {unknown}, which the bank (tests/test_exercises.py) "
                f"does not declare for this part (it declares {sorted(bank.get(part, set()))})"
            )
        if len(named) < 2:
            problems.append(f"{part}: the discussion names {len(named)} diagnosis code(s), not 2+")
        exercise = make_exercise(nbformat.v4.new_notebook(cells=[nxt])).cells[0].source
        leaked = [line for line in body.splitlines() if len(line) > 20 and line in exercise]
        if leaked:
            problems.append(f"{part}: the exercise would show the discussion: {leaked[:1]}")
        for label, text in (("solution", nxt.source), ("exercise", exercise)):
            shown = COMMENT.sub("", text)
            if "SOLUTION" in shown or MARKDOWN_STUB in shown:
                problems.append(f"{part}: the {label} shows a marker or the stub outside a comment")
    return problems


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_part_has_a_discussion_in_sync_with_the_bank(name):
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    problems = discussion_problems(nb, bank_codes(name))
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_exercise_keeps_only_the_discussion_prompt(name):
    """Does the generated exercise hold each discussion cell without its body?"""
    exercise = nbformat.read(ROOT / "exercises" / name, as_version=4)
    cells = [c for c in exercise.cells if _nbgrader(c).get("grade_id", "").endswith("_discussion")]
    parts = [c for c in exercise.cells if c.cell_type == "code" and _nbgrader(c).get("grade")]
    assert len(cells) == len(parts)
    for cell in cells:
        assert cell.source.endswith(f"<!--\n{MARKDOWN_STUB}\n-->"), cell.source
        assert "**Why.**" not in cell.source


# ---- the check itself: a good notebook passes, each broken one is caught --------------------


def _notebook(discussion: str):
    answer = nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
        metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "f"}},
    )
    test = nbformat.v4.new_code_cell(
        "assert f(1) == 1",
        metadata={"nbgrader": {"solution": False, "grade": True, "grade_id": "f_tests"}},
    )
    talk = nbformat.v4.new_markdown_cell(
        discussion, metadata={"nbgrader": {"solution": True, "grade_id": "f_discussion"}}
    )
    return nbformat.v4.new_notebook(cells=[answer, test, talk])


GOOD = (
    "#### Part 1 in review\n\nAsk yourself why.\n\n<!--\n### BEGIN SOLUTION\n-->\n\n"
    "**Why.** Because f is the identity on every input.\n\n"
    "- **`wrong_sign`**: returns -x, the grader says the sign is wrong.\n"
    "- **`factor_2`**: returns 2x, the grader says twice the expected value.\n"
    "\n<!--\n### END SOLUTION\n-->"
)
BANK = {"f_tests": {"wrong_sign", "factor_2", "off_by_one"}}


def test_the_check_accepts_a_good_discussion():
    assert discussion_problems(_notebook(GOOD), BANK) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        (GOOD.replace("wrong_sign", "no_such_code"), "no_such_code"),
        (GOOD.replace("- **`factor_2`**", "- factor_2"), "1 diagnosis code"),
        (GOOD.replace("**Why.**", "So"), "Why"),
        (GOOD.replace("<!--\n### BEGIN SOLUTION\n-->", "### BEGIN SOLUTION"), "HTML comments"),
    ],
)
def test_the_check_catches_a_broken_discussion(source, expected):
    problems = discussion_problems(_notebook(source), BANK)
    assert problems and expected in " ".join(problems), problems


def test_the_check_catches_a_missing_discussion():
    nb = _notebook(GOOD)
    nb.cells.pop()
    assert "no discussion cell" in " ".join(discussion_problems(nb, BANK))
