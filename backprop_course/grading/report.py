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

import csv
import json
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
#: Codes of operational failures: the code did not run to a verdict (timed out, crashed,
#: numpy refused its shapes, the file was unreadable). Nothing to re-teach from the count
#: alone: the report lists them in their own section, with the part they hit.
OPERATIONAL = (
    "timeout",
    "kernel_died",
    "shape_error",
    "submission_timeout",
    "invalid_submission",
    "symlink_refused",
    "grader_failed",
)
#: Codes that are not a mistake in the answer: counted in their own sections of the report.
NOT_MISTAKES = ("not_attempted", *OPERATIONAL)


def operational(code: str) -> bool:
    """Whether ``code`` is an operational failure (also: the student's code raised).

    >>> operational("timeout"), operational("raised:TypeError"), operational("transposed")
    (True, True, False)
    """
    return code in OPERATIONAL or code.startswith("raised:")


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

    >>> short_message("dW looks transposed (at line 3 of the test)")
    'dW looks transposed'
    >>> short_message("x" * 200, limit=10)
    'xxxxxxxxx…'
    """
    text = re.sub(r"^[A-Z]\w*(Error|Failed|Exception|Exit|Interrupt): ", "", message.strip())
    text = re.sub(r" \((at line \d+[^)]*|in a hidden test)\)?.*$", "", text, flags=re.S)
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


def summarise(folder: str | Path) -> dict:
    """The numbers the report shows, as plain data (the page embeds them as JSON).

    Keys: ``source``, ``n`` (submissions), ``max_total``, ``parts`` (per part: ``grade_id``,
    ``max_points``, ``mean``, ``scores``, ``outcomes`` (count per status), ``hidden_only``
    (how many failed after passing every public test), ``mistakes`` (per code, most frequent
    first: ``code``, ``label``, ``count``, ``share`` of the class,
    ``after_earlier_failure`` (how many of them failed a part above too), ``example``,
    ``submissions``)), ``not_attempted`` (parts, most often not attempted first),
    ``run_failures`` (submissions that timed out or failed to run), ``operational`` (per part
    and code, the operational failures: timeouts, crashes, shape errors; also per part),
    ``reteach`` (mistakes of
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
            if code not in NOT_MISTAKES and not operational(code)
        ]
        ops = [
            {
                "grade_id": gid,
                "code": code,
                "label": code_label(code),
                "count": len(names),
                "share": len(names) / n,
                "example": short_message(messages[code].most_common(1)[0][0]),
                "submissions": names,
            }
            for code, names in sorted(by_code.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            if operational(code) and code != "invalid_submission"
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
                "operational": ops,
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
        "operational": sorted(
            (o for p in summary_parts for o in p["operational"]),
            key=lambda o: (-o["count"], parts.index(o["grade_id"]), o["code"]),
        ),
        "reteach": reteach[:6],
        "students": students,
        "edited_in_csv": edited,
    }


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
    from backprop_course.grading.report_page import render_html

    page = render_html(summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
