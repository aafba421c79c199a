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

import inspect
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


#: the exercise a class batch is generated for (the matrix-form backprop one, when present)
GRADING_EXERCISE = "05_matrix_backprop"


def grading_throughput(n_submissions: int = 8, jobs_list=(1, 2), seed: int = 0) -> dict:
    """Submissions per minute of ``grade_batch`` on a generated class batch, per worker count.

    One exercise (``GRADING_EXERCISE``, else the last solution notebook), ``n_submissions``
    notebooks: the solution (should get full marks), the bare exercise (should get 0) and
    mixtures with a random half of the answer cells stubbed; graded in one ``grade_batch``
    call, as an instructor grades a class, once per worker count.
    """
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
    chosen = [p for p in solutions if p.stem == GRADING_EXERCISE] or solutions[-1:]
    sol = chosen[0]
    rng = np.random.default_rng(seed)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        exercise = make_exercise(read_notebook(sol))
        subs = _generated_submissions(sol, exercise, max(2, n_submissions), tmp, rng)
        quiet = (
            {"progress": False} if "progress" in inspect.signature(grade_batch).parameters else {}
        )
        for jobs in jobs_list:
            t0 = time.perf_counter()
            reports = grade_batch(sol, subs, tmp / f"out-{jobs}", jobs=jobs, **quiet)
            wall = time.perf_counter() - t0
            scores = [
                {
                    "submission": sub.name,
                    "kind": "solution" if k == 0 else "exercise" if k == 1 else "mixed",
                    "total": float(getattr(rep, "total", float("nan"))),
                    "max_total": float(getattr(rep, "max_total", float("nan"))),
                    "status": str(getattr(rep, "status", "")),
                }
                for k, (sub, rep) in enumerate(zip(subs, reports, strict=True))
            ]
            runs.append(
                {
                    "jobs": jobs,
                    "submissions": len(subs),
                    "wall_s": wall,
                    "per_minute": 60.0 * len(subs) / wall,
                    "solution_full_marks": scores[0]["total"] == scores[0]["max_total"],
                    "exercise_zero": scores[1]["total"] == 0,
                    "scores": scores,
                }
            )
    return {"measurable": True, "exercise": sol.name, "runs": runs}
