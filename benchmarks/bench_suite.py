"""The course suite: executing every notebook, and grading throughput.

* Notebooks: every ``lectures/*.ipynb`` and ``solutions/*.ipynb`` is executed with nbclient in a
  fresh kernel, as CI does, by a pool of 2 worker processes (the 2 cores); we report each
  notebook's own time, their sum (one worker), and the wall time of the whole pool.
* Grading: a batch of submissions is generated from each solution notebook (the solution as is,
  the generated exercise with its stubs, and mixtures where a random half of the answer cells
  are stubs), then graded by the ``backprop-course grade`` command in a fresh process on 1 and
  on 2 workers; throughput is submissions per minute of wall time, start-up included.
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

    from backprop_course.grading.format import notebook as gnb

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


def grading_throughput(n_submissions: int = 24, jobs_list=(1, 2), seed: int = 0) -> dict:
    """Submissions per minute of ``backprop-course grade`` on a generated class, per worker count.

    One exercise (``GRADING_EXERCISE``, else the last solution notebook), ``n_submissions``
    notebooks: the solution (should get full marks), the bare exercise (should get 0) and
    mixtures with a random half of the answer cells stubbed. They are graded as an instructor
    grades a class: one ``backprop-course grade ... --jobs N`` command in a fresh process (so
    its start-up and imports count, and none of this benchmark's threads or imported libraries
    change how the grader starts its workers), once per worker count; the scores are read back
    from the ``grades.csv`` it writes.
    """
    import csv
    import subprocess

    from backprop_course.grading import make_exercise, read_notebook

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
        for jobs in jobs_list:
            out = tmp / f"out-{jobs}"
            cmd = [sys.executable, "-m", "backprop_course.cli", "grade", str(sol), *map(str, subs)]
            cmd += ["--out", str(out), "--jobs", str(jobs), "--quiet"]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            with open(out / "grades.csv", newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            totals = [float(r["total"]) for r in rows]
            max_total = float(rows[0]["max_total"])
            scores = [
                {
                    "submission": sub.name,
                    "kind": "solution" if k == 0 else "exercise" if k == 1 else "mixed",
                    "total": totals[k],
                    "max_total": max_total,
                    "status": rows[k]["status"],
                }
                for k, sub in enumerate(subs)
            ]
            runs.append(
                {
                    "jobs": jobs,
                    "submissions": len(subs),
                    "wall_s": wall,
                    "per_minute": 60.0 * len(subs) / wall,
                    "solution_full_marks": totals[0] == max_total,
                    "exercise_zero": totals[1] == 0,
                    "scores": scores,
                }
            )
    return {"measurable": True, "exercise": sol.name, "runs": runs}
