"""The course suite: executing every notebook, and grading throughput.

* Notebooks: every ``lectures/*.ipynb`` and ``solutions/*.ipynb`` is executed with nbclient in a
  fresh kernel, as CI does, by a pool of 2 worker processes (the 2 cores); we report each
  notebook's own time, their sum (one worker), and the wall time of the whole pool.
* Grading: a batch of submissions is generated from each solution notebook (the solution as is,
  the generated exercise with its stubs, and mixtures where a random half of the answer cells
  are stubs), then graded with ``backprop_course.grading.grade_batch`` on 1 and on 2 workers;
  throughput is submissions per minute of wall time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """Every lecture and solution notebook, in name order."""
    return sorted((root / "lectures").glob("*.ipynb")) + sorted(
        (root / "solutions").glob("*.ipynb")
    )


def execute_notebook(path: str) -> dict:
    """Execute one notebook in a fresh kernel in its own folder; return its time and status."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute()
        error = None
    except Exception as exc:  # a failing notebook is reported, not fatal to the benchmark
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
    return {
        "notebook": str(Path(path).relative_to(ROOT)),
        "seconds": time.perf_counter() - t0,
        "ok": error is None,
        "error": error,
    }


def notebook_suite(workers: int = 2) -> dict:
    """Execute all course notebooks on ``workers`` processes; per-notebook and wall times."""
    paths = course_notebooks()
    if not paths:
        return {"measurable": False, "reason": "no notebooks in lectures/ or solutions/ yet"}
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        runs = list(pool.map(execute_notebook, [str(p) for p in paths]))
    wall = time.perf_counter() - t0
    return {
        "measurable": True,
        "workers": workers,
        "wall_s": wall,
        "sum_s": float(sum(r["seconds"] for r in runs)),
        "notebooks": runs,
        "n_failed": sum(not r["ok"] for r in runs),
    }


def _generated_submissions(solution: Path, exercise, n: int, folder: Path, rng) -> list[Path]:
    """``n`` submissions of one exercise: the solution, the bare exercise, then mixtures."""
    import nbformat

    from backprop_course.grading import notebook as gnb

    sol = nbformat.read(solution, as_version=4)
    answer_cells = [i for i, c in enumerate(sol.cells) if gnb.role(c) == "answer"]
    out = []
    for k in range(n):
        nb = nbformat.from_dict(sol)
        if k == 1:
            stubbed = set(answer_cells)
        elif k >= 2:
            stubbed = {i for i in answer_cells if rng.random() < 0.5}
        else:
            stubbed = set()
        for i in stubbed:
            nb.cells[i].source = exercise.cells[i].source
        path = folder / f"{solution.stem}__sub{k:02d}.ipynb"
        nbformat.write(nb, path)
        out.append(path)
    return out


def grading_throughput(n_submissions: int = 12, jobs_list=(1, 2), seed: int = 0) -> dict:
    """Submissions per minute of ``grade_batch`` on generated submissions, per worker count.

    ``n_submissions`` are spread over the solution notebooks (at least 2 per exercise, so
    that each batch holds a full-marks and a not-attempted submission)."""
    try:
        from backprop_course import grading
        from backprop_course.grading import make_exercise, read_notebook

        grade_batch = grading.grade_batch
    except (ImportError, AttributeError) as exc:
        return {
            "measurable": False,
            "reason": f"backprop_course.grading.grade_batch is not available yet ({exc})",
        }
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    if not solutions:
        return {"measurable": False, "reason": "no solution notebooks yet"}
    rng = np.random.default_rng(seed)
    n_per_exercise = max(2, -(-n_submissions // len(solutions)))
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        batches = []
        for sol in solutions:
            exercise = make_exercise(read_notebook(sol))
            folder = tmp / sol.stem
            folder.mkdir()
            batches.append(
                (sol, _generated_submissions(sol, exercise, n_per_exercise, folder, rng))
            )
        n_total = sum(len(s) for _, s in batches)
        for jobs in jobs_list:
            t0 = time.perf_counter()
            statuses = []
            for sol, subs in batches:
                out_dir = tmp / f"out-{jobs}-{sol.stem}"
                result = grade_batch(sol, subs, out_dir, jobs=jobs)
                statuses.append(type(result).__name__)
            wall = time.perf_counter() - t0
            runs.append(
                {
                    "jobs": jobs,
                    "submissions": n_total,
                    "wall_s": wall,
                    "per_minute": 60.0 * n_total / wall,
                }
            )
    return {"measurable": True, "exercises": [s.name for s in solutions], "runs": runs}
