"""Does the class report count what was planted in a class, and refuse what is not one grade run?

A synthetic class of 30 copies of solutions/05_matrix_backprop.ipynb with known mistakes taken
from the wrong-answer bank of test_exercises.py (9 transposed dW, 6 missing 1/N in the output
delta, 3 stubs of ``fit``, 1 infinite loop, 1 corrupt file, 10 correct) is graded once by the
real grader (``grade_batch``, 2 workers) and reported; the report's numbers (``summarise`` and
the JSON embedded in the page) and its text must show exactly those counts under the codes the
grader gives those mistakes. The browser test opens the page in Debian's Chromium from a file://
URL and sorts the students' table.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
from test_exercises import MUTANTS, SOLUTIONS, replace_solution

from backprop_course.cli import main
from backprop_course.grading import grade_batch
from backprop_course.grading.report import (
    NOT_MISTAKES,
    ReportInputError,
    code_label,
    operational,
    short_message,
    summarise,
    write_report,
)

NAME = "05_matrix_backprop.ipynb"
N = 30
# the planted class: kind -> how many submissions
# "both": dense_backward and bce_output_delta wrong (a total whose text sorts after "13")
PLAN = {"transposed_dW": 8, "no_1_over_N": 5, "both": 1, "fit_stub": 3, "fit_loop": 1}
PLAN["corrupt"] = 1
PLAN["correct"] = N - sum(PLAN.values())
# (answer grade_id, code, target part, why, ...): indexed, as entries may grow new fields
BANK = {m[3]: (m[0], m[1]) for m in MUTANTS[NAME]}
EDITS = {
    "transposed_dW": [BANK["transposed dW"]],
    "no_1_over_N": [BANK["no 1/N"]],
    "both": [BANK["transposed dW"], BANK["no 1/N"]],
    "fit_stub": [("fit", "raise NotImplementedError()")],
    "fit_loop": [("fit", "while True:\n    pass")],
}


def _answer_cells(nb) -> dict:
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The planted class graded into ``out``: (out, {student id: kind})."""
    tmp = tmp_path_factory.mktemp("class")
    kinds = [kind for kind, count in PLAN.items() for _ in range(count)]
    kinds = [kinds[i] for i in np.random.default_rng(5).permutation(N)]
    solution = nbformat.read(SOLUTIONS / NAME, as_version=4)
    subs, planted = [], {}
    for i, kind in enumerate(kinds):
        path = tmp / "submissions" / f"student_{i:02d}.ipynb"
        path.parent.mkdir(exist_ok=True)
        planted[path.stem] = kind
        subs.append(path)
        if kind == "corrupt":
            path.write_text('{"cells": [', encoding="utf-8")
            continue
        nb = nbformat.from_dict(solution)
        if kind in EDITS:
            for answer, code in EDITS[kind]:
                cell = _answer_cells(nb)[answer]
                cell.source = replace_solution(cell.source, code)
        nbformat.write(nb, path)
    out = tmp / "grades"
    grade_batch(SOLUTIONS / NAME, subs, out, jobs=2, timeout=8, progress=False)
    return out, planted


@pytest.fixture(scope="module")
def summary(graded_class):
    return summarise(graded_class[0])


@pytest.fixture(scope="module")
def page(graded_class, tmp_path_factory):
    """The report of the planted class, written outside the graded folder: (path, text)."""
    path = write_report(graded_class[0], tmp_path_factory.mktemp("report") / "report.html")
    return path, path.read_text(encoding="utf-8")


def _part(summary, gid):
    return next(p for p in summary["parts"] if p["grade_id"] == gid)


def _mistakes(summary, gid):
    return {m["code"]: m for m in _part(summary, gid)["mistakes"]}


def test_planted_mistakes_get_the_expected_codes(graded_class):
    """Does the grader give each planted mistake the code the report counts?"""
    out, planted = graded_class
    expected = {
        "transposed_dW": ("dense_backward_tests", "transposed"),
        "no_1_over_N": ("bce_output_delta_tests", "missing_batch_mean"),
        "fit_stub": ("fit_tests", "not_attempted"),
        "fit_loop": ("fit_tests", "timeout"),
        "corrupt": ("dense_forward_tests", "invalid_submission"),
    }
    expected["both"] = expected["transposed_dW"]
    for student, kind in planted.items():
        parts = json.loads((out / f"{student}.json").read_text())["parts"]
        if kind == "correct":
            assert all(p["status"] == "passed" for p in parts.values()), student
        else:
            gid, code = expected[kind]
            assert parts[gid]["code"] == code, (student, kind, parts[gid])


def test_counts_equal_the_planted_ones(summary):
    assert summary["n"] == N and summary["max_total"] == 13 and summary["edited_in_csv"] == []
    assert _mistakes(summary, "dense_backward_tests")["transposed"]["count"] == 9
    assert _mistakes(summary, "bce_output_delta_tests")["missing_batch_mean"]["count"] == 6
    fit = _part(summary, "fit_tests")
    assert fit["outcomes"]["not attempted"] == 3
    # a timeout is an operational failure, not a mistake to re-teach: its own list, by part
    assert "timeout" not in _mistakes(summary, "fit_tests")
    ops = [(o["grade_id"], o["code"], o["count"]) for o in summary["operational"]]
    assert ops == [("fit_tests", "timeout", 1)]
    assert summary["not_attempted"] == [{"grade_id": "fit_tests", "count": 3, "share": 0.1}]
    assert sum(s["total"] == 13 for s in summary["students"]) == PLAN["correct"]
    # what to re-teach: each planted mistake once, where it is made; the later parts that run
    # the broken functions are graded with reference versions of them, so they pass
    reteach = [(m["grade_id"], m["code"], m["first"]) for m in summary["reteach"]]
    assert reteach == [
        ("dense_backward_tests", "transposed", 9),
        ("bce_output_delta_tests", "missing_batch_mean", 5),
    ]
    assert _part(summary, "loss_and_grads_tests")["outcomes"]["failed"] == PLAN["corrupt"]
    assert summary["reteach"][0]["share"] == pytest.approx(0.3)
    assert "dW" in summary["reteach"][0]["example"]


def test_failed_runs_are_listed(summary, graded_class):
    _, planted = graded_class
    failures = {f["submission"]: f["codes"] for f in summary["run_failures"]}
    expected = {s: ["timeout"] for s, k in planted.items() if k == "fit_loop"}
    expected |= {s: ["invalid_submission"] for s, k in planted.items() if k == "corrupt"}
    assert failures == expected


def test_counts_are_the_codes_in_the_json_files(summary, graded_class):
    """Every count equals a count of codes read straight from the per-submission JSON."""
    out = graded_class[0]
    reports = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    for part in summary["parts"]:
        gid = part["grade_id"]
        codes = Counter(
            r["parts"][gid]["code"] for r in reports if r["parts"][gid]["status"] != "passed"
        )
        assert {m["code"]: m["count"] for m in part["mistakes"]} == {
            c: k for c, k in codes.items() if c not in NOT_MISTAKES and not operational(c)
        }
        assert {o["code"]: o["count"] for o in part["operational"]} == {
            c: k for c, k in codes.items() if operational(c) and c != "invalid_submission"
        }
        assert part["outcomes"]["passed"] == sum(
            r["parts"][gid]["status"] == "passed" for r in reports
        )


def test_page_shows_the_counts_and_embeds_the_summary(page, summary):
    _, text = page
    blob = re.search(r"<script type='application/json' id='summary'>(.*?)</script>", text, re.S)
    assert json.loads(blob.group(1).replace("<\\/", "</")) == summary
    items = re.findall(r"<li>(.*?)</li>", text, re.S)
    assert "dense_backward_tests" in items[0] and "30% (9 of 30)" in items[0]
    assert "transposed" in items[0]
    assert "bce_output_delta_tests" in items[1] and "17% (5 of 30; 1 more after" in items[1]
    assert "missing_batch_mean" in items[1]
    assert re.search(r"fit_tests</td><td class='num'>3 of 30 \(10%\)", text)
    for m in _part(summary, "dense_backward_tests")["mistakes"]:
        assert f"<code>{m['code']}</code></td><td class='num'>{m['count']}</td>" in text
    assert text.count("<tr><td title=") == N  # one row per student


def test_operational_failures_have_their_own_section_with_the_part(page, graded_class):
    _, text = page
    _, planted = graded_class
    section = text.split("<h2>Operational failures")[1].split("<h2>")[0]
    looped = [s for s, k in planted.items() if k == "fit_loop"]
    assert re.search(r"<tr><td>fit_tests</td><td class='bad'>timed out", section), section
    assert all(s in section for s in looped)
    reteach = text.split("<h2>What to re-teach first</h2>")[1].split("<h2>")[0]
    assert "timeout" not in reteach


def test_histogram_bars_are_coloured_by_score():
    from matplotlib.colors import to_hex

    from backprop_course.grading.report_page import _OUTCOME_COLORS, _figure, _hist

    ax = _figure(3, 2).subplots()
    _hist(ax, [0, 0, 1, 2, 3, 3, 3], 3.0, "part")
    colours = [to_hex(bar.get_facecolor()) for bar in ax.patches]
    want = [_OUTCOME_COLORS[s] for s in ("failed", "partial", "partial", "passed")]
    assert colours == want


def test_page_is_self_contained(page):
    _, text = page
    assert not re.search(r"(src|href)\s*=\s*['\"](?!data:)", text), "a resource outside the page"
    assert "http://" not in text and "https://" not in text
    images = re.findall(r"<img [^>]*src='data:image/png;base64,", text)
    assert len(images) == 3


def test_existing_report_is_kept_unless_overwrite(graded_class, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("hand-written notes")
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_report(graded_class[0], out)
    assert out.read_text() == "hand-written notes"
    assert main(["report", str(graded_class[0]), "--out", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_cli_writes_report_html_in_the_folder_by_default(graded_class, tmp_path, capsys):
    folder = tmp_path / "grades"
    shutil.copytree(graded_class[0], folder)
    assert main(["report", str(folder)]) == 0
    assert f"wrote {folder / 'report.html'}" in capsys.readouterr().out
    assert main(["report", str(folder)]) == 2  # a second run keeps the first report
    assert "already exists" in capsys.readouterr().err
    assert summarise(folder)["n"] == N  # the report in the folder is no input


def test_hand_edited_csv_and_gradescope_files_are_noted_not_refused(graded_class, tmp_path):
    folder = tmp_path / "grades"
    shutil.copytree(graded_class[0], folder)
    rows = (folder / "grades.csv").read_text().splitlines()
    cells = rows[1].split(",")
    cells[-2] = "99"  # an instructor changed a total
    rows[1] = ",".join(cells)
    (folder / "grades.csv").write_text("\n".join(rows) + "\n")
    gradescope = {"score": 1.0, "output": "", "tests": []}  # `grade --gradescope` of one
    (folder / "results.json").write_text(json.dumps(gradescope))
    summary = summarise(folder)
    assert summary["n"] == N and summary["edited_in_csv"] == [cells[0]]
    text = write_report(folder).read_text()
    assert "grades.csv differs from the grader's JSON reports for 1 submission(s)" in text


def test_failures_only_in_hidden_tests_are_counted(graded_class, tmp_path):
    """A part failed after every public test passed (``in_hidden`` in the grader's JSON) is
    counted apart: answers fitted to the public inputs, or edge cases nobody tried."""
    folder = tmp_path / "grades"
    shutil.copytree(graded_class[0], folder)
    student = next(s for s, kind in graded_class[1].items() if kind == "transposed_dW")
    path = folder / f"{student}.json"
    data = json.loads(path.read_text())
    assert data["parts"]["dense_backward_tests"]["in_hidden"] is False  # the grader wrote it
    data["parts"]["dense_backward_tests"]["in_hidden"] = True
    path.write_text(json.dumps(data))
    assert _part(summarise(graded_class[0]), "dense_backward_tests")["hidden_only"] == 0
    assert _part(summarise(folder), "dense_backward_tests")["hidden_only"] == 1
    assert "failed (1 only in hidden tests)" in write_report(folder).read_text()


def _hashes(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _edit_json(name: str, change):
    def edit(folder: Path):
        path = sorted(folder.glob("*.json"))[0] if name == "first" else folder / name
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return edit


BAD_FOLDERS = {
    "no grades.csv": (lambda f: (f / "grades.csv").unlink(), "no grades.csv"),
    "no JSON": (lambda f: [p.unlink() for p in f.glob("*.json")], "no <submission>.json"),
    "not a report": (
        lambda f: (f / "notes.json").write_text('{"hello": 1}'),
        "notes.json: not a submission report",
    ),
    "not JSON": (lambda f: (f / "x.json").write_text("{"), "x.json: not readable JSON"),
    "other source": (
        _edit_json("first", lambda d: d.update(source="solutions/06_training_with_sgd.ipynb")),
        "reports of different source notebooks",
    ),
    "other parts": (
        _edit_json("first", lambda d: d["parts"].pop("fit_tests")),
        "expected every report of one run to have the same parts",
    ),
    "another run's report": (
        lambda f: shutil.copy(sorted(f.glob("*.json"))[0], f / "someone_else.json"),
        "grades.csv and the JSON files list different submissions",
    ),
    "bad part": (
        _edit_json("first", lambda d: d["parts"]["fit_tests"].update(status="great")),
        "'fit_tests' is not a graded part",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FOLDERS))
def test_bad_folder_is_refused_and_left_unchanged(case, graded_class, tmp_path, capsys):
    folder = tmp_path / "grades"
    shutil.copytree(graded_class[0], folder)
    damage, message = BAD_FOLDERS[case]
    damage(folder)
    before = _hashes(folder)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err and "expected" in err, err
    assert _hashes(folder) == before
    with pytest.raises(ReportInputError, match=re.escape(message)):
        write_report(folder, tmp_path / "elsewhere.html")
    assert not (tmp_path / "elsewhere.html").exists()


def test_missing_folder_and_grade_files_as_output_are_refused(graded_class, tmp_path, capsys):
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    folder = tmp_path / "grades"
    shutil.copytree(graded_class[0], folder)
    before = _hashes(folder)
    (folder / "a_folder").mkdir()
    for target in ("grades.csv", next(folder.glob("*.json")).name, "a_folder"):
        assert main(["report", str(folder), "--out", str(folder / target), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert "is one of the grade results" in err or "is a folder" in err
    assert _hashes(folder) == before


def test_labels_and_examples():
    assert code_label("missing_batch_mean").startswith("N times the expected value")
    assert code_label("timeout").startswith("timed out")
    assert code_label("error:KeyError") == (
        "the test stopped on KeyError (e.g. a result of the wrong type)"
    )
    assert code_label("not_attempted").startswith("not attempted")
    assert code_label("kernel_died").startswith("the kernel died")
    assert code_label("gradient_ascent") == "named mistake: gradient ascent"
    message = "StudentTimeoutError: fit: timed out after 8 s (at line 7: p = fit(params))"
    assert short_message(message) == "fit: timed out after 8 s"
    assert short_message("CheckFailed: x (in a hidden test)") == "x"


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_report_in_chromium_shows_figures_and_sorts(page, request):
    """Opened from a file:// URL: do the figures load, and does a header click sort the rows?"""
    from playwright.sync_api import sync_playwright
    from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    path, _ = page
    assert Path(CHROMIUM).exists(), "Debian chromium is needed: apt-get install -y chromium"

    def only_the_page(route):  # nothing may leave the page: no network, no other file
        url = route.request.url
        ok = url == path.as_uri() or url.startswith("data:")
        route.continue_() if ok else route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.route("**/*", only_the_page)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        try:
            tab.goto(path.as_uri())
            widths = tab.eval_on_selector_all(
                "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
            )
            assert len(widths) == 3 and all(w > 0 for w in widths), widths
            shot = os.environ.get("BACKPROP_COURSE_REPORT_SCREENSHOT")
            if shot:  # how docs/report.png is made (see CONTRIBUTING.md)
                tab.screenshot(
                    path=shot, full_page=True, clip={"x": 0, "y": 0, "width": 1100, "height": 1300}
                )

            headers = tab.locator("#students thead th")
            names = headers.all_inner_texts()
            column = {name.strip(): i for i, name in enumerate(names)}

            def values(name):
                cells = tab.locator(f"#students tbody tr td:nth-child({column[name] + 1})")
                return cells.all_inner_texts()

            total = headers.nth(column["total"])
            total.click()
            ascending = [float(v) for v in values("total")]
            assert ascending == sorted(ascending) and ascending[0] < ascending[-1]
            assert total.get_attribute("aria-sort") == "ascending"
            total.click()
            descending = [float(v) for v in values("total")]
            assert descending == sorted(ascending, reverse=True)
            assert total.get_attribute("aria-sort") == "descending"
            # numerically: 13 after 8 (the "both" student), as text "13" < "8"
            assert ascending.index(13.0) > ascending.index(8.0)

            headers.nth(column["submission"]).click()
            ids = values("submission")
            assert ids == sorted(ids) and len(ids) == N
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
            raise
        finally:
            context.close()
            browser.close()
