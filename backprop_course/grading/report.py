"""A class report for instructors: one self-contained HTML page from a ``grade`` output folder.

``backprop-course report grades/05`` reads the folder ``backprop-course grade --out grades/05``
wrote (``grades.csv`` and one ``<submission>.json`` per submission) and writes
``grades/05/report.html``: what to re-teach first (the most frequent diagnosed mistakes), the
score distribution in total and per part, each part's mistakes with their counts and share of
the class, the parts most often not attempted, the submissions that timed out or failed to run,
and a table of students that sorts when a header is clicked. Figures are matplotlib PNGs
embedded in the page and the few lines of JavaScript are inline, so the page needs no network.

Mistakes are counted by their stable code (``PartResult.code``), never by message; the most
common message of a code is shown, cut short, as an example. :func:`summarise` returns the
numbers the page is built from; the page embeds them as JSON (``<script id="summary">``).

A folder that is not a ``grade`` output, or that mixes runs of different source notebooks, is
refused with :class:`ReportInputError` before anything is written; nothing in it is modified.

>>> summarise("no/such/folder")
Traceback (most recent call last):
...
backprop_course.grading.report.ReportInputError: no/such/folder: no such folder; expected the \
--out folder of `backprop-course grade` (grades.csv and one <submission>.json per submission)
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

from backprop_course.grading.results import PART_STATUSES
from backprop_course.grading.scoring.checks import CODES

EXPECTED = (
    "expected the --out folder of `backprop-course grade` (grades.csv and one "
    "<submission>.json per submission)"
)
#: Codes that are not a mistake in the answer: counted in their own sections of the report.
NOT_MISTAKES = (
    "not_attempted",
    "submission_timeout",
    "invalid_submission",
    "symlink_refused",
    "grader_failed",
)
#: Codes of a submission that did not run to the end: listed under "timed out or failed to run".
RUN_FAILURES = (
    "timeout",
    "submission_timeout",
    "kernel_died",
    "invalid_submission",
    "symlink_refused",
    "grader_failed",
)
_LABELS = {
    "timeout": "timed out (an infinite loop, or far too slow)",
    "kernel_died": "the kernel died (a crash, the memory cap or an exit)",
    "shape_error": "numpy refused the shapes in the student's code",
    "not_attempted": "not attempted (the stub still raises NotImplementedError)",
    "forbidden": "used the course's own implementation or a forbidden module",
    "partial_credit": "partial credit",
    "scored_zero": "scored 0 without a diagnosis",
    "submission_timeout": "used up its time bound (--submission-timeout)",
    "invalid_submission": "the file is not a readable notebook",
    "symlink_refused": "refused: the submission is a symbolic link",
    "grader_failed": "the grader failed on this submission",
    "assertion": "a plain assert of the test failed",
    "test_error": "the test itself failed (its code or its score)",
    "": "no code recorded",
}
_EXAMPLE_CHARS = 110


class ReportInputError(ValueError):
    """The folder is not one ``grade`` run's output: says what was found and what was expected."""


def code_label(code: str) -> str:
    """A readable label for a failure code.

    >>> code_label("transposed")
    'the transpose of the expected array'
    >>> code_label("raised:TypeError"), code_label("missing_activation_derivative")
    ("the student's code raised TypeError", 'named mistake: missing activation derivative')
    """
    if code in CODES:
        return CODES[code]
    if code in _LABELS:
        return _LABELS[code]
    kind, _, name = code.partition(":")
    if kind == "raised" and name:
        return f"the student's code raised {name}"
    if kind == "error" and name:
        return f"the test stopped on {name} (e.g. a result of the wrong type)"
    return "named mistake: " + code.replace("_", " ")


def short_message(message: str, limit: int = _EXAMPLE_CHARS) -> str:
    """A message cut short for an example: no exception name, no test line, at most ``limit``.

    >>> short_message("dW looks transposed (test line 3)")
    'dW looks transposed'
    >>> short_message("x" * 200, limit=10)
    'xxxxxxxxx…'
    """
    text = re.sub(r"^[A-Z]\w*(Error|Failed|Exception|Exit|Interrupt): ", "", message.strip())
    text = re.sub(r" \(((at|test) line \d+[^)]*|in a hidden test)\)?.*$", "", text, flags=re.S)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(folder, found: str) -> None:
    raise ReportInputError(f"{folder}: {found}; {EXPECTED}")


def _read_report(path: Path) -> dict | None:
    """A submission report's plain data, ``None`` for Gradescope's ``results.json``, or raise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportInputError(f"{path}: not readable JSON ({exc}); {EXPECTED}") from None
    if path.name == "results.json" and isinstance(data, dict) and "tests" in data:
        return None  # written by `grade --gradescope` for a single submission
    keys = ("source", "submission", "status", "parts", "total", "max_total")
    missing = [k for k in keys if not isinstance(data, dict) or k not in data]
    if missing or not isinstance(data["parts"], dict):
        raise ReportInputError(
            f"{path}: not a submission report (missing {', '.join(missing) or 'parts'}); {EXPECTED}"
        )
    for gid, part in data["parts"].items():
        ok = isinstance(part, dict) and part.get("status") in PART_STATUSES
        ok = ok and all(isinstance(part.get(k), int | float) for k in ("points", "max_points"))
        if not ok or not isinstance(part.get("code", ""), str):
            raise ReportInputError(
                f"{path}: part {gid!r} is not a graded part (expected points, max_points, a "
                f"status among {PART_STATUSES} and a code); {EXPECTED}"
            )
    return data


def load_folder(folder: str | Path) -> tuple[list[tuple[str, dict]], list[str], list[str]]:
    """The ``(id, report data)`` pairs of a ``grade`` output folder, its parts in notebook
    order and the ids whose row of ``grades.csv`` differs from their JSON (edited by hand).

    Refused (:class:`ReportInputError`): no folder, no ``grades.csv``, no JSON, a JSON that is
    not a submission report, reports of different sources or part sets, a ``grades.csv`` whose
    rows or columns do not match the JSON files. Only reads.
    """
    folder = Path(folder)
    if not folder.is_dir():
        _fail(folder, "no such folder")
    csv_path = folder / "grades.csv"
    if not csv_path.is_file():
        found = sorted(p.name for p in folder.iterdir())[:5]
        _fail(folder, f"no grades.csv (found: {', '.join(found) or 'nothing'})")
    reports = []
    for path in sorted(folder.glob("*.json")):
        data = _read_report(path)
        if data is not None:
            reports.append((path.stem, data))
    if not reports:
        _fail(folder, "grades.csv but no <submission>.json file")
    sources = Counter(str(d["source"]) for _, d in reports)
    if len(sources) > 1:
        listed = "; ".join(f"{s} ({n} reports)" for s, n in sources.most_common())
        raise ReportInputError(
            f"{folder}: reports of different source notebooks: {listed}; expected one "
            "`backprop-course grade` run (grade each source into its own --out folder)"
        )
    first = sorted(reports[0][1]["parts"])
    for name, data in reports:
        if sorted(data["parts"]) != first:
            raise ReportInputError(
                f"{folder}: {name}.json has parts {sorted(data['parts'])}, but "
                f"{reports[0][0]}.json has {first}; expected every report of one run to have "
                "the same parts"
            )
    try:
        with csv_path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        _fail(folder, f"grades.csv is not readable ({exc})")
    # the JSON sorts its keys: the parts' notebook order is grades.csv's column order
    parts = rows[0][2:-2] if rows else []
    header = ["submission", "status", *parts, "total", "max_total"]
    if not rows or rows[0] != header or sorted(parts) != first:
        expected = ["submission", "status", "<the reports' parts>", "total", "max_total"]
        _fail(folder, f"grades.csv has columns {rows[0] if rows else []}, not {expected}")
    listed, ids = sorted(r[0] for r in rows[1:] if r), sorted(n for n, _ in reports)
    if listed != ids:
        extra = sorted(set(listed) ^ set(ids))[:5]
        _fail(folder, f"grades.csv and the JSON files list different submissions ({extra} ...)")
    by_id = dict(reports)
    edited = sorted(
        r[0]
        for r in rows[1:]
        if r
        and r[2:]
        != [f"{by_id[r[0]]['parts'][g]['points']:g}" for g in parts]
        + [f"{by_id[r[0]]['total']:g}", f"{by_id[r[0]]['max_total']:g}"]
    )
    return reports, parts, edited


def _histogram_bins(max_points: float, values) -> np.ndarray:
    if (
        float(max_points).is_integer()
        and max_points <= 25
        and all(float(v).is_integer() for v in values)
    ):
        return np.arange(-0.5, max_points + 1.0)
    return np.linspace(0.0, max_points if max_points > 0 else 1.0, 11)


def summarise(folder: str | Path) -> dict:
    """The numbers the report shows, as plain data (the page embeds them as JSON).

    Keys: ``source``, ``n`` (submissions), ``max_total``, ``parts`` (per part: ``grade_id``,
    ``max_points``, ``mean``, ``scores``, ``outcomes`` (count per status), ``hidden_only``
    (how many failed after passing every public test), ``mistakes`` (per code, most frequent
    first: ``code``, ``label``, ``count``, ``share`` of the class,
    ``after_earlier_failure`` (how many of them failed a part above too), ``example``,
    ``submissions``)), ``not_attempted`` (parts, most often not attempted first),
    ``run_failures`` (submissions that timed out or failed to run), ``reteach`` (mistakes of
    students who passed every part above, most frequent first; ``first`` counts them) and
    ``students`` (id, status, points per part, total, codes per part), ``edited_in_csv`` (ids
    whose ``grades.csv`` row differs from their JSON: the report shows the JSON's scores).
    """
    reports, parts, edited = load_folder(folder)
    n = len(reports)
    max_points = {g: float(reports[0][1]["parts"][g]["max_points"]) for g in parts}
    summary_parts = []
    failed_before: set[str] = set()  # submissions that failed a part above the current one
    for gid in parts:
        results = {name: d["parts"][gid] for name, d in reports}
        by_code: dict[str, list[str]] = {}
        messages: dict[str, Counter] = {}
        for name, r in results.items():
            if r["status"] != "passed":
                code = r.get("code", "")
                by_code.setdefault(code, []).append(name)
                messages.setdefault(code, Counter())[r.get("message", "")] += 1
        mistakes = [
            {
                "code": code,
                "label": code_label(code),
                "count": len(names),
                "share": len(names) / n,
                "after_earlier_failure": sum(name in failed_before for name in names),
                "example": short_message(messages[code].most_common(1)[0][0]),
                "submissions": names,
            }
            for code, names in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            if code not in NOT_MISTAKES
        ]
        failed_before |= {
            name for name, r in results.items() if r["status"] in ("failed", "partial", "forbidden")
        }
        scores = [float(r["points"]) for r in results.values()]
        summary_parts.append(
            {
                "grade_id": gid,
                "max_points": max_points[gid],
                "mean": float(np.mean(scores)),
                "scores": scores,
                "outcomes": {
                    s: sum(r["status"] == s for r in results.values()) for s in PART_STATUSES
                },
                # passed the public tests, failed a hidden one: edge cases, or answers fitted
                # to the public inputs
                "hidden_only": sum(
                    r["status"] == "failed" and bool(r.get("in_hidden")) for r in results.values()
                ),
                "mistakes": mistakes,
            }
        )
    not_attempted = [
        {"grade_id": p["grade_id"], "count": p["outcomes"]["not attempted"]}
        for p in summary_parts
        if p["outcomes"]["not attempted"]
    ]
    not_attempted.sort(key=lambda p: -p["count"])
    for p in not_attempted:
        p["share"] = p["count"] / n
    run_failures = []
    for name, data in reports:
        hit = {g: r.get("code", "") for g, r in data["parts"].items()}
        hit = {g: c for g, c in hit.items() if c in RUN_FAILURES}
        if hit or data["status"] == "invalid":
            codes = sorted(set(hit.values())) or ["invalid_submission"]
            run_failures.append(
                {
                    "submission": name,
                    "codes": codes,
                    "parts": sorted(hit, key=parts.index),
                    "note": short_message(" ".join(data.get("messages", [])), 160),
                }
            )
    # what to re-teach: mistakes made by students who passed every part above, most first (a
    # wrong dense_backward also breaks the parts that call it; those failures come after)
    first = [
        {"grade_id": p["grade_id"], **m, "first": m["count"] - m["after_earlier_failure"]}
        for p in summary_parts
        for m in p["mistakes"]
        if m["count"] > m["after_earlier_failure"]
    ]
    reteach = sorted(first, key=lambda m: (-m["first"], parts.index(m["grade_id"])))
    students = [
        {
            "id": name,
            "submission": str(data["submission"]),
            "status": data["status"],
            "points": {g: float(data["parts"][g]["points"]) for g in parts},
            "total": float(data["total"]),
            "codes": {g: data["parts"][g].get("code", "") for g in parts},
        }
        for name, data in reports
    ]
    return {
        "source": str(reports[0][1]["source"]),
        "n": n,
        "max_total": float(sum(max_points.values())),
        "parts": summary_parts,
        "not_attempted": not_attempted,
        "run_failures": run_failures,
        "reteach": reteach[:6],
        "students": students,
        "edited_in_csv": edited,
    }


# --- figures (matplotlib, Agg, no pyplot: as explore.py draws the widgets' figures) ----------


def _png(fig) -> str:
    from backprop_course.plots import figure_png

    return "data:image/png;base64," + base64.b64encode(figure_png(fig, dpi=90)).decode("ascii")


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _hist(ax, scores, max_points: float, title: str, color: str) -> None:
    ax.hist(scores, bins=_histogram_bins(max_points, scores), color=color, edgecolor="white")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(-0.6, max_points + 0.6)
    if float(max_points).is_integer() and max_points <= 12:
        ax.set_xticks(np.arange(max_points + 1))
    ax.set_xlabel("points", fontsize=9)
    ax.set_ylabel("submissions", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def total_figure(summary: dict):
    """Histogram of the class's total scores."""
    from backprop_course.plots.curves import CLASS_COLORS

    fig = _figure(5.0, 2.9)
    ax = fig.subplots()
    totals = [s["total"] for s in summary["students"]]
    title = f"total (out of {summary['max_total']:g})"
    _hist(ax, totals, summary["max_total"], title, CLASS_COLORS[0])
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.18, top=0.88)
    return fig


def parts_figure(summary: dict):
    """One histogram of the points per part, side by side."""
    from backprop_course.plots.curves import CLASS_COLORS

    parts = summary["parts"]
    cols = min(len(parts), 3)
    rows = math.ceil(len(parts) / cols)
    fig = _figure(3.2 * cols, 2.4 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, part in zip(axes, parts, strict=False):
        title = f"{part['grade_id']} (/{part['max_points']:g})"
        _hist(ax, part["scores"], part["max_points"], title, CLASS_COLORS[2])
    for ax in axes[len(parts) :]:
        ax.set_visible(False)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.92, wspace=0.3, hspace=0.7)
    return fig


_OUTCOME_COLORS = {
    "passed": "#2ca02c",
    "partial": "#bcbd22",
    "failed": "#d62728",
    "not attempted": "#c7c7c7",
    "forbidden": "#9467bd",
}


def outcomes_figure(summary: dict):
    """Per part, the share of the class that passed, got partial credit, failed, ..."""
    parts = summary["parts"]
    fig = _figure(6.6, max(2.9, 0.45 * len(parts) + 1.1))
    ax = fig.subplots()
    y = np.arange(len(parts))[::-1]
    left = np.zeros(len(parts))
    for status in PART_STATUSES:
        share = np.array([p["outcomes"][status] / summary["n"] for p in parts])
        if share.any():
            ax.barh(y, share, left=left, color=_OUTCOME_COLORS[status], label=status, height=0.7)
        left += share
    ax.set_yticks(y, [p["grade_id"] for p in parts], fontsize=9)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.tick_params(labelsize=8)
    ax.set_title("outcome per part (share of the class)", fontsize=10)
    ax.legend(ncols=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.subplots_adjust(left=0.27, right=0.98, bottom=0.3, top=0.85)
    return fig


# --- the page ------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
td.num,th.num{text-align:right}th{background:#f4f4f4}
#students th{cursor:pointer;user-select:none}#students th[aria-sort=ascending]::after{content:" ▲"}
#students th[aria-sort=descending]::after{content:" ▼"}
code{background:#f4f4f4;padding:0 .2em}.ex{color:#555;font-size:.9em}.bad{color:#b00}
.reteach li{margin:.3em 0}img{max-width:100%}.row{display:flex;flex-wrap:wrap;gap:.5em}
.wide{overflow-x:auto}
"""

# sorts #students by the clicked column: numbers numerically (data-v), text by locale
_JS = """
document.querySelectorAll("#students th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
  th.closest("tr").querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  const key = tr => tr.cells[col].dataset.v ?? tr.cells[col].textContent;
  const numeric = th.classList.contains("num");
  const rows = Array.from(body.rows).sort((a, b) => dir * (numeric
    ? Number(key(a)) - Number(key(b)) : key(a).localeCompare(key(b))));
  rows.forEach(r => body.appendChild(r));
}));
"""


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def render_html(summary: dict) -> str:
    """The report page for :func:`summarise`'s ``summary`` (self-contained HTML)."""
    e = html.escape
    n = summary["n"]
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Class report: {e(Path(summary['source']).name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Class report: {e(Path(summary['source']).name)}</h1>",
        f"<p>{n} submissions graded against <code>{e(summary['source'])}</code>; "
        f"{len(summary['parts'])} parts, {summary['max_total']:g} points. Mistakes are counted "
        "by the grader's diagnosis code; the example is the most common message for it.</p>",
    ]
    if summary["edited_in_csv"]:
        ids = ", ".join(summary["edited_in_csv"][:10])
        out.append(
            f"<p class='bad'>grades.csv differs from the grader's JSON reports for "
            f"{len(summary['edited_in_csv'])} submission(s) ({e(ids)}; edited by hand?): this "
            "report shows the scores the grader recorded in the JSON files.</p>"
        )
    out.append("<h2>What to re-teach first</h2>")
    if summary["reteach"]:
        out.append("<ol class='reteach'>")
        for m in summary["reteach"]:
            also = m["after_earlier_failure"]
            later = f"; {also} more after failing a part above" if also else ""
            out.append(
                f"<li><b>{e(m['grade_id'])}</b>: {_pct(m['first'] / n)} ({m['first']} of {n}"
                f"{later}) <code>{e(m['code'])}</code>: {e(m['label'])}"
                f" <span class='ex'>e.g. “{e(m['example'])}”</span></li>"
            )
        out.append("</ol>")
    else:
        out.append("<p>No mistakes: every attempted part passed.</p>")
    out.append(
        "<p class='ex'>Counted once, where a student's first failure is; the same student's "
        "failures in later parts (often parts that call the broken function) are in the "
        "per-part tables below.</p>"
    )
    out += [
        "<h2>Scores</h2>",
        "<div class='row'>",
        f"<img alt='histogram of total scores' src='{_png(total_figure(summary))}'>",
        f"<img alt='outcome per part' src='{_png(outcomes_figure(summary))}'>",
        "</div>",
        f"<img alt='histograms of points per part' src='{_png(parts_figure(summary))}'>",
        "<h2>Mistakes per part</h2>",
    ]
    for p in summary["parts"]:
        o = p["outcomes"]
        hidden = f" ({p['hidden_only']} only in hidden tests)" if p["hidden_only"] else ""
        out.append(
            f"<h3>{e(p['grade_id'])} <small>(mean {p['mean']:.2f} of {p['max_points']:g}; "
            f"{o['passed']} passed, {o['partial']} partial, {o['failed']} failed{hidden}, "
            f"{o['not attempted']} not attempted, {o['forbidden']} forbidden)</small></h3>"
        )
        if not p["mistakes"]:
            unread = o["failed"] + o["partial"]
            note = f" ({unread} could not be graded: see below)" if unread else ""
            out.append(f"<p>No mistakes in the answers{note}.</p>")
            continue
        out.append(
            "<table class='mistakes'><tr><th>mistake</th><th>code</th><th class='num'>count"
            "</th><th class='num'>share</th><th class='num'>of them failed a part above</th>"
            "<th>example</th></tr>"
        )
        for m in p["mistakes"]:
            out.append(
                f"<tr><td>{e(m['label'])}</td><td><code>{e(m['code'])}</code></td>"
                f"<td class='num'>{m['count']}</td><td class='num'>{_pct(m['share'])}</td>"
                f"<td class='num'>{m['after_earlier_failure']}</td>"
                f"<td class='ex'>{e(m['example'])}</td></tr>"
            )
        out.append("</table>")
    out.append("<h2>Parts most often not attempted</h2>")
    if summary["not_attempted"]:
        out.append("<table><tr><th>part</th><th class='num'>not attempted</th></tr>")
        for p in summary["not_attempted"]:
            out.append(
                f"<tr><td>{e(p['grade_id'])}</td><td class='num'>{p['count']} of {n} "
                f"({_pct(p['share'])})</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>Every part was attempted by every submission.</p>")
    out.append("<h2>Submissions that timed out or failed to run</h2>")
    if summary["run_failures"]:
        out.append("<table><tr><th>submission</th><th>what</th><th>parts</th><th>note</th></tr>")
        for f in summary["run_failures"]:
            labels = "; ".join(f"{code_label(c)} (<code>{e(c)}</code>)" for c in f["codes"])
            out.append(
                f"<tr><td>{e(f['submission'])}</td><td class='bad'>{labels}</td>"
                f"<td>{e(', '.join(f['parts']))}</td><td class='ex'>{e(f['note'])}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>None: every submission ran to the end within its limits.</p>")
    gids = [p["grade_id"] for p in summary["parts"]]
    out.append("<h2>Students</h2><p>Click a column header to sort.</p>")
    out.append("<div class='wide'><table id='students'>")
    out.append("<thead><tr><th>submission</th><th>status</th>")
    out += [f"<th class='num'>{e(g)}</th>" for g in gids]
    out.append("<th class='num'>total</th><th>mistakes</th></tr></thead><tbody>")
    for s in summary["students"]:
        cells = [f"<td title='{e(s['submission'])}'>{e(s['id'])}</td><td>{e(s['status'])}</td>"]
        for g in gids:
            code = s["codes"][g]
            tip = f" title='{e(code)}'" if code else ""
            points = f"{s['points'][g]:g}"
            cells.append(f"<td class='num' data-v='{points}'{tip}>{points}</td>")
        codes = ", ".join(sorted({c for c in s["codes"].values() if c}))
        cells.append(f"<td class='num' data-v='{s['total']:g}'>{s['total']:g}</td>")
        cells.append(f"<td>{e(codes)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    data = json.dumps(summary, sort_keys=True).replace("</", "<\\/")
    out.append(f"<script type='application/json' id='summary'>{data}</script>")
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"


def write_report(
    folder: str | Path, out: str | Path | None = None, *, overwrite: bool = False
) -> Path:
    """Write the class report of a ``grade`` output folder; return its path.

    Parameters
    ----------
    folder : path
        The ``--out`` folder of ``backprop-course grade``; checked and only read.
    out : path, optional
        The HTML file to write (default ``folder/report.html``).
    overwrite : bool
        Replace an existing ``out``; refused otherwise (``FileExistsError``). The folder's own
        ``grades.csv`` and JSON reports are never replaced.
    """
    folder = Path(folder)
    out = folder / "report.html" if out is None else Path(out)
    summary = summarise(folder)
    protected = {folder / "grades.csv", *folder.glob("*.json")}
    if out.resolve() in {p.resolve() for p in protected}:
        raise ReportInputError(f"{out} is one of the grade results; choose an .html file")
    if out.is_dir():
        raise ReportInputError(f"{out} is a folder; expected the path of an .html file")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists; choose another --out or pass --overwrite")
    page = render_html(summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
