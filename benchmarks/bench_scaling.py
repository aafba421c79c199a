"""Gradient-cost scaling: finite differences, the naive chain rule and backprop as edges grow.

Uses ``backprop_course.complexity`` (exact operation counts as closed forms, checked against
counting implementations in the test suite, plus measured wall times) and reports the fitted
log-log slopes of both: about 2 means ``O(E^2)``, about 1 means ``O(E)``.
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHAIN_LENGTHS = (64, 128, 256, 512, 1024)
MLP_WIDTHS = (4, 8, 16, 32)
METHODS = ("finite differences", "naive chain rule", "backprop")


def gradient_scaling(quick: bool = False) -> dict:
    """Chain and MLP sweeps with counts, times (best of repeats) and slopes of each."""
    try:
        from backprop_course import complexity
    except ImportError as exc:
        return {"measurable": False, "reason": f"backprop_course.complexity missing ({exc})"}
    repeats = 2 if quick else 5
    chain = complexity.chain_costs(CHAIN_LENGTHS, repeats=repeats, rng=0)
    net = complexity.mlp_costs(
        MLP_WIDTHS, depth=2, n_examples=256, repeats=1 if quick else 2, rng=0
    )
    out = {"measurable": True}
    for name, table in (("chain", chain), ("mlp", net)):
        d = table.as_dict()
        d["slopes_counts"] = table.slopes("counts")
        d["slopes_times"] = table.slopes("times")
        out[name] = d
    cpu = chain_cpu_times(CHAIN_LENGTHS, repeats=3 if quick else 7)
    out["chain"]["cpu_times"] = {m: t.tolist() for m, t in cpu.items()}
    out["chain"]["slopes_cpu_times"] = {
        m: complexity.fit_slope(CHAIN_LENGTHS, t) for m, t in cpu.items()
    }
    return out


def chain_cpu_times(lengths, repeats: int = 5, target: float = 0.02) -> dict[str, np.ndarray]:
    """The chain sweep's three methods timed in CPU time (best of ``repeats``, seconds/call).

    The same calls as ``complexity.chain_costs`` times in wall time; CPU time does not count
    the moments another process held the core, which on a loaded machine bend the fitted
    wall-time slopes.
    """
    from backprop_course import naive

    rng = np.random.default_rng(0)
    times = {m: np.zeros(len(lengths)) for m in METHODS}
    for k, T in enumerate(lengths):
        ws = rng.uniform(0.9, 1.1, size=int(T))
        a, x = 1.5, 0.5
        runs = {
            "finite differences": partial(naive.chain_finite_difference_gradients, a, ws, x),
            "naive chain rule": partial(naive.naive_chain_gradients, a, ws, x),
            "backprop": partial(naive.backprop_chain_gradients, a, ws, x),
        }
        for method, fn in runs.items():
            fn()
            loops = 1
            while True:  # enough calls per repeat for the CPU clock
                c0 = time.process_time()
                for _ in range(loops):
                    fn()
                if time.process_time() - c0 >= target / 4 or loops >= 4096:
                    break
                loops *= 4
            best = np.inf
            for _ in range(repeats):
                c0 = time.process_time()
                for _ in range(loops):
                    fn()
                best = min(best, (time.process_time() - c0) / loops)
            times[method][k] = best
    return times
