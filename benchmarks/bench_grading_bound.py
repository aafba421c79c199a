"""How long does a class of slow submissions take to grade, with and without the time bound?

Usage (from the repository root)::

    python benchmarks/bench_grading_bound.py            # about 4 minutes on 2 cores
    python benchmarks/bench_grading_bound.py --quick    # 6 submissions: a smoke run

A class of 30 submissions whose functions are all correct but sleep just under the per-call
timeout (0.9 s of 1 s) is graded by one ``backprop-course grade --jobs 2`` command in a fresh
process (start-up included, as an instructor runs it), once with ``--submission-timeout 3`` and
once without a bound that matters (``--submission-timeout 1e9``: longer than any run). The
exercise has one quick part and three slow parts that call their function three times each;
no per-call timeout ever fires, so only the bound can stop such a submission. We report the
wall time, the time per submission and the points kept (read back from ``grades.csv``).

Writes ``benchmarks/results/grading_bound.{md,json}``. Not run by the test suite: the
behaviour is tested (``tests/test_grader_bounds.py``), the timings live here.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_timing import LoadMonitor, machine_info  # noqa: E402

#: Seconds per cell and per call (``--timeout``), and what each slow call sleeps.
PER_CALL_TIMEOUT = 1
SLEEP = 0.9
#: ``--submission-timeout`` of the bounded run; the unbounded run's is longer than any run.
BOUND = 3
NO_BOUND = 1e9
#: Slow parts and calls of the slow function in each.
SLOW_PARTS, CALLS = 3, 3


def _cell(kind: str, gid: str, source: str):
    import nbformat

    if kind == "answer":
        meta = {"solution": True, "grade": False, "grade_id": gid}
    else:
        meta = {"solution": False, "grade": True, "grade_id": gid, "points": 1}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def write_class(folder: Path, n: int) -> tuple[Path, list[Path]]:
    """The source notebook and ``n`` correct submissions whose ``slope`` sleeps SLEEP s."""
    import nbformat

    cells = [
        nbformat.v4.new_code_cell("import time\nimport numpy as np"),
        _cell(
            "answer",
            "mean",
            "def mean(x):\n    ### BEGIN SOLUTION\n    return float(np.mean(x))\n"
            "    ### END SOLUTION",
        ),
        _cell("test", "test_mean", "assert mean([1.0, 2.0, 3.0]) == 2.0, 'the mean is wrong'"),
        _cell(
            "answer",
            "slope",
            "def slope(x, y):\n    ### BEGIN SOLUTION\n"
            "    return float(np.polyfit(x, y, 1)[0])\n    ### END SOLUTION",
        ),
    ]
    for part in range(SLOW_PARTS):
        test = (
            f"for k in range({CALLS}):\n"
            f"    got = slope([0.0, 1.0, 2.0], [0.0, k + {part}, 2.0 * (k + {part})])\n"
            f"    assert abs(got - (k + {part})) < 1e-9, 'the slope is wrong'"
        )
        cells.append(_cell("test", f"test_slope_{part}", test))
    source = folder / "source.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), source)
    slow = nbformat.read(source, as_version=4)
    slow.cells[3].source = (
        f"def slope(x, y):\n    time.sleep({SLEEP})  # correct, but just under the timeout\n"
        "    return float(np.polyfit(x, y, 1)[0])"
    )
    subs = []
    for k in range(n):
        path = folder / f"student{k:02d}.ipynb"
        nbformat.write(slow, path)
        subs.append(path)
    return source, subs


def grade_class(source: Path, subs: list[Path], out: Path, bound: float, jobs: int) -> dict:
    """One ``backprop-course grade`` command in a fresh process; wall time and scores."""
    cmd = [sys.executable, "-m", "backprop_course.cli", "grade", str(source), *map(str, subs)]
    cmd += ["--out", str(out), "--jobs", str(jobs), "--quiet"]
    cmd += ["--timeout", str(PER_CALL_TIMEOUT), "--submission-timeout", f"{bound:g}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    totals = [float(r["total"]) for r in rows]
    seconds = [json.loads((out / f"{s.stem}.json").read_text())["seconds"] for s in subs]
    return {
        "submission_timeout": bound,
        "jobs": jobs,
        "submissions": len(subs),
        "wall_s": wall,
        "per_submission_s": wall * jobs / len(subs),
        "grading_s_max": max(seconds),
        "grading_s_median": sorted(seconds)[len(seconds) // 2],
        "totals": sorted(set(totals)),
        "max_total": float(rows[0]["max_total"]),
    }


def report(results: dict) -> str:
    runs = results["runs"]
    load = results["load"]
    lines = [
        "# Grading a class of slow submissions, with and without `--submission-timeout`",
        "",
        f"Generated by `python benchmarks/bench_grading_bound.py` on {results['date']} "
        f"in {results['seconds']:.0f} s. Machine: {results['machine'].get('cpu', '?')}, "
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}. "
        f"Load average (1 min) during the run: min {load['load1_min']:.2f}, median "
        f"{load['load1_median']:.2f}, max {load['load1_max']:.2f}.",
        "",
        f"{runs[0]['submissions']} correct submissions whose function `slope` sleeps {SLEEP} s "
        f"per call, just under the per-call timeout (`--timeout {PER_CALL_TIMEOUT}`); one quick "
        f"part (1 point), then {SLOW_PARTS} parts (1 point each) that call `slope` {CALLS} "
        "times. Graded by one `backprop-course grade --jobs 2` command per row (a fresh "
        "process, start-up included). Without a bound every submission is eventually graded "
        "in full; with it, each stops at the bound, keeps the parts it finished, and the batch "
        "moves on.",
        "",
        "| `--submission-timeout` | wall | per submission (wall x workers / n) | longest "
        "submission (its JSON `seconds`) | points per submission |",
        "|---|---|---|---|---|",
    ]
    for r in runs:
        limit = r["submission_timeout"]
        bound = "none (1e9)" if limit >= NO_BOUND else f"{limit:g} s"
        points = ", ".join(f"{t:g}/{r['max_total']:g}" for t in r["totals"])
        lines.append(
            f"| {bound} | {r['wall_s']:.1f} s | {r['per_submission_s']:.1f} s | "
            f"{r['grading_s_max']:.1f} s | {points} |"
        )
    bounded, unbounded = runs
    lines += [
        "",
        f"The bound makes the batch {unbounded['wall_s'] / bounded['wall_s']:.1f}x faster "
        f"here. With a {BOUND} s bound no submission took more than "
        f"{bounded['grading_s_max']:.1f} s in all: the bound counts from when the kernel is "
        "ready (its start is bounded on its own), and the call running when it is reached may "
        "go on to its own timeout (rounded up to whole seconds). The gap grows with the "
        "number of slow calls: a real exercise's tests call the student's functions 20 to 30 "
        "times (solutions/01 and 02), at the default `--timeout 10` up to 5 minutes each.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 submissions instead of 30")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    n = 6 if args.quick else 30
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-bound-") as tmp, LoadMonitor() as load:
        tmp = Path(tmp)
        source, subs = write_class(tmp, n)
        runs = [
            grade_class(source, subs, tmp / f"out-{bound:g}", bound, args.jobs)
            for bound in (BOUND, NO_BOUND)
        ]
    results = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "seconds": time.perf_counter() - t0,
        "machine": machine_info(),
        "load": load.summary(),
        "per_call_timeout": PER_CALL_TIMEOUT,
        "sleep": SLEEP,
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grading_bound.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "grading_bound.md").write_text(report(results))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
