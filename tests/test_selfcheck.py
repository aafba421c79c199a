"""Do the lectures' self-check quizzes hold together, and is every bad quiz refused?"""

import json

import pytest

from backprop_course import selfcheck
from backprop_course.selfcheck import answers_markdown, load_quiz, quiz_names, validate_quiz


def _choice(text, correct, feedback="because"):
    return {"answer": text, "correct": correct, "feedback": feedback}


def _mc(*answers):
    return {"question": "Which?", "type": "multiple_choice", "answers": list(answers)}


def _num(*answers, precision=3):
    return {
        "question": "How much?",
        "type": "numeric",
        "precision": precision,
        "answers": list(answers),
    }


GOOD_MC = _mc(_choice("a", True), _choice("b", False))
GOOD_NUM = _num(
    {"type": "value", "value": 0.25, "correct": True, "feedback": "right"},
    {"type": "default", "feedback": "compute s first"},
)


def test_a_good_quiz_passes():
    validate_quiz([GOOD_MC, GOOD_NUM, GOOD_MC, GOOD_NUM])


@pytest.mark.parametrize(
    "question, expected",
    [
        (_mc(_choice("a", True), _choice("b", True)), "2 correct answers, expected exactly 1"),
        (_mc(_choice("a", False), _choice("b", False)), "0 correct answers, expected exactly 1"),
        (_mc(_choice("a", True), _choice("b", False, "")), "has no feedback"),
        (_mc(_choice("a", True)), "at least 2 answers"),
        (
            _num({"type": "value", "value": 1.0, "correct": True, "feedback": "ok"}),
            "a wrong number too",
        ),
        (
            _num(
                {"type": "value", "value": 1.0, "correct": True, "feedback": "ok"},
                {"type": "default", "feedback": "no"},
                precision=None,
            ),
            "precision",
        ),
        (_num({"type": "range", "range": [2, 1], "correct": True, "feedback": "ok"}), "low < high"),
        ({"question": "?", "type": "essay"}, "expected 'multiple_choice' or 'numeric'"),
        ({"type": "multiple_choice"}, "non-empty 'question'"),
    ],
)
def test_each_malformed_question_is_refused_by_name(question, expected):
    with pytest.raises(ValueError, match="question 2") as err:
        validate_quiz([GOOD_MC, question, GOOD_MC, GOOD_NUM], name="lecture")
    assert expected in str(err.value)


def test_too_few_or_too_many_questions_are_refused():
    with pytest.raises(ValueError, match="expected 4 to 6 questions, got 3"):
        validate_quiz([GOOD_MC] * 3)
    with pytest.raises(ValueError, match="got 7"):
        validate_quiz([GOOD_MC] * 7)


def test_an_unknown_quiz_names_the_ones_that_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(selfcheck, "QUIZ_DIR", tmp_path)
    (tmp_path / "01_x.json").write_text(json.dumps([GOOD_MC] * 4))
    with pytest.raises(
        ValueError, match="no self-check quiz named '99_y'; quizzes exist for: 01_x"
    ):
        load_quiz("99_y")
    (tmp_path / "02_bad.json").write_text("[{")
    with pytest.raises(ValueError, match="02_bad.json is not valid JSON"):
        load_quiz("02_bad")


@pytest.mark.parametrize("name", quiz_names())
def test_every_shipped_quiz_is_valid(name):
    questions = load_quiz(name)
    text = answers_markdown(questions)
    assert text.count("*Answer:*") == len(questions)


def test_the_answers_block_gives_the_right_answer_and_every_feedback():
    text = answers_markdown([GOOD_MC, GOOD_NUM])
    assert text.startswith("<details>") and text.rstrip().endswith("</details>")
    assert "*Answer:* a" in text and "*Answer:* 0.25 (to 3 significant digits)" in text
    assert "- *any other number*: compute s first" in text


def test_self_check_shows_the_quiz_and_its_answers_the_same_way_each_run(tmp_path, monkeypatch):
    import IPython.display

    monkeypatch.setattr(selfcheck, "QUIZ_DIR", tmp_path)
    (tmp_path / "01_x.json").write_text(json.dumps([GOOD_MC, GOOD_NUM] * 2))
    runs = []
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    for _ in range(2):
        shown.clear()
        selfcheck.self_check("01_x")
        runs.append([(type(o).__name__, o.data) for o in shown])
    assert runs[0] == runs[1], "the quiz's output must not change between runs (nbval compares it)"
    (kind_html, html), (kind_js, script), (kind_md, answers) = runs[0]
    assert (kind_html, kind_js, kind_md) == ("HTML", "Javascript", "Markdown")
    assert 'id="selfcheck' in html
    # jupyterquiz leaves its div open; unclosed, it squeezed the answers block to 0 px in an
    # HTML export (seen in Chromium)
    assert html.count("<div") == html.count("</div>")
    assert "show_questions" in script and '"Which?"' in script
    assert "<details>" in answers
