"""The class report's page: its figures (matplotlib PNGs) and its self-contained HTML.

:func:`render_html` only formats the numbers :func:`backprop_course.grading.report.summarise`
computed; nothing here counts.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np

from backprop_course.grading.report import code_label
from backprop_course.grading.results import PART_STATUSES


def _histogram_bins(max_points: float, values) -> np.ndarray:
    if (
        float(max_points).is_integer()
        and max_points <= 25
        and all(float(v).is_integer() for v in values)
    ):
        return np.arange(-0.5, max_points + 1.0)
    return np.linspace(0.0, max_points if max_points > 0 else 1.0, 11)


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


_OUTCOME_COLORS = {
    "passed": "#2ca02c",
    "partial": "#bcbd22",
    "failed": "#d62728",
    "not attempted": "#c7c7c7",
    "forbidden": "#9467bd",
}


def _score_color(score: float, max_points: float) -> str:
    """A bar's colour by the score it counts, as in the outcome figure: full marks green,
    zero red, partial olive."""
    if max_points > 0 and score >= max_points - 1e-9:
        return _OUTCOME_COLORS["passed"]
    return _OUTCOME_COLORS["failed"] if score <= 1e-9 else _OUTCOME_COLORS["partial"]


def _hist(ax, scores, max_points: float, title: str) -> None:
    bins = _histogram_bins(max_points, scores)
    _, edges, bars = ax.hist(scores, bins=bins, edgecolor="white")
    for bar, lo, hi in zip(bars, edges[:-1], edges[1:], strict=True):
        # integer bins are centred on their score; others hold [lo, hi)
        score = (lo + hi) / 2 if hi - lo == 1 else (max_points if hi >= max_points else lo)
        bar.set_facecolor(_score_color(score, max_points))
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
    fig = _figure(5.0, 2.9)
    ax = fig.subplots()
    totals = [s["total"] for s in summary["students"]]
    title = f"total (out of {summary['max_total']:g})"
    _hist(ax, totals, summary["max_total"], title)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.18, top=0.88)
    return fig


def parts_figure(summary: dict):
    """One histogram of the points per part, side by side."""
    parts = summary["parts"]
    cols = min(len(parts), 3)
    rows = math.ceil(len(parts) / cols)
    fig = _figure(3.2 * cols, 2.4 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, part in zip(axes, parts, strict=False):
        title = f"{part['grade_id']} (/{part['max_points']:g})"
        _hist(ax, part["scores"], part["max_points"], title)
    for ax in axes[len(parts) :]:
        ax.set_visible(False)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.92, wspace=0.3, hspace=0.7)
    return fig


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
        "mistakes in later parts are in the per-part tables below (each part is graded with "
        "the reference versions of the other parts it runs). Timeouts, crashes and shape "
        "errors are not here: see the operational failures.</p>"
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
            unread = sum(op["count"] for op in p["operational"])
            note = f" ({unread} operational failure(s): see below)" if unread else ""
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
    out.append("<h2>Operational failures: timeouts, crashes, shape errors</h2>")
    out.append(
        "<p class='ex'>Not mistakes to re-teach: the code did not run to a verdict. Each row "
        "is the part it hit; the student's message says what to fix.</p>"
    )
    if summary["operational"]:
        out.append(
            "<table class='operational'><tr><th>part</th><th>what</th><th class='num'>count"
            "</th><th>submissions</th><th>example</th></tr>"
        )
        for o in summary["operational"]:
            names = ", ".join(o["submissions"][:8]) + (" …" if len(o["submissions"]) > 8 else "")
            out.append(
                f"<tr><td>{e(o['grade_id'])}</td><td class='bad'>{e(o['label'])} "
                f"(<code>{e(o['code'])}</code>)</td><td class='num'>{o['count']}</td>"
                f"<td>{e(names)}</td><td class='ex'>{e(o['example'])}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>None: every graded part ran to a verdict.</p>")
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
