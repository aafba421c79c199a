"""The ``backprop-course`` command: thin wrappers over library functions.

Each subcommand parses its options and calls one function of the package with keyword
arguments; everything worth testing lives in the library.

>>> main(["build-exercises", "--solutions", "no/such/folder"])
2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _build_exercises(args: argparse.Namespace) -> int:
    from backprop_course.grading.format.build import build_exercises

    result = build_exercises(args.solutions, args.exercises, check=args.check)
    for path in result.stale:
        state = "stale" if path.exists() else "missing"
        print(f"{state}: {path}", file=sys.stderr)
    for path in result.orphans:
        print(f"no solution for: {path}", file=sys.stderr)
    if args.check:
        if result.ok:
            print(f"{len(result.unchanged)} exercises up to date")
            return 0
        print(
            f"{len(result.stale) + len(result.orphans)} exercise(s) out of date: run "
            "`backprop-course build-exercises`",
            file=sys.stderr,
        )
        return 1
    for path in result.written:
        print(f"wrote {path}")
    print(f"{len(result.written)} written, {len(result.unchanged)} unchanged")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from backprop_course.grading.batch import grade_batch

    reports = grade_batch(
        args.source,
        args.submissions,
        args.out,
        jobs=args.jobs,
        gradescope=args.gradescope,
        timeout=args.timeout,
        memory_mb=args.memory_mb,
        submission_timeout=args.submission_timeout,
        progress=not args.quiet,
        overwrite=args.overwrite,
    )
    print(f"{len(reports)} submission(s) graded; see {args.out / 'grades.csv'}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from backprop_course.grading.report import write_report

    path = write_report(args.folder, args.out, overwrite=args.overwrite)
    print(f"wrote {path}")
    return 0


def _gradescope_autograder(args: argparse.Namespace) -> int:
    from backprop_course.grading.gradescope import build_autograder

    path = build_autograder(args.source, args.out, overwrite=args.overwrite)
    print(f"wrote {path}: upload it as the assignment's autograder on Gradescope")
    return 0


def _check(args: argparse.Namespace) -> int:
    from backprop_course.grading.check import check_notebook

    report = check_notebook(args.notebook, timeout=args.timeout, memory_mb=args.memory_mb)
    print(report.summary())
    return 0 if report.total == report.max_total else 1


def _lab(args: argparse.Namespace) -> int:
    import subprocess

    folder = args.folder or _lectures_folder()
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}", *args.lab_args]
    print(f"opening JupyterLab on {folder}", file=sys.stderr)
    return subprocess.call(cmd)


def _lectures_folder() -> Path:
    """The course's lectures/ folder: next to the package (a source checkout) or the cwd."""
    here = Path(__file__).resolve().parent.parent / "lectures"
    cwd_lectures = Path.cwd() / "lectures"
    for candidate in (cwd_lectures, here):
        if candidate.is_dir():
            return candidate
    return Path.cwd()


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``backprop-course`` (one subparser per command)."""
    parser = argparse.ArgumentParser(
        prog="backprop-course",
        description=(
            "Course tools: build exercises from solutions, grade and check notebooks, "
            "report on a class."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "build-exercises",
        help="write exercises/ from solutions/ (solutions stubbed, hidden tests removed)",
    )
    p.add_argument("--solutions", type=Path, default=Path("solutions"), metavar="DIR")
    p.add_argument("--exercises", type=Path, default=Path("exercises"), metavar="DIR")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming each stale or missing exercise",
    )
    p.set_defaults(run=_build_exercises)

    from backprop_course.grading.grade import (
        DEFAULT_MEMORY_MB,
        DEFAULT_SUBMISSION_TIMEOUT,
        DEFAULT_TIMEOUT,
    )

    def limits(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--timeout",
            type=_positive(float),
            default=DEFAULT_TIMEOUT,
            metavar="S",
            help=f"seconds per cell and per student function call (default {DEFAULT_TIMEOUT:g})",
        )
        p.add_argument(
            "--memory-mb",
            type=_positive(float),
            default=DEFAULT_MEMORY_MB,
            metavar="M",
            help=f"megabytes a submission may allocate (default {DEFAULT_MEMORY_MB:g})",
        )

    p = sub.add_parser("grade", help="grade submitted notebooks against a source notebook")
    p.add_argument("source", type=Path, help="the solution notebook (tests, points, setup)")
    p.add_argument("submissions", type=Path, nargs="+", metavar="SUBMISSION")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for results")
    p.add_argument(
        "--jobs", type=_positive(int), default=None, metavar="N", help="parallel workers (cores)"
    )
    p.add_argument("--gradescope", action="store_true", help="also write results.json files")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results of an earlier run in --out (refused otherwise)",
    )
    limits(p)
    p.add_argument(
        "--submission-timeout",
        type=_positive(float),
        default=DEFAULT_SUBMISSION_TIMEOUT,
        metavar="S",
        help="wall-clock seconds each submission may take in all, from when its kernel is "
        "ready; then its remaining parts score 0 and the batch goes on "
        f"(default {DEFAULT_SUBMISSION_TIMEOUT:g})",
    )
    p.set_defaults(run=_grade)

    p = sub.add_parser(
        "report", help="write an HTML class report (scores, frequent mistakes) of a grade run"
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="the --out folder of `grade`")
    p.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="default: DIR/report.html"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing report (refused otherwise)"
    )
    p.set_defaults(run=_report)

    p = sub.add_parser(
        "gradescope-autograder",
        help="write a Gradescope autograder zip (setup.sh, run_autograder) for one solution",
    )
    p.add_argument("source", type=Path, help="the solution notebook (tests, points, setup)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="the zip to write")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out (refused otherwise)"
    )
    p.set_defaults(run=_gradescope_autograder)

    p = sub.add_parser("check", help="run the public tests of your notebook and see your score")
    p.add_argument("notebook", type=Path, metavar="EXERCISE.ipynb")
    limits(p)
    p.set_defaults(run=_check)

    p = sub.add_parser("lab", help="open JupyterLab on the course's lectures")
    p.add_argument("folder", type=Path, nargs="?", default=None, help="default: lectures/")
    p.add_argument("lab_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    p.set_defaults(run=_lab)

    from backprop_course.site import add_site_command

    add_site_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``backprop-course`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success, 1 a check failed, 2 bad input (message on stderr).
    """
    from backprop_course.grading.format.notebook import NotebookError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (NotebookError, ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"backprop-course {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
