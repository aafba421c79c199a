"""Self-check quizzes: one per lecture, with feedback on every choice.

A lecture's quiz is data, ``backprop_course/quizzes/<lecture stem>.json``, in the format of
`jupyterquiz <https://pypi.org/project/jupyterquiz/>`_, which renders it in JavaScript (in
JupyterLab once the cell has run, in an HTML export and on the course's site). Each question
is either

- ``{"question": ..., "type": "multiple_choice", "answers": [{"answer": ..., "correct": bool,
  "feedback": ...}, ...]}`` with exactly one correct answer, or
- ``{"question": ..., "type": "numeric", "precision": 3, "answers": [{"type": "value",
  "value": 0.25, "correct": true, "feedback": ...}, {"type": "range", "range": [lo, hi],
  "correct": false, "feedback": ...}, {"type": "default", "feedback": ...}]}`` with exactly one
  correct value or range (the tolerance: ``precision`` significant digits, or the range).

Every answer carries feedback that says why it is right or wrong. :func:`validate_quiz`
holds the data to that, and :func:`self_check` shows a quiz: the interactive one, and below
it the same questions with their answers in a collapsed block, which a saved notebook that
was never run (JupyterLab runs no stored JavaScript in an untrusted notebook) still shows.

>>> all(len(load_quiz(name)) >= 4 for name in quiz_names())
True
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

__all__ = ["QUIZ_DIR", "quiz_names", "load_quiz", "validate_quiz", "answers_markdown", "self_check"]

QUIZ_DIR = Path(str(resources.files("backprop_course") / "quizzes"))

_MIN_QUESTIONS, _MAX_QUESTIONS = 4, 6


def quiz_names() -> list[str]:
    """The lectures that have a quiz, as file stems (``"05_backprop_derivation"``, ...)."""
    return sorted(p.stem for p in QUIZ_DIR.glob("*.json"))


def load_quiz(name: str) -> list[dict]:
    """Read and validate the quiz of lecture ``name`` (a stem such as ``"05_backprop_derivation"``).

    Raises ``ValueError`` naming the lectures that have one when there is no such quiz, and
    naming the question and what is wrong with it when the data is malformed.
    """
    path = QUIZ_DIR / f"{name}.json"
    if not path.is_file():
        raise ValueError(
            f"no self-check quiz named {name!r}; quizzes exist for: {', '.join(quiz_names())}"
        )
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path.name} is not valid JSON: {err}") from None
    validate_quiz(questions, name=name)
    return questions


def _problems_of_choice(q: dict) -> list[str]:
    answers = q.get("answers")
    if not isinstance(answers, list) or len(answers) < 2:
        return ["a multiple-choice question needs a list of at least 2 answers"]
    problems = []
    correct = [a for a in answers if a.get("correct") is True]
    if len(correct) != 1:
        problems.append(f"has {len(correct)} correct answers, expected exactly 1")
    for k, a in enumerate(answers):
        if not str(a.get("answer", "")).strip():
            problems.append(f"answer {k + 1} has no text")
        if not str(a.get("feedback", "")).strip():
            problems.append(f"answer {k + 1} ({a.get('answer')!r}) has no feedback")
        if not isinstance(a.get("correct"), bool):
            problems.append(f"answer {k + 1} needs 'correct': true or false")
    return problems


def _problems_of_number(q: dict) -> list[str]:
    answers = q.get("answers")
    if not isinstance(answers, list) or not answers:
        return ["a numeric question needs a list of answers"]
    problems = []
    correct = [a for a in answers if a.get("correct") is True]
    if len(correct) != 1:
        problems.append(f"has {len(correct)} correct values or ranges, expected exactly 1")
    for k, a in enumerate(answers):
        kind = a.get("type")
        if kind not in ("value", "range", "default"):
            problems.append(
                f"answer {k + 1} has type {kind!r}, expected 'value', 'range' or 'default'"
            )
        if kind == "value" and not isinstance(a.get("value"), (int, float)):
            problems.append(f"answer {k + 1} needs a number as 'value'")
        if kind == "range":
            r = a.get("range")
            if not (
                isinstance(r, list)
                and len(r) == 2
                and all(isinstance(x, (int, float)) for x in r)
                and r[0] < r[1]
            ):
                problems.append(f"answer {k + 1} needs 'range': [low, high] with low < high")
        if kind == "default" and a.get("correct"):
            problems.append(
                f"answer {k + 1}: the default (any other number) cannot be the correct one"
            )
        if not str(a.get("feedback", "")).strip():
            problems.append(f"answer {k + 1} has no feedback")
    if correct and correct[0].get("type") == "value" and not isinstance(q.get("precision"), int):
        problems.append("a correct 'value' needs 'precision' (significant digits, the tolerance)")
    if not any(a.get("correct") is not True for a in answers):
        problems.append("needs feedback for a wrong number too (a 'range' or 'default' answer)")
    return problems


def validate_quiz(questions: list, name: str = "quiz") -> None:
    """Raise ``ValueError`` listing every problem of a quiz's data (see the module docstring).

    >>> validate_quiz([{"question": "?", "type": "multiple_choice",
    ...                 "answers": [{"answer": "a", "correct": True, "feedback": "yes"},
    ...                             {"answer": "b", "correct": True, "feedback": "no"}]}])
    Traceback (most recent call last):
    ...
    ValueError: quiz: expected 4 to 6 questions, got 1; question 1: has 2 correct answers, ...
    """
    if not isinstance(questions, list):
        raise ValueError(f"{name}: a quiz is a list of questions, got {type(questions).__name__}")
    problems = []
    if not _MIN_QUESTIONS <= len(questions) <= _MAX_QUESTIONS:
        problems.append(
            f"expected {_MIN_QUESTIONS} to {_MAX_QUESTIONS} questions, got {len(questions)}"
        )
    for k, q in enumerate(questions, start=1):
        if not isinstance(q, dict) or not str(q.get("question", "")).strip():
            problems.append(f"question {k}: needs a non-empty 'question' text")
            continue
        kind = q.get("type")
        if kind == "multiple_choice":
            found = _problems_of_choice(q)
        elif kind == "numeric":
            found = _problems_of_number(q)
        else:
            found = [f"type {kind!r}, expected 'multiple_choice' or 'numeric'"]
        problems += [f"question {k}: {p}" for p in found]
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))


def _right_answer(q: dict) -> str:
    right = next(a for a in q["answers"] if a.get("correct") is True)
    if q["type"] == "multiple_choice":
        return right["answer"]
    if right["type"] == "range":
        low, high = right["range"]
        return f"a number from {low} to {high}"
    return f"{right['value']} (to {q['precision']} significant digits)"


def answers_markdown(questions: list[dict]) -> str:
    """The quiz as markdown: each question, its choices, and a collapsed block with the answer
    and the feedback on every choice. Shown under the interactive quiz, so the answers can be
    read where no JavaScript runs."""
    lines = [
        "<details><summary>Self-check: the questions and their answers"
        " (open after trying the quiz)</summary>",
        "",
    ]
    for k, q in enumerate(questions, start=1):
        lines += [f"**{k}.** {q['question']}", ""]
        if q["type"] == "multiple_choice":
            lines += [f"- {a['answer']}" for a in q["answers"]] + [""]
        lines += [f"*Answer:* {_right_answer(q)}", ""]
        for a in q["answers"]:
            if q["type"] == "multiple_choice":
                label = a["answer"]
            elif a["type"] == "value":
                label = str(a["value"])
            elif a["type"] == "range":
                label = f"from {a['range'][0]} to {a['range'][1]}"
            else:
                label = "any other number"
            lines.append(f"- *{label}*: {a['feedback']}")
        lines.append("")
    lines.append("</details>")
    return "\n".join(lines)


def self_check(name: str) -> None:
    """Show lecture ``name``'s quiz: interactive (jupyterquiz), then its answers collapsed.

    The quiz's HTML element gets an id made from the lecture's name, so a re-run stores the
    same output (nbval compares it).
    """
    from IPython.display import HTML, Javascript, Markdown, display
    from jupyterquiz.dynamic.loader import load_questions_script
    from jupyterquiz.dynamic.renderer import build_script, build_styles, render_div

    questions = load_quiz(name)
    div_id = "selfcheck" + hashlib.sha256(name.encode()).hexdigest()[:8]
    prefix, static, url = load_questions_script(questions, div_id)
    colors = {
        "--jq-multiple-choice-bg": "#345995",
        "--jq-mc-button-bg": "#fafafa",
        "--jq-mc-button-border": "#e0e0e0e0",
        "--jq-mc-button-inset-shadow": "#555555",
        "--jq-numeric-bg": "#345995",
        "--jq-numeric-input-bg": "#c0c0c0",
        "--jq-numeric-input-label": "#101010",
        "--jq-numeric-input-shadow": "#999999",
        "--jq-incorrect-color": "#c80202",
        "--jq-correct-color": "#009113",
        "--jq-text-color": "#fafafa",
        "--jq-link-color": "#9abafa",
    }
    div = render_div(div_id, False, True, False, 1_000_000, 700, 10, "left")
    display(HTML(div + "</div>" + build_styles(div_id, colors)))
    display(Javascript(build_script(prefix, static, url, div_id, True)))
    display(Markdown(answers_markdown(questions)))
