"""Grade one submission against its source notebook (``backprop-course grade``, ``check``).

Trust design (README.md, "For instructors", lists what it guarantees):

1. Everything but the student's answers comes from the *source*: cells, their order, test code,
   points, metadata. From the submission only the source of the code cells whose nbgrader
   ``grade_id`` names an answer cell of the source is taken; the submission file is only read.
2. The source's setup cells and the student's answer cells run, in notebook order, in a fresh,
   limited kernel (:class:`~backprop_course.grading.boundary.sandbox.Sandbox`).
3. Each test cell runs in the grader's process, in a namespace holding the setup cells' results
   (instructor code, run here too) and proxies for the answer names: calling one runs the
   student's function in the kernel with plain-data arguments and decodes its plain-data result.
4. A submission may have a wall-clock bound (``submission_timeout``, counted from when its
   kernel is ready): once it is used up, grading stops; the parts graded so far keep their
   points and the others score 0 with a message that says so (:data:`OUT_OF_TIME`).
5. A part is ``"not attempted"`` when it scores nothing and what failed is still the stub
   (``NotImplementedError``); ``"forbidden"`` when the answer it uses imports a module the
   notebook forbids.
"""

from __future__ import annotations

import builtins
import sys
import time
from pathlib import Path

from backprop_course.grading.boundary.sandbox import Outcome, Sandbox
from backprop_course.grading.boundary.session import (
    SETUP_TIMEOUT,
    Proxy,
    RemoteObject,
    Session,
    StudentError,
    Usage,
)
from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.format import regions
from backprop_course.grading.kernel import wire
from backprop_course.grading.results import PartResult, SubmissionReport, failed_report
from backprop_course.grading.scoring import references
from backprop_course.grading.scoring.answers import (
    Unanswered,
    answer_names,
    names_used,
    student_answers,
    syntax_error,
)
from backprop_course.grading.scoring.forbidden import forbidden_uses
from backprop_course.grading.scoring.in_notebook import ROWS_PROBE, STAND_IN
from backprop_course.grading.scoring.kernel_requests import RowsProbe, StandIn, public_only
from backprop_course.grading.scoring.testcell import run_setup, run_test

#: Default seconds per cell and per call of a student function.
DEFAULT_TIMEOUT = 10.0
#: Default seconds one submission may take in all (``--submission-timeout``; None: no bound).
DEFAULT_SUBMISSION_TIMEOUT = 300.0
#: The message of a part that was not graded because its submission used up its time bound.
OUT_OF_TIME = (
    "not graded: the submission used up its time bound of {bound:g} s (--submission-timeout) "
    "before this part finished; the parts graded before it keep their points"
)
#: Default megabytes a submission may allocate in its kernel.
DEFAULT_MEMORY_MB = 1024.0
#: Largest submission file read (bytes); outputs are never needed, so this is generous.
MAX_SUBMISSION_BYTES = 50_000_000


#: Modules answers may not use: the references that stand in for other parts during a test,
#: and the public tests' expected values with the code that computes them.
GRADER_ONLY = (
    references.__name__,
    "backprop_course.grading.scoring.expected",
    "backprop_course.grading.scoring.expected.make",
    "backprop_course.grading.scoring.expected.later",
)


class _Grader:
    """State of one grading run: the source, the student's answers, the kernel, the scores."""

    def __init__(self, source_nb, source_name: str, *, public_only: bool) -> None:
        self.nb = source_nb
        self.name = source_name
        self.public_only = public_only
        self.forbidden = (*nbmod.forbidden_modules(source_nb), *GRADER_ONLY)
        self.answer_of: dict[str, str] = {}  # answer name -> answer cell grade_id
        self.answer_state: dict[str, str] = {}  # answer grade_id -> "ok" | "not attempted" | ...
        self.forbidden_msg: dict[str, str] = {}
        self.namespace: dict = {"__name__": "__grading__", "__builtins__": builtins}
        self.last_answer: str | None = None
        self.answer_code: dict[str, str] = {}  # answer grade_id -> the student's code
        self.test_of: dict[str, str] = {}  # answer grade_id -> the test part graded after it
        self.failed_answers: dict[str, bool] = {}  # answer grade_id -> its test lost points

    # functions and kernel objects passed from a test to the student's code
    def refs(self, obj):
        if isinstance(obj, Proxy):
            return wire.Ref(obj._name)
        if isinstance(obj, RemoteObject):
            return obj._handle
        for name, value in self.namespace.items():
            if value is obj and not name.startswith("__"):
                return wire.Ref(name)
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
            target = sys.modules.get(module)
            for part in qualname.split("."):
                target = getattr(target, part, None)
            if target is obj:
                return wire.Ref(qualname, module)
        return None

    def grade(self, report: SubmissionReport, answers: dict[str, str], session: Session) -> None:
        session.refs = self.refs
        started = session.start()
        if not started.ok:
            report.messages.append(f"the kernel could not start: {started.describe()}")
        for index, cell in enumerate(self.nb.cells):
            if session.out_of_time or session.remaining() <= 0:
                session.out_of_time = True
                self._stop(report, self.nb.cells[index:], session)
                break
            cell_role = nbmod.role(cell)
            gid = nbmod.grade_id(cell)
            filename = f"<{self.name} cell {index}{f' {gid}' if gid else ''}>"
            if cell_role == "setup":
                outcome = session.run_cell(cell.source)
                if outcome.status in ("dead", "timeout"):
                    report.messages.append(f"setup cell {index} (kernel): {outcome.describe()}")
                error = run_setup(cell.source, self.namespace, filename)
                if error is not None:
                    report.messages.append(
                        f"setup cell {index} failed in the grader: {type(error).__name__}: {error}"
                    )
            elif cell_role == "answer":
                self._answer(report, cell, gid, answers, session)
            elif cell_role == "test":
                report.parts[gid] = self._test(cell, gid, filename, session)
                if self.last_answer is not None:
                    self.test_of.setdefault(self.last_answer, gid)
                    lost = report.parts[gid].points < report.parts[gid].max_points
                    self.failed_answers[self.last_answer] = lost
        if session.out_of_time:
            message = OUT_OF_TIME.format(bound=session.budget)
            cut = sum(p.message == message for p in report.parts.values())
            report.messages.append(
                f"grading stopped at the submission's time bound of {session.budget:g} s "
                f"(--submission-timeout): {cut} part(s) not graded"
            )

    def _stop(self, report, cells, session) -> None:
        """The time bound is used up: every part not graded yet scores 0 and says why."""
        message = OUT_OF_TIME.format(bound=session.budget)
        lost = [
            (gid, nbmod.points(c))
            for c in cells
            if nbmod.role(c) == "test" and (gid := nbmod.grade_id(c)) not in report.parts
        ]
        for gid, pts in lost:
            report.parts[gid] = PartResult(gid, 0.0, pts, "failed", message, "submission_timeout")

    def _answer(self, report, cell, gid, answers, session) -> None:
        self.last_answer = gid
        names = answer_names(cell.source)
        for name in names:
            self.answer_of[name] = gid
        code = answers.get(gid)
        self.answer_code[gid] = code or ""
        if code is None:
            outcome = Outcome("error", "NameError", f"answer cell {gid!r} is missing")
            report.messages.append(
                f"answer cell {gid!r} is missing from the submission (deleted, or its nbgrader "
                "grade_id was changed); the parts that use it score 0"
            )
            self.answer_state[gid] = "missing"
            for name in names:
                self.namespace[name] = Unanswered(name, outcome)
            return
        used = forbidden_uses(code, self.forbidden)
        if used:
            self.forbidden_msg[gid] = (
                f"answer {gid!r} uses {', '.join(used)}, the course's own implementation of what "
                "this exercise asks you to write; parts that use it get no points"
            )
            report.messages.append(self.forbidden_msg[gid])
        outcome = session.run_cell(code, answer_id=gid)
        if outcome.status == "error" and outcome.ename in ("SyntaxError", "IndentationError"):
            where = syntax_error(code, gid)  # in the cell's lines, not IPython's temporary file
            if where is not None:
                outcome = Outcome("error", outcome.ename, where)
        stub = code.strip() == regions.replace_solutions(cell.source).strip()
        if stub or (outcome.status == "error" and outcome.ename == "NotImplementedError"):
            self.answer_state[gid] = "not attempted"
        else:
            self.answer_state[gid] = "ok" if outcome.ok else "error"
            if not outcome.ok:
                report.messages.append(f"answer cell {gid!r}: {outcome.describe()}")
        # an answer cell that hangs or kills its kernel answers nothing (replays skip it)
        hung = outcome.status in ("timeout", "dead")
        kinds = session.describe(names) if session.sandbox.alive and not hung else {}
        for name in names:
            kind = kinds.get(name, ("missing",))
            if kind[0] == "callable":
                self.namespace[name] = Proxy(session, name)
            elif kind[0] == "value":
                self.namespace[name] = kind[1]
            else:
                reason = (
                    outcome
                    if not outcome.ok
                    else Outcome("error", "NameError", f"your answer cell does not define {name}")
                )
                self.namespace[name] = Unanswered(name, reason)

    def _test(self, cell, gid, filename, session) -> PartResult:
        max_points = nbmod.points(cell)
        source = public_only(cell.source) if self.public_only else cell.source
        session.usage = Usage()
        standing_in: set[str] = set()
        probe = RowsProbe(session)
        token, probing = STAND_IN.set(StandIn(session, standing_in)), ROWS_PROBE.set(probe)
        try:
            result = run_test(source, self.namespace, max_points, filename)
        finally:
            STAND_IN.reset(token)
            ROWS_PROBE.reset(probing)
            if (standing_in or probe.defined) and session.sandbox.alive:
                session._run(references.RESTORE_CODE, SETUP_TIMEOUT)
        usage = session.usage
        used = (names_used(source) | usage.names) - standing_in
        answers = {self.answer_of[n] for n in used if n in self.answer_of}
        error = result.error
        forbidden = [self.forbidden_msg[a] for a in sorted(answers) if a in self.forbidden_msg]
        if isinstance(error, StudentError) and error.forbidden:
            forbidden.append(error.outcome.evalue)
        if forbidden:
            return PartResult(gid, 0.0, max_points, "forbidden", forbidden[0], "forbidden")
        if usage.out_of_time:  # cut short: what it scored so far is not a grade
            message = OUT_OF_TIME.format(bound=session.budget)
            return PartResult(gid, 0.0, max_points, "failed", message, "submission_timeout")
        if result.score >= max_points and error is None:
            return PartResult(gid, max_points, max_points, "passed", "")
        if result.score > 0:
            message = self._blame(error, standing_in) + result.message
            return PartResult(gid, result.score, max_points, "partial", message, result.code)
        stubbed = (isinstance(error, StudentError) and error.not_attempted) or (
            answers and all(self.answer_state.get(a) == "not attempted" for a in answers)
        )
        if isinstance(error, NameError) and not isinstance(error, StudentError):
            # a name only the (unknown) solution would define: in ``check`` mode the source is
            # the student's own notebook, whose stub defines nothing
            stubbed = stubbed or self.answer_state.get(self.last_answer) == "not attempted"
        if stubbed and not any(not e.not_attempted for e in usage.errors):
            return PartResult(
                gid, 0.0, max_points, "not attempted", "not attempted yet", "not_attempted"
            )
        message = result.message or "scored 0"
        code = result.code or "scored_zero"
        message = self._blame(error, standing_in) + message
        return PartResult(gid, 0.0, max_points, "failed", message, code, result.in_hidden)

    def _blame(self, error, standing_in: set[str]) -> str:
        """When a failed part runs another part that fails its own test, say so and name it:
        the test called that part directly, or this part's answer calls it (and the test did
        not put in its reference version)."""
        own = self.last_answer
        other = self.answer_of.get(getattr(error, "answer", None))
        if isinstance(error, StudentError) and other not in (None, own):
            part = self.test_of.get(other, other)
            return f"fails because of part {part!r} ({error.answer}), which it runs: "
        called = names_used(self.answer_code.get(own, "")) - standing_in
        broken = sorted(
            {
                (self.test_of[self.answer_of[n]], n)
                for n in called
                if self.answer_of.get(n) not in (None, own)
                and self.answer_of[n] in self.test_of
                and self.failed_answers.get(self.answer_of[n])
            }
        )
        if not broken:
            return ""
        names = ", ".join(f"{name} (part {part!r})" for part, name in broken)
        return (
            f"this part runs your {names}, which fails its own test: it may fail only because "
            "of that, so fix that part first; "
        )


def _load_source(source: str | Path):
    nb = nbmod.read_notebook(source)
    nbmod.validate(nb, str(source))
    return nb


def grade_submission(
    source: str | Path,
    submission: str | Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: float = DEFAULT_MEMORY_MB,
    submission_timeout: float | None = DEFAULT_SUBMISSION_TIMEOUT,
    public_only: bool = False,
    _source_nb=None,
    _sandbox: Sandbox | None = None,
) -> SubmissionReport:
    """Grade ``submission`` against the tests of ``source``; never raises for a bad submission.

    Parameters
    ----------
    source : path
        The solution notebook (nbgrader format) whose tests, points and setup are used.
    submission : path
        A student's notebook; only its answer cells are used (matched by ``grade_id``). A
        missing or corrupt file gives an ``"invalid"`` report scoring 0.
    timeout : float
        Seconds each cell and each call of a student function may run.
    memory_mb : float
        Megabytes the student's code may allocate (the kernel's address space is capped).
    submission_timeout : float or None
        Wall-clock seconds the whole submission may take once its kernel is ready (None: no
        bound). When they are used up grading stops: parts graded so far keep their points,
        the rest score 0 with a message saying so.
    public_only : bool
        Run only the public tests (hidden test regions removed), as ``check`` does.

    Returns
    -------
    SubmissionReport
        ``.parts[grade_id]`` -> ``PartResult(points, max_points, status, message)``,
        ``.total``, ``.max_total``, ``.status``.

    Raises
    ------
    NotebookError
        When the *source* is unreadable or breaks the nbgrader conventions.

    Examples
    --------
    >>> grade_submission("no/such/source.ipynb", "alice.ipynb")
    Traceback (most recent call last):
    ...
    backprop_course.grading.format.notebook.NotebookError: no/such/source.ipynb: file not found
    """
    started = time.perf_counter()
    if submission_timeout is not None and not submission_timeout > 0:
        raise ValueError(
            "submission_timeout must be a positive number of seconds (or None for no bound), "
            f"got {submission_timeout!r}"
        )
    source_nb = _source_nb if _source_nb is not None else _load_source(source)
    grader = _Grader(source_nb, Path(source).name, public_only=public_only)
    # built (not started) before anything is read: it refuses a nonpositive timeout or memory_mb
    sandbox = _sandbox or Sandbox(
        timeout=timeout, memory_mb=memory_mb, forbidden=grader.forbidden, protected=(str(source),)
    )
    try:
        path = Path(submission)
        if path.is_symlink():  # never followed: it could name the solution or a classmate's file
            raise nbmod.SymlinkRefused(nbmod.symlink_refusal(path))
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_SUBMISSION_BYTES:
            raise nbmod.NotebookError(
                f"{submission}: {size / 1e6:.0f} MB is more than the "
                f"{MAX_SUBMISSION_BYTES / 1e6:.0f} MB a submission may have"
            )
        sub = nbmod.read_notebook(submission, follow_symlinks=False)
    except nbmod.NotebookError as exc:
        parts = nbmod.graded_parts(source_nb)
        link = isinstance(exc, nbmod.SymlinkRefused)
        why = "refused: a symbolic link" if link else "not readable"
        code = "symlink_refused" if link else "invalid_submission"
        report = failed_report(source, submission, parts, str(exc), f"submission {why}", code)
        report.seconds = time.perf_counter() - started
        return report
    report = SubmissionReport(str(source), str(submission))
    answer_ids = {nbmod.grade_id(c) for c in source_nb.cells if nbmod.role(c) == "answer"}
    answers, notes = student_answers(sub, answer_ids)
    report.messages.extend(notes)
    session = Session(sandbox, budget=submission_timeout)
    try:
        grader.grade(report, answers, session)
    finally:
        session.close()
    if session.restarts:
        report.messages.append(
            f"the kernel was restarted {session.restarts} time(s) after it died or hung"
        )
    report.messages.extend(session.notes)
    report.seconds = time.perf_counter() - started
    return report


def __getattr__(name: str):
    # ``check`` is ``grade`` of a notebook against itself, in its own module (check.py imports
    # this one, so it is found on first use)
    if name == "check_notebook":
        from backprop_course.grading.check import check_notebook

        return check_notebook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
