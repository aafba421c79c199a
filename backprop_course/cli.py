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
    from backprop_course.grading.build import build_exercises

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


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``backprop-course`` (one subparser per command)."""
    parser = argparse.ArgumentParser(
        prog="backprop-course",
        description="Course tools: build exercises from solutions, grade and check notebooks.",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``backprop-course`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success, 1 a check failed, 2 bad input (message on stderr).
    """
    from backprop_course.grading.notebook import NotebookError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (NotebookError, ValueError, FileNotFoundError) as exc:
        print(f"backprop-course {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
