"""Grading results and the files they are written to: JSON per submission, grades.csv, Gradescope.

>>> part = PartResult("test_sum", points=1.0, max_points=2.0, status="partial", message="")
>>> report = SubmissionReport("source.ipynb", "alice.ipynb", {"test_sum": part})
>>> f"{report.total:.1f} / {report.max_total:.1f}", report.status
('1.0 / 2.0', 'graded')
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Statuses of a graded part.
PART_STATUSES = ("passed", "partial", "failed", "not attempted", "forbidden")


@dataclass
class PartResult:
    """One graded part (test cell): points earned out of ``max_points``, why, and how.

    ``code`` names the diagnosis for machines (empty when passed), so a class report counts
    codes, never message strings: a check's diagnosis (``checks.CODES``, e.g. ``transposed``,
    ``missing_batch_mean``, or a named mistake of the wrong-answer bank), what the student's
    code did (``timeout``, ``shape_error``, ``raised:TypeError``, ...), ``not_attempted``,
    ``forbidden``, ``partial_credit``, ``submission_timeout`` (the ``--submission-timeout``
    bound was used up), ``invalid_submission``, ``symlink_refused`` or ``grader_failed``.
    """

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str = ""
    code: str = ""
    #: it failed in a hidden test, after all its public tests had passed
    in_hidden: bool = False

    def __post_init__(self) -> None:
        if self.status not in PART_STATUSES:
            raise ValueError(f"status must be one of {PART_STATUSES}, got {self.status!r}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"points {self.points} outside [0, {self.max_points}]")


@dataclass
class SubmissionReport:
    """The grade of one submission.

    ``parts`` maps each test cell's ``grade_id`` to its :class:`PartResult`, in notebook order.
    ``status`` is ``"graded"``, ``"not attempted"`` (no part attempted) or ``"invalid"`` (the
    file is missing or not a notebook; every part scores 0). ``messages`` holds notes about the
    submission as a whole (missing answer cells, kernel restarts, ...).
    """

    source: str
    submission: str
    parts: dict[str, PartResult] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    invalid: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> float:
        """Points earned over all parts."""
        return float(sum(p.points for p in self.parts.values()))

    @property
    def max_total(self) -> float:
        """Points available over all parts."""
        return float(sum(p.max_points for p in self.parts.values()))

    @property
    def status(self) -> str:
        """``"invalid"``, ``"not attempted"`` or ``"graded"``."""
        if self.invalid:
            return "invalid"
        if self.parts and all(p.status == "not attempted" for p in self.parts.values()):
            return "not attempted"
        return "graded"

    def to_dict(self) -> dict:
        """Plain data for JSON: every field plus ``total``, ``max_total`` and ``status``."""
        return {
            "source": self.source,
            "submission": self.submission,
            "status": self.status,
            "total": self.total,
            "max_total": self.max_total,
            "parts": {gid: asdict(p) for gid, p in self.parts.items()},
            "messages": list(self.messages),
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        """A few readable lines: total, then one line per part with its message."""
        lines = [f"{self.submission}: {self.total:g} / {self.max_total:g} ({self.status})"]
        for p in self.parts.values():
            note = f": {p.message}" if p.message else ""
            lines.append(f"  {p.grade_id}: {p.points:g} / {p.max_points:g} {p.status}{note}")
        lines.extend(f"  note: {m}" for m in self.messages)
        return "\n".join(lines)


def failed_report(
    source, submission, parts, message: str, part_message: str = "", code: str = "grader_failed"
) -> SubmissionReport:
    """An ``"invalid"`` report scoring 0: ``message`` about the submission as a whole, and every
    part of ``parts`` (``(grade_id, points)`` pairs) failed with ``part_message`` (default:
    ``message``) and ``code`` (``"grader_failed"``, ``"invalid_submission"`` or
    ``"symlink_refused"``)."""
    report = SubmissionReport(str(source), str(submission), invalid=True, messages=[message])
    for gid, pts in parts:
        report.parts[gid] = PartResult(gid, 0.0, pts, "failed", part_message or message, code)
    return report


def write_json(report: SubmissionReport, path: str | Path) -> Path:
    """Write one submission's report as JSON (sorted keys, so reruns compare equal)."""
    path = Path(path)
    path.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text field for ``grades.csv`` that no spreadsheet runs as a formula.

    A submission's file name is chosen by a student, and Excel, LibreOffice and Google Sheets
    run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
    before one) as a formula: such a field gets a leading ``'``, which spreadsheets show as
    text. Scores are numbers and never pass through here.

    >>> csv_text("=1+2"), csv_text("@SUM(A1)"), csv_text("-2"), csv_text("alice")
    ("'=1+2", "'@SUM(A1)", "'-2", 'alice')
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(
    reports: list[tuple[str, SubmissionReport]], parts: list[str], path: str | Path
) -> Path:
    """Write ``grades.csv``: one row per submission, one column per part, then the total.

    ``reports`` pairs each submission's id (the row's first cell) with its report. Text fields
    go through :func:`csv_text` (no formulas) and the csv module quotes any field holding a
    comma, quote or line break, so every submission is exactly one row however its file is
    named.
    """
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        header = ["submission", "status", *parts, "total", "max_total"]
        writer.writerow([csv_text(h) for h in header])
        for name, report in reports:
            row = [csv_text(name), csv_text(report.status)]
            row += [f"{report.parts[g].points:g}" if g in report.parts else "0" for g in parts]
            row += [f"{report.total:g}", f"{report.max_total:g}"]
            writer.writerow(row)
    return path


#: Gradescope's visibility of a test: shown at once, or only once the grades are published.
VISIBLE, AFTER_PUBLISHED = "visible", "after_published"


def hidden_parts(source) -> frozenset[str]:
    """The ``grade_id`` of every test cell of ``source`` (a path or a notebook) that holds a
    ``### BEGIN HIDDEN TESTS`` region: Gradescope shows those parts only once grades are
    published. An unreadable source gives an empty set."""
    from backprop_course.grading.format import notebook as nbmod
    from backprop_course.grading.format import regions

    if isinstance(source, (str, Path)):
        try:
            source = nbmod.read_notebook(source)
        except nbmod.NotebookError:
            return frozenset()
    return frozenset(
        nbmod.grade_id(c)
        for c in source.get("cells", [])
        if nbmod.role(c) == "test"
        and regions.has_marker(c.source, regions.BEGIN_HIDDEN, regions.END_HIDDEN)
    )


def _output(part: PartResult) -> str:
    return f"{part.status}" + (f": {part.message}" if part.message else "")


def _public_box(part: PartResult) -> dict:
    """What a student may see of a part with hidden tests before publication: its public tests
    (passed unless one of them failed), for no points; its score waits for publication."""
    if part.status == "passed" or part.in_hidden:
        status, output = (
            "passed",
            "all public tests passed (the hidden tests are shown once the grades are published)",
        )
    elif part.status == "partial":
        status, output = (
            "failed",
            "partial credit (the details are shown once the grades are published)",
        )
    else:
        status, output = "failed", _output(part)
    return {
        "name": f"{part.grade_id} (public tests)",
        "score": 0.0,
        "max_score": 0.0,
        "status": status,
        "output": output,
        "visibility": VISIBLE,
    }


def gradescope_results(report: SubmissionReport, hidden=None) -> dict:
    """Gradescope's ``results.json`` content for one submission (score, tests per part).

    A part in ``hidden`` (grade ids; default: :func:`hidden_parts` of ``report.source``) holds
    hidden tests. It becomes two Gradescope tests, as otter-grader does: ``"<part> (public
    tests)"``, ``"visible"`` and worth no points, which says whether the public tests passed
    (with their message when one failed), and ``"<part>"``, ``"after_published"``, with the
    part's score and message, so neither is shown before the grades are published. The other
    parts are one ``"visible"`` test each. The grader's own stdout is never shown to students
    (``stdout_visibility: "hidden"``).

    >>> part = PartResult("test_sum", points=0.0, max_points=2.0, status="failed",
    ...                   message="sum raised ValueError (in a hidden test)", in_hidden=True)
    >>> data = gradescope_results(SubmissionReport("s.ipynb", "a.ipynb", {"test_sum": part}),
    ...                           hidden={"test_sum"})
    >>> [(t["name"], t["status"], t["visibility"]) for t in data["tests"]]
    [('test_sum (public tests)', 'passed', 'visible'), ('test_sum', 'failed', 'after_published')]
    """
    if hidden is None:
        hidden = hidden_parts(report.source)
    tests = []
    for p in report.parts.values():
        if p.grade_id in hidden:
            tests.append(_public_box(p))
        tests.append(
            {
                "name": p.grade_id,
                "score": p.points,
                "max_score": p.max_points,
                "status": "passed" if p.points == p.max_points else "failed",
                "output": _output(p),
                "visibility": AFTER_PUBLISHED if p.grade_id in hidden else VISIBLE,
            }
        )
    output = "\n".join(report.messages) if report.messages else report.status
    return {
        "score": report.total,
        "execution_time": round(report.seconds, 3),
        "output": output,
        "visibility": VISIBLE,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_gradescope(report: SubmissionReport, path: str | Path, hidden=None) -> Path:
    """Write :func:`gradescope_results` to ``path`` (parents created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gradescope_results(report, hidden)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
