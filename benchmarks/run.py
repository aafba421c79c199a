"""Run every benchmark and write benchmarks/results/{results.md, results.json, *.png}.

Usage (from the repository root; needs the optional extra: ``pip install -e ".[bench]"``)::

    python benchmarks/run.py                 # everything, about 4 minutes on 2 cores
    python benchmarks/run.py --quick         # fewer sizes and repeats, 1 thread (a smoke run)
    python benchmarks/run.py --sections step,layers --threads 1

Sections: ``step`` (the training-step table against PyTorch, HIPS autograd, scikit-learn and
micrograd, with the matmul floor and the float64 matmul peak at 2048^3), ``layers``
(per-layer overhead on small nets), ``scaling`` (gradient cost vs edges), ``notebooks``
(executing every lecture and solution) and ``grading`` (submissions per minute).
See benchmarks/README.md for what each table means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scaling  # noqa: E402
import bench_step  # noqa: E402
import bench_suite  # noqa: E402
from bench_timing import (  # noqa: E402
    LoadMonitor,
    Timing,
    fmt_time,
    machine_info,
    time_interleaved,
)

NETS = (  # (sizes, hidden, output, loss)
    ((2, 16, 16, 1), "tanh", "sigmoid", "bce"),
    ((2, 64, 64, 1), "tanh", "sigmoid", "bce"),
    ((784, 256, 128, 10), "relu", "softmax", "ce"),
)
BATCHES = (1, 32, 256)
DTYPES = (np.float64, np.float32)
BIG = "784-256-128-10"
MICROGRAD_BATCHES = (1, 32)
PEAK = "peak matmul 2048^3"
OURS = "ours (fit step)"
PUBLIC = "ours (public API)"
FLOOR = "matmul floor"
SECTIONS = ("step", "layers", "scaling", "notebooks", "grading")

# targets of issue 6
T_FLOOR = 1.15  # ours at most 1.15x the step's own matmul time (batch 256, big net)
T_PEAK = 0.60  # at least 60% of the float64 matmul peak there
T_LAYER_US = 20.0  # per-layer overhead on small nets
T_NOTEBOOKS_S = 60.0
T_GRADING_PER_MIN = 60.0


class Threads:
    """Limit BLAS/OpenMP pools (threadpoolctl) and PyTorch's intra-op threads together."""

    def __init__(self, n: int):
        self.n = n

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=self.n)
        self._torch_prev = None
        try:
            import torch

            self._torch_prev = torch.get_num_threads()
            torch.set_num_threads(self.n)
        except ImportError:
            pass
        return self

    def __exit__(self, *exc):
        self._limits.unregister()
        if self._torch_prev is not None:
            import torch

            torch.set_num_threads(self._torch_prev)


def _timing_dict(t: Timing) -> dict:
    return t.as_dict()


# ---- sections -----------------------------------------------------------------------------
PEAK_N = 2048


def peak_matmul(dtype) -> tuple:
    """``C = A @ B`` at 2048^3 in ``dtype`` (a zero-argument callable) and its FLOPs."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((PEAK_N, PEAK_N)).astype(dtype)
    B = rng.standard_normal((PEAK_N, PEAK_N)).astype(dtype)
    C = np.empty((PEAK_N, PEAK_N), dtype=dtype)
    return (lambda: np.matmul(A, B, out=C)), 2 * PEAK_N**3


def _build(builders: dict, case) -> tuple[dict, dict]:
    fns, unavailable = {}, {}
    for name, builder in builders.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fns[name] = builder(case)
        except bench_step.Unavailable as exc:
            unavailable[name] = str(exc)
    return fns, unavailable


def _time_cell(fns: dict, threads: int, repeats: int, target) -> dict:
    """Interleaved timings; on more than one thread PyTorch is timed in a block of its own.

    PyTorch brings its own BLAS and OpenMP thread pool, numpy (and so ours, autograd, sklearn)
    its OpenBLAS pool. After a call, each pool's idle threads keep spinning for a while before
    they sleep, so alternating the two on 2 cores makes each one's threads steal the cores
    the other one needs. Each block is therefore preceded by a pause that lets the other
    pool's threads go to sleep. On one thread no pool has spare threads: all interleaved.
    """
    separate = [n for n in fns if n == "PyTorch eager"] if threads > 1 else []
    groups = [{n: f for n, f in fns.items() if n not in separate}]
    groups += [{n: fns[n]} for n in separate]
    timings = {}
    for group in groups:
        if len(groups) > 1:
            time.sleep(0.3)
        timings.update(time_interleaved(group, repeats=repeats, target=target))
    return timings


def measure_steps(threads: list[int], quick: bool) -> dict:
    """The training-step table: every net x batch x dtype x thread count, interleaved."""
    builders = {
        OURS: bench_step.ours,
        PUBLIC: bench_step.ours_public,
        FLOOR: bench_step.floor,
        **{k: v for k, v in bench_step.ALTERNATIVES.items() if k != "micrograd"},
    }
    batches = (1, 256) if quick else BATCHES
    rows = []
    peak = {}
    for k in threads:
        with Threads(k):
            for sizes, hidden, output, loss in NETS:
                for batch in batches:
                    for dtype in DTYPES:
                        case = bench_step.Case(sizes, batch, dtype, hidden, output, loss)
                        fns, unavailable = _build(builders, case)
                        targets = 0.005 if quick else 0.015
                        big = case.name == BIG and batch == 256
                        if big:  # the peak, interleaved with the step it is compared with
                            fns[PEAK], flops = peak_matmul(dtype)
                            targets = {n: 0.0 if n == PEAK else targets for n in fns}
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            timings = _time_cell(fns, k, repeats=3 if quick else 5, target=targets)
                        if big:
                            t = timings.pop(PEAK)
                            peak[f"{np.dtype(dtype).name}/{k}"] = {
                                **_timing_dict(t),
                                "gflops_median": flops / t.median / 1e9,
                                "gflops_best": flops / t.min / 1e9,
                            }
                        rows.append(
                            {
                                "threads": k,
                                "net": case.name,
                                "batch": batch,
                                "dtype": np.dtype(dtype).name,
                                "config": f"{hidden}/{output}/{loss}",
                                "matmul_flops": case.matmul_flops(),
                                "times": {n: _timing_dict(t) for n, t in timings.items()},
                                "unavailable": unavailable,
                            }
                        )
                        print(
                            f"  step {k} thr {case.name} n={batch} {rows[-1]['dtype']}", flush=True
                        )
    # micrograd: pure Python, so BLAS threads do not matter; only its own loss (see bench_step).
    # Not at batch 256: one step there takes about 5 s of CPU (Python's garbage collector
    # rescans micrograd's growing graph of Value objects), longer than this whole table.
    micro = []
    for batch in MICROGRAD_BATCHES:
        case = bench_step.Case((2, 16, 16, 1), batch, np.float64, "relu", "identity", "mse")
        fns, unavailable = _build(
            {OURS: bench_step.ours, "micrograd": bench_step.micrograd_step}, case
        )
        if "micrograd" in unavailable:
            micro.append({"batch": batch, "unavailable": unavailable})
            continue
        with Threads(threads[0]):
            timings = time_interleaved(
                fns, repeats=2 if quick else 3, target={OURS: 0.015, "micrograd": 0.0}, warmup=1
            )
        micro.append(
            {
                "threads": threads[0],
                "net": case.name,
                "batch": batch,
                "dtype": "float64",
                "config": "relu/identity/mse",
                "times": {n: _timing_dict(t) for n, t in timings.items()},
            }
        )
        print(f"  micrograd n={batch}", flush=True)
    return {"rows": rows, "micrograd": micro, "peak": peak}


def measure_layers(threads: list[int], quick: bool) -> dict:
    """Per-layer cost on small nets: time vs number of layers, slope of a straight-line fit."""
    depths = (2, 3, 4, 5, 6)
    out = []
    with Threads(threads[0]):
        for width in (16, 64):
            for batch in (1, 32):
                fns = {}
                for L in depths:
                    sizes = (2, *([width] * (L - 1)), 1)
                    case = bench_step.Case(sizes, batch, np.float64, "tanh", "sigmoid", "bce")
                    fns[f"ours/{L}"] = bench_step.ours(case)
                    fns[f"floor/{L}"] = bench_step.floor(case)
                    try:
                        fns[f"torch/{L}"] = bench_step.torch_eager(case)
                    except bench_step.Unavailable:
                        pass
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t = time_interleaved(fns, repeats=3 if quick else 9, target=0.01)
                entry = {"width": width, "batch": batch, "depths": list(depths)}
                for impl in ("ours", "floor", "torch"):
                    if f"{impl}/{depths[0]}" not in t:
                        continue
                    med = [t[f"{impl}/{L}"].median for L in depths]
                    cpu = [float(np.median(t[f"{impl}/{L}"].cpu_samples)) for L in depths]
                    slope, intercept = np.polyfit(depths, med, 1)
                    entry[impl] = {
                        "median_s": med,
                        "per_layer_s": slope,
                        "fixed_s": intercept,
                        "cpu_median_s": cpu,
                        "cpu_per_layer_s": np.polyfit(depths, cpu, 1)[0],
                    }
                entry["overhead_per_layer_s"] = (
                    entry["ours"]["per_layer_s"] - entry["floor"]["per_layer_s"]
                )
                entry["cpu_overhead_per_layer_s"] = (
                    entry["ours"]["cpu_per_layer_s"] - entry["floor"]["cpu_per_layer_s"]
                )
                out.append(entry)
                print(f"  layers w={width} n={batch}", flush=True)
    return {"threads": threads[0], "entries": out}


# ---- report -------------------------------------------------------------------------------
def _cell(t: dict | None) -> str:
    if t is None:
        return "n/a"
    med = t["median_s"]
    scale, unit = (1e6, "us") if med < 1e-3 else (1e3, "ms") if med < 1.0 else (1.0, "s")
    d = 0 if med * scale >= 100 else 1
    return f"{med * scale:.{d}f} [{t['min_s'] * scale:.{d}f}-{t['max_s'] * scale:.{d}f}] {unit}"


def _ratio(x: float | None) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def _alts(row: dict) -> dict[str, dict]:
    return {n: t for n, t in row["times"].items() if n not in (OURS, PUBLIC, FLOOR)}


def _row_ratios(row: dict, peak: dict) -> None:
    """Fill a step row's ratios (wall time), and for 1 thread the same from CPU time."""
    for clock in ("", "cpu_"):
        times = row["times"]
        if clock and (row["threads"] != 1 or "cpu_median_s" not in times[OURS]):
            continue
        key = f"{clock}median_s"
        ours = times[OURS][key]
        alts = {n: t[key] for n, t in _alts(row).items()}
        out = row if not clock else row.setdefault("cpu", {})
        out["ratios"] = {n: t / ours for n, t in alts.items()}
        out["ratios"][PUBLIC] = times[PUBLIC][key] / ours
        out["over_floor"] = ours / times[FLOOR][key]
        out["gflops"] = row["matmul_flops"] / ours / 1e9
        pk = peak.get(f"{row['dtype']}/{row['threads']}")
        pk_time = pk.get(key) if pk else None
        out["fraction_of_peak"] = (
            out["gflops"] / (2 * PEAK_N**3 / pk_time / 1e9) if pk_time else None
        )
        if alts:
            fastest = min(alts, key=alts.get)
            out["fastest_alternative"] = fastest
            out["fastest_ratio"] = alts[fastest] / ours


def _flag_load(checks: list[dict], results: dict) -> None:
    """Say so next to the 2-thread verdicts when the machine was oversubscribed."""
    load = results["load"]["load1_median"]
    cpus = results["meta"]["machine"].get("cpus") or 1
    if load <= cpus:
        return
    for c in checks:
        if "2 thread" in c["target"]:
            c["measured"] += (
                f" [median load {load:.1f} on {cpus} cores: 2-thread wall times are dominated"
                " by waiting for a core; see the profiling notes, item 6]"
            )


def analyse(results: dict) -> dict:
    """Ratios, floor multiples, fractions of peak and the target checks."""
    checks = []
    step = results.get("step")
    peak = step.get("peak", {}) if step else {}
    if step:
        misses, cpu_misses = [], []
        n_cells = n_cpu_cells = 0
        for row in step["rows"]:
            _row_ratios(row, peak)
            if "fastest_ratio" not in row:
                continue
            n_cells += 1
            where = f"{row['net']} n={row['batch']} {row['dtype']} {row['threads']} thr"
            if row["fastest_ratio"] < 1.0:
                misses.append(f"{where}: {row['fastest_alternative']} {row['fastest_ratio']:.2f}x")
            if "cpu" in row:
                n_cpu_cells += 1
                if row["cpu"]["fastest_ratio"] < 1.0:
                    cpu_misses.append(f"{where}: {row['cpu']['fastest_ratio']:.2f}x")
        cpu_note = (
            f" By CPU time (1 thread, immune to waiting for a core): "
            f"{n_cpu_cells - len(cpu_misses)}/{n_cpu_cells} cells"
            + (f"; slower in: {'; '.join(cpu_misses)}" if cpu_misses else "")
            + "."
            if n_cpu_cells
            else ""
        )
        checks.append(
            {
                "target": "our step no slower than the fastest alternative "
                "(every size, like with like)",
                "measured": f"{n_cells - len(misses)}/{n_cells} cells"
                + (f"; slower in: {'; '.join(misses)}" if misses else "")
                + "."
                + cpu_note,
                "met": not misses and n_cells > 0,
            }
        )
        for row in step["rows"]:
            if row["net"] == BIG and row["batch"] == 256 and row["dtype"] == "float64":
                cpu = row.get("cpu")
                checks.append(
                    {
                        "target": f"{BIG}, batch 256, float64, {row['threads']} thread(s): "
                        f"at most {T_FLOOR}x the matmul floor",
                        "measured": f"{row['over_floor']:.2f}x"
                        + (f" (CPU time: {cpu['over_floor']:.2f}x)" if cpu else ""),
                        "met": bool(row["over_floor"] <= T_FLOOR),
                    }
                )
                if row["fraction_of_peak"] is not None:
                    pk64 = peak[f"float64/{row['threads']}"]["gflops_median"]
                    cpu_frac = cpu.get("fraction_of_peak") if cpu else None
                    checks.append(
                        {
                            "target": f"{BIG}, batch 256, float64, {row['threads']} thread(s): "
                            f"at least {T_PEAK:.0%} of the float64 matmul peak",
                            "measured": f"{row['fraction_of_peak']:.0%} "
                            f"({row['gflops']:.1f} of {pk64:.1f} GFLOP/s)"
                            + (f" (CPU time: {cpu_frac:.0%})" if cpu_frac is not None else ""),
                            "met": bool(row["fraction_of_peak"] >= T_PEAK),
                        }
                    )
    layers = results.get("layers")
    if layers:
        worst = max(e["overhead_per_layer_s"] for e in layers["entries"])
        checks.append(
            {
                "target": f"per-layer overhead at most {T_LAYER_US:.0f} us "
                "(width <= 64, batch <= 32)",
                "measured": "max "
                + fmt_time(worst)
                + " ("
                + ", ".join(
                    f"w{e['width']}/n{e['batch']}: {e['overhead_per_layer_s'] * 1e6:.1f}"
                    for e in layers["entries"]
                )
                + " us; CPU time: max "
                + fmt_time(max(e["cpu_overhead_per_layer_s"] for e in layers["entries"]))
                + ")",
                "met": bool(worst <= T_LAYER_US * 1e-6),
            }
        )
    scaling = results.get("scaling")
    if scaling and scaling.get("measurable"):
        s = scaling["chain"]["slopes_cpu_times"]
        w = scaling["chain"]["slopes_times"]
        fd, bp = s["finite differences"], s["backprop"]
        checks.append(
            {
                "target": "chain slopes of measured CPU times: finite differences 2.0 +- 0.25, "
                "backprop 1.0 +- 0.25",
                "measured": f"{fd:.2f} and {bp:.2f} (wall time: "
                f"{w['finite differences']:.2f} and {w['backprop']:.2f})",
                "met": bool(abs(fd - 2.0) <= 0.25 and abs(bp - 1.0) <= 0.25),
            }
        )
    nbs = results.get("notebooks")
    if nbs:
        if nbs.get("measurable"):
            checks.append(
                {
                    "target": f"all lectures and solutions execute in under {T_NOTEBOOKS_S:.0f} s "
                    "on 2 cores",
                    "measured": f"{nbs['wall_s']:.1f} s wall on {nbs['workers']} workers "
                    f"({len(nbs['notebooks'])} notebooks, {nbs['n_failed']} failed; "
                    f"{nbs['sum_s']:.1f} s one after another)",
                    "met": nbs["wall_s"] < T_NOTEBOOKS_S and nbs["n_failed"] == 0,
                }
            )
        else:
            checks.append(
                {"target": "notebooks under 60 s", "measured": nbs["reason"], "met": None}
            )
    grading = results.get("grading")
    if grading:
        if grading.get("measurable"):
            two = [r for r in grading["runs"] if r["jobs"] == 2]
            checks.append(
                {
                    "target": f"grading at least {T_GRADING_PER_MIN:.0f} submissions/min "
                    "with 2 workers",
                    "measured": ", ".join(
                        f"{r['per_minute']:.0f}/min on {r['jobs']}" for r in grading["runs"]
                    ),
                    "met": bool(two) and two[0]["per_minute"] >= T_GRADING_PER_MIN,
                }
            )
        else:
            checks.append(
                {
                    "target": "grading at least 60 submissions/min with 2 workers",
                    "measured": "not yet measurable: " + grading["reason"],
                    "met": None,
                }
            )
    return {"checks": checks}


def _met(m) -> str:
    return "yes" if m is True else "NO" if m is False else "not measured"


def render_markdown(results: dict, analysis: dict) -> str:
    meta = results["meta"]
    load = results["load"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{meta['command']}` on {meta['date']} in {meta['duration_s']:.0f} s "
        "("
        + ", ".join(f"{k} {v:.0f} s" for k, v in meta.get("section_durations_s", {}).items())
        + "). "
        "What each table means and how to read the ratios: [../README.md](../README.md).",
        "",
        f"- Machine: {meta['machine'].get('cpu', '?')}, {meta['machine']['cpus']} CPUs; "
        f"Python {meta['machine']['python']}, numpy {meta['machine']['numpy']}; "
        f"BLAS: {'; '.join(meta['machine'].get('blas', []))}",
        f"- Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}",
        f"- Load average (1 min) during the run: min {load['load1_min']:.2f}, median "
        f"{load['load1_median']:.2f}, max {load['load1_max']:.2f} ({load['n_samples']} samples; "
        f"{meta['machine']['cpus']} cores: a load above that means other processes competed "
        "for the CPUs and the absolute times are inflated; ratios are measured interleaved).",
        "",
        "## Targets (issue 6)",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for c in analysis["checks"]:
        lines.append(f"| {c['target']} | {c['measured']} | {_met(c['met'])} |")
    lines.append("")

    peak = results.get("step", {}).get("peak")
    if peak:
        lines += [
            "## Matrix-product peak (2048 x 2048 x 2048, numpy `matmul`)",
            "",
            f"Timed interleaved with the {BIG} batch-256 step of the same dtype and threads.",
            "",
            "| dtype | BLAS threads | time per product | GFLOP/s (median) | GFLOP/s (best) |",
            "|---|---|---|---|---|",
        ]
        for key, p in peak.items():
            dtype, k = key.split("/")
            lines.append(
                f"| {dtype} | {k} | {_cell(p)} | {p['gflops_median']:.1f} "
                f"| {p['gflops_best']:.1f} |"
            )
        lines.append("")

    step = results.get("step")
    if step:
        names = []
        for row in step["rows"]:
            for n in row["times"]:
                if n not in names:
                    names.append(n)
        alts = [n for n in names if n not in (OURS, PUBLIC, FLOOR)]
        for k in sorted({r["threads"] for r in step["rows"]}):
            rows = [r for r in step["rows"] if r["threads"] == k]
            lines += [
                f"## Training step, {k} BLAS thread{'s' if k > 1 else ''}: time per step",
                "",
                "Median [min-max] over interleaved repeats, one forward + backward + SGD update."
                + (" PyTorch timed in a block of its own (see the README)." if k > 1 else ""),
                "",
                "| net | batch | dtype | " + " | ".join(names) + " |",
                "|---|---|---|" + "---|" * len(names),
            ]
            for r in rows:
                cells = [_cell(r["times"].get(n)) for n in names]
                lines.append(
                    f"| {r['net']} | {r['batch']} | {r['dtype']} | " + " | ".join(cells) + " |"
                )
            lines += [
                "",
                f"## Training step, {k} BLAS thread{'s' if k > 1 else ''}: ratios",
                "",
                "Alternatives: their time / our time (above 1: ours is faster). Floor: our time / "
                "the matmul floor (1 would be the matrix products alone). GFLOP/s: the step's "
                "matmul FLOPs / our time."
                + (
                    " The last two columns repeat the fastest-alternative and floor ratios "
                    "from CPU time, which on one thread is the work itself, untouched by "
                    "other users' load."
                    if k == 1
                    else ""
                ),
                "",
                "| net | batch | dtype | "
                + " | ".join([PUBLIC, *alts])
                + " | fastest alternative / ours | ours / floor | GFLOP/s | of peak |"
                + (" fastest / ours (CPU) | ours / floor (CPU) |" if k == 1 else ""),
                "|---|---|---|" + "---|" * (len(alts) + 5 + (2 if k == 1 else 0)),
            ]
            for r in rows:
                cells = [_ratio(r["ratios"].get(n)) for n in [PUBLIC, *alts]]
                fr = r.get("fastest_ratio")
                fastest = f"{_ratio(fr)} ({r['fastest_alternative']})" if fr is not None else "n/a"
                fop = r.get("fraction_of_peak")
                line = (
                    f"| {r['net']} | {r['batch']} | {r['dtype']} | "
                    + " | ".join(cells)
                    + f" | {fastest} | {r['over_floor']:.2f} | {r['gflops']:.2f} | "
                    + (f"{fop:.0%}" if fop is not None else "n/a")
                    + " |"
                )
                if k == 1:
                    cpu = r.get("cpu", {})
                    line += (
                        f" {_ratio(cpu.get('fastest_ratio'))} | {_ratio(cpu.get('over_floor'))} |"
                    )
                lines.append(line)
            lines.append("")
        unavailable = {}
        for r in step["rows"]:
            for n, why in r["unavailable"].items():
                unavailable.setdefault((n, why), []).append(f"{r['net']}/{r['dtype']}")
        if unavailable:
            lines += ["Not measured (n/a above):", ""]
            for (n, why), where in unavailable.items():
                lines.append(f"- {n}: {why} ({len(where)} cells)")
            lines.append("")
        micro = [m for m in step["micrograd"] if "times" in m]
        lines += [
            "## micrograd (2-16-16-1, ReLU hidden, linear output, squared error)",
            "",
            "micrograd only has `+ * ** relu`, so it is compared with ours on this loss. "
            "Pure Python on scalars: BLAS threads play no part.",
            "",
            "| batch | ours (fit step) | micrograd | micrograd / ours |",
            "|---|---|---|---|",
        ]
        for m in micro:
            o, g = m["times"][OURS], m["times"]["micrograd"]
            lines.append(
                f"| {m['batch']} | {_cell(o)} | {_cell(g)} | {g['median_s'] / o['median_s']:,.0f} |"
            )
        for m in step["micrograd"]:
            if "unavailable" in m:
                lines.append(f"| {m['batch']} | | not measured: {m['unavailable']} | |")
        lines.append("")

    layers = results.get("layers")
    if layers:
        lines += [
            f"## Per-layer cost on small nets ({layers['threads']} BLAS thread, float64)",
            "",
            "Nets 2-w-...-w-1 with 2 to 6 weight layers; a straight line fitted to the median "
            "step time against the number of layers. Its slope is the cost of one more layer; "
            "the overhead is that slope minus the floor's (the layer's own matrix products).",
            "",
            "| width | batch | ours per layer | floor per layer | overhead per layer | "
            "overhead (CPU time) | PyTorch per layer | ours, 2..6 layers |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for e in layers["entries"]:
            torch_pl = fmt_time(e["torch"]["per_layer_s"]) if "torch" in e else "n/a"
            series = ", ".join(f"{t * 1e6:.1f}" for t in e["ours"]["median_s"])
            lines.append(
                f"| {e['width']} | {e['batch']} | {fmt_time(e['ours']['per_layer_s'])} | "
                f"{fmt_time(e['floor']['per_layer_s'])} | {fmt_time(e['overhead_per_layer_s'])} | "
                f"{fmt_time(e['cpu_overhead_per_layer_s'])} | {torch_pl} | {series} us |"
            )
        lines.append("")

    scaling = results.get("scaling")
    if scaling:
        lines += ["## Gradient cost scaling (`backprop_course.complexity`)", ""]
        if not scaling.get("measurable"):
            lines += [f"Not yet measurable: {scaling['reason']}", ""]
        else:
            for key, title in (("chain", "1-D chain, E = T weights"), ("mlp", "MLP 2-w-w-1")):
                tab = scaling[key]
                methods = list(tab["counts"])
                lines += [
                    f"### {title} ({tab['unit']} counted; times best of repeats)",
                    "",
                    f"| {tab['size_name']} | E | "
                    + " | ".join(f"{m} (count)" for m in methods)
                    + " | "
                    + " | ".join(f"{m} (time)" for m in methods)
                    + " |",
                    "|---|---|" + "---|" * (2 * len(methods)),
                ]
                for i, size in enumerate(tab["sizes"]):
                    lines.append(
                        f"| {size} | {tab['edges'][i]} | "
                        + " | ".join(f"{tab['counts'][m][i]:,}" for m in methods)
                        + " | "
                        + " | ".join(fmt_time(tab["times"][m][i]) for m in methods)
                        + " |"
                    )
                lines += [
                    "",
                    "Fitted log-log slopes against E: counts "
                    + ", ".join(f"{m} {s:.2f}" for m, s in tab["slopes_counts"].items())
                    + "; wall times "
                    + ", ".join(f"{m} {s:.2f}" for m, s in tab["slopes_times"].items())
                    + (
                        "; CPU times "
                        + ", ".join(f"{m} {s:.2f}" for m, s in tab["slopes_cpu_times"].items())
                        + " (CPU seconds per gradient: "
                        + "; ".join(
                            f"{m} " + ", ".join(fmt_time(t) for t in ts)
                            for m, ts in tab["cpu_times"].items()
                        )
                        + ")"
                        if "slopes_cpu_times" in tab
                        else ""
                    )
                    + ".",
                    "",
                ]

    nbs = results.get("notebooks")
    if nbs:
        lines += ["## Course notebooks (nbclient, fresh kernel each)", ""]
        if nbs.get("measurable"):
            lines += [
                f"{len(nbs['notebooks'])} notebooks on {nbs['workers']} worker processes: "
                f"**{nbs['wall_s']:.1f} s wall**; {nbs['sum_s']:.1f} s summed over notebooks.",
                "",
                "| notebook | seconds | status |",
                "|---|---|---|",
            ]
            for r in nbs["notebooks"]:
                lines.append(
                    f"| {r['notebook']} | {r['seconds']:.1f} | {'ok' if r['ok'] else r['error']} |"
                )
        else:
            lines.append(f"Not yet measurable: {nbs['reason']}")
        lines.append("")

    grading = results.get("grading")
    if grading:
        lines += ["## Grading throughput (`backprop-course grade`)", ""]
        if grading.get("measurable"):
            lines += [
                f"A class batch generated for `solutions/{grading['exercise']}`: the solution "
                "itself (should get full marks), the bare exercise (should get 0) and "
                "mixtures with a random half of the answers stubbed, graded by one "
                "`backprop-course grade --jobs N` command per worker count (a fresh process, "
                "start-up included), fresh sandboxed kernel per submission.",
                "",
                "| workers | submissions | wall | submissions per minute | scores (points) | "
                "solution full marks, exercise 0 |",
                "|---|---|---|---|---|---|",
            ]
            for r in grading["runs"]:
                pts = ", ".join(f"{s['total']:g}/{s['max_total']:g}" for s in r["scores"])
                sane = r["solution_full_marks"] and r["exercise_zero"]
                lines.append(
                    f"| {r['jobs']} | {r['submissions']} | {r['wall_s']:.1f} s | "
                    f"{r['per_minute']:.1f} | {pts} | {'yes' if sane else 'NO'} |"
                )
        else:
            lines.append(f"Not yet measurable: {grading['reason']}")
        lines.append("")

    notes = HERE / "profile_notes.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    return "\n".join(lines)


def plot(results: dict, out_dir: Path) -> list[str]:
    """step.png (time per step, every implementation) and scaling.png (log-log costs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    step = results.get("step")
    if step:
        k = min(r["threads"] for r in step["rows"])
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
        for ax, dtype in zip(axes, ("float64", "float32"), strict=True):
            rows = [r for r in step["rows"] if r["threads"] == k and r["dtype"] == dtype]
            # the MNIST-sized net's name on two lines, so neighbouring labels do not overlap
            labels = [r["net"].replace("-256-", "-256-\n") + f"\nn={r['batch']}" for r in rows]
            names = []
            for r in rows:
                names += [n for n in r["times"] if n not in names]
            x = np.arange(len(rows))
            for j, name in enumerate(names):
                med = np.array([r["times"].get(name, {}).get("median_s", np.nan) for r in rows])
                lo = np.array([r["times"].get(name, {}).get("min_s", np.nan) for r in rows])
                hi = np.array([r["times"].get(name, {}).get("max_s", np.nan) for r in rows])
                style = "k_" if name == FLOOR else "o"
                ax.errorbar(
                    x + (j - len(names) / 2) * 0.08,
                    med,
                    yerr=[med - lo, hi - med],
                    fmt=style,
                    ms=6 if name != FLOOR else 14,
                    label=name,
                    capsize=2,
                )
            ax.set_yscale("log")
            ax.set_xticks(x, labels, fontsize=7)
            ax.set_title(f"training step, {dtype}, {k} BLAS thread")
            ax.grid(True, which="both", axis="y", alpha=0.3)
        axes[0].set_ylabel("seconds per step (median, min-max)")
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out_dir / "step.png", dpi=110)
        plt.close(fig)
        written.append("step.png")
    scaling = results.get("scaling")
    if scaling and scaling.get("measurable"):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
        for ax, key in zip(axes, ("chain", "mlp"), strict=True):
            tab = scaling[key]
            E = np.array(tab["edges"], dtype=float)
            for m, times in tab["times"].items():
                ax.loglog(E, times, "o-", label=f"{m} (slope {tab['slopes_times'][m]:.2f})")
            ax.set_xlabel("number of weights E")
            ax.set_ylabel("seconds per gradient")
            ax.set_title("1-D chain" if key == "chain" else "MLP 2-w-w-1, 256 examples")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out_dir / "scaling.png", dpi=110)
        plt.close(fig)
        written.append("scaling.png")
    return written


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in (
        "numpy",
        "scipy",
        "torch",
        "autograd",
        "scikit-learn",
        "micrograd",
        "threadpoolctl",
    ):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats, 1 thread")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset")
    parser.add_argument("--threads", default=None, help="BLAS thread counts, default 1,2")
    parser.add_argument("--out", default=str(HERE / "results"), help="output folder")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    threads = [int(t) for t in (args.threads or ("1" if args.quick else "1,2")).split(",")]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    command = "python benchmarks/run.py" + (" " + " ".join(argv) if argv else "")
    if argv is None and len(sys.argv) > 1:
        command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    t0 = time.perf_counter()
    results: dict = {}
    durations: dict[str, float] = {}
    # notebooks and grading first: their worker processes start before torch's threads exist
    runners = {
        "notebooks": lambda: bench_suite.notebook_suite(workers=2),
        "grading": lambda: bench_suite.grading_throughput(n_submissions=6 if args.quick else 24),
        "step": lambda: measure_steps(threads, args.quick),
        "layers": lambda: measure_layers(threads, args.quick),
        "scaling": lambda: bench_scaling.gradient_scaling(args.quick),
    }
    with LoadMonitor() as monitor:
        for name, run in runners.items():
            if name in sections:
                print(f"{name} ...", flush=True)
                start = time.perf_counter()
                results[name] = run()
                durations[name] = time.perf_counter() - start
    results["load"] = monitor.summary()
    results["meta"] = {
        "command": command,
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "duration_s": time.perf_counter() - t0,
        "section_durations_s": durations,
        "threads": threads,
        "quick": args.quick,
        "machine": machine_info(),
        "versions": _versions(),
    }
    analysis = analyse(results)
    _flag_load(analysis["checks"], results)
    results["checks"] = analysis["checks"]
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, default=float))
    (out_dir / "results.md").write_text(render_markdown(results, analysis))
    written = plot(results, out_dir)
    print(f"wrote {out_dir / 'results.md'}, results.json, {', '.join(written)}")
    for c in analysis["checks"]:
        print(f"[{_met(c['met'])}] {c['target']}: {c['measured']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
