"""Grade many submissions in parallel and write the class's results (``backprop-course grade``).

Each worker process grades one submission at a time and launches the kernel for its next
submission before returning, so kernel start-up overlaps with grading. A submission that crashes,
hangs or is not a notebook scores 0 where it failed and the batch goes on; even a worker process
that dies only costs the submission it was grading. Submissions are only read.

Outputs in ``out_dir``: ``grades.csv`` (one row per submission, one column per graded part, the
total), ``<id>.json`` per submission and, with ``gradescope=True``,
``gradescope/<id>/results.json`` (plus ``results.json`` when there is a single submission, the
path Gradescope's autograder reads).
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.util
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import nbformat

from backprop_course.grading.boundary.sandbox import Sandbox
from backprop_course.grading.format import mangled
from backprop_course.grading.format import notebook as nbmod
from backprop_course.grading.grade import (
    DEFAULT_MEMORY_MB,
    DEFAULT_SUBMISSION_TIMEOUT,
    DEFAULT_TIMEOUT,
    grade_submission,
)
from backprop_course.grading.results import (
    SubmissionReport,
    failed_report,
    write_csv,
    write_gradescope,
    write_json,
)

# the next kernel of this worker process, launched while the current submission was graded
_spare: Sandbox | None = None


def _grade_one(
    source: str,
    source_text: str,
    submission: str,
    timeout: float,
    memory_mb: float,
    submission_timeout: float | None,
    protected: tuple[str, ...],
    pipeline,
):
    """Grade one submission in a worker, launching the worker's next kernel first.

    The source arrives as text read once before grading began, so nothing a submission's code
    writes to the source file on disk can change how the others are graded. ``protected``
    (the source and every submission of the batch) is hidden from the kernel.
    """
    global _spare
    source_nb = nbformat.reads(source_text, as_version=4)
    forbidden = nbmod.forbidden_modules(source_nb)
    new_sandbox = functools.partial(
        Sandbox, timeout=timeout, memory_mb=memory_mb, forbidden=forbidden, protected=protected
    )
    sandbox, _spare = _spare, None
    if sandbox is None:
        sandbox = new_sandbox()
        multiprocessing.util.Finalize(None, _close_spare, exitpriority=10)
    if pipeline:  # the next submission's kernel boots while this one is graded
        _spare = new_sandbox()
        _spare.launch()
    folder = tempfile.TemporaryDirectory(prefix="backprop-course-repaired-")
    try:
        graded, notes = mangled.repaired_copy(source_nb, submission, folder.name)
        report = grade_submission(
            source,
            graded,
            timeout=timeout,
            memory_mb=memory_mb,
            submission_timeout=submission_timeout,
            _source_nb=source_nb,
            _sandbox=sandbox,
        )
        report.submission = str(submission)
        report.messages[:0] = notes
    except Exception as exc:  # a grader bug must not stop the class's batch
        parts = nbmod.graded_parts(source_nb)
        report = failed_report(
            source, submission, parts, f"the grader failed: {type(exc).__name__}: {exc}"
        )
    finally:
        sandbox.close()
        folder.cleanup()
    return report


def _close_spare() -> None:
    global _spare
    if _spare is not None:
        _spare.close()
        _spare = None


def submission_ids(submissions: list[Path]) -> list[str]:
    """Short unique names for report files: the file stem, made unique with its folder.

    >>> submission_ids([Path("a/hw.ipynb"), Path("b/hw.ipynb"), Path("carol.ipynb")])
    ['a_hw', 'b_hw', 'carol']
    """
    stems = [p.stem for p in submissions]
    ids = []
    for path, stem in zip(submissions, stems, strict=True):
        name = stem if stems.count(stem) == 1 else f"{path.parent.name}_{stem}"
        ids.append(name)
    seen: dict[str, int] = {}
    unique = []
    for name in ids:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def grade_batch(
    source: str | Path,
    submissions,
    out_dir: str | Path,
    *,
    jobs: int | None = None,
    gradescope: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: float = DEFAULT_MEMORY_MB,
    submission_timeout: float | None = DEFAULT_SUBMISSION_TIMEOUT,
    progress: bool = True,
    overwrite: bool = False,
) -> list[SubmissionReport]:
    """Grade every submission against ``source`` and write the results to ``out_dir``.

    Parameters
    ----------
    source : path
        The solution notebook; validated first (a bad source raises before any grading).
    submissions : iterable of paths
        Students' notebooks, graded in parallel; missing or corrupt ones score 0.
    out_dir : path
        Created if needed; receives ``grades.csv``, ``<id>.json`` and Gradescope files.
    jobs : int, optional
        Worker processes (default: the number of cores).
    gradescope : bool
        Also write Gradescope's ``results.json`` format.
    timeout, memory_mb : float
        Per-cell time limit and memory allowance of each submission's kernel.
    submission_timeout : float or None
        Wall-clock seconds each submission may take once its kernel is ready (None: no
        bound); a submission that uses them up keeps the parts graded so far, the rest score
        0 with a message, and the batch goes on.
    progress : bool
        Print one line per finished submission on stderr.
    overwrite : bool
        Replace the results of an earlier run in ``out_dir``. Without it, an ``out_dir`` that
        already holds a ``grades.csv`` is refused before anything is graded, so grades an
        instructor edited by hand are never lost.

    Returns
    -------
    list of SubmissionReport
        In the order of ``submissions``.

    Examples
    --------
    >>> grade_batch("no/such/source.ipynb", [], "out")
    Traceback (most recent call last):
    ...
    backprop_course.grading.format.notebook.NotebookError: no/such/source.ipynb: file not found
    """
    source_nb = nbmod.read_notebook(source)
    nbmod.validate(source_nb, str(source))
    subs = [Path(s) for s in submissions]
    if jobs is None:
        jobs = os.cpu_count() or 1
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive number of worker processes, got {jobs!r}")
    if not timeout > 0 or not memory_mb > 0:
        raise ValueError(f"timeout and memory_mb must be positive, got {timeout!r}, {memory_mb!r}")
    if submission_timeout is not None and not submission_timeout > 0:
        raise ValueError(
            "submission_timeout must be a positive number of seconds (or None for no bound), "
            f"got {submission_timeout!r}"
        )
    out_dir = Path(out_dir)
    if (out_dir / "grades.csv").exists() and not overwrite:
        raise FileExistsError(
            f"{out_dir / 'grades.csv'} already exists from an earlier run; choose another "
            "output folder or pass --overwrite to replace its results"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = submission_ids(subs)
    parts = nbmod.graded_parts(source_nb)
    reports: list[SubmissionReport | None] = [None] * len(subs)
    started = time.perf_counter()

    def finished(i: int, report: SubmissionReport) -> None:
        reports[i] = report
        write_json(report, out_dir / f"{ids[i]}.json")
        if gradescope:
            write_gradescope(report, out_dir / "gradescope" / ids[i] / "results.json")
        if progress:
            done = sum(r is not None for r in reports)
            print(
                f"[{done}/{len(subs)}] {subs[i]}: {report.total:g}/{report.max_total:g} "
                f"{report.status} ({report.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    text = nbformat.writes(source_nb)
    # no kernel may read the source or any classmate's notebook (the audit hook refuses every
    # .ipynb; Landlock, where the system has it, hides these files below the hook too)
    # a submission that is a symbolic link is refused unread; its target is never protected
    # (a link to /usr would hide the interpreter from every kernel of the class)
    protected = (str(source), *(str(s) for s in subs if not s.is_symlink()))
    bound = None if submission_timeout is None else float(submission_timeout)
    args = [
        (str(source), text, str(s), float(timeout), float(memory_mb), bound, protected)
        for s in subs
    ]
    workers = min(jobs, len(subs))
    if workers <= 1:
        for i, a in enumerate(args):
            finished(i, _grade_one(*a, pipeline=i + 1 < len(args)))
        _close_spare()
    else:
        # fork is fastest (workers inherit the imports) but only safe without other threads;
        # otherwise (a pytest-xdist worker, a Jupyter kernel) fork from a clean forkserver
        methods = multiprocessing.get_all_start_methods()
        method = "fork" if threading.active_count() == 1 else "forkserver"
        context = multiprocessing.get_context(method if method in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["backprop_course.grading.batch"])

        def run_pool(indices: list[int], size: int, pipeline: bool) -> list[int]:
            """Grade ``indices`` in a pool; return those lost because a worker died."""
            lost = []
            with ProcessPoolExecutor(max_workers=size, mp_context=context) as pool:
                futures = {pool.submit(_grade_one, *args[i], pipeline): i for i in indices}
                for future in as_completed(futures):
                    i = futures[future]
                    try:
                        finished(i, future.result())
                    except BrokenProcessPool:
                        lost.append(i)
                    except Exception as exc:
                        message = f"the grader failed: {type(exc).__name__}: {exc}"
                        finished(i, failed_report(source, subs[i], parts, message))
            return sorted(lost)

        # a submission's code can kill its worker (its kernel's parent), which breaks the
        # pool for every submission in flight: retry those once, then alone, so only the
        # culprit loses its points
        pending = run_pool(list(range(len(subs))), workers, True)
        if pending:
            pending = run_pool(pending, workers, True)
        for i in pending:
            if run_pool([i], 1, False):
                message = "the grading process was killed while grading this submission"
                finished(i, failed_report(source, subs[i], parts, message))
    final = [r for r in reports if r is not None]
    write_csv(list(zip(ids, final, strict=True)), [gid for gid, _ in parts], out_dir / "grades.csv")
    if gradescope and len(final) == 1:
        write_gradescope(final[0], out_dir / "results.json")
    if progress:
        elapsed = time.perf_counter() - started
        rate = 60 * len(subs) / elapsed if elapsed > 0 else 0.0
        print(
            f"graded {len(subs)} submission(s) in {elapsed:.1f} s ({rate:.0f}/min, {workers} "
            f"worker(s)); results in {out_dir}",
            file=sys.stderr,
        )
    return final
