"""Gradient-cost scaling: finite differences, the naive chain rule and backprop as edges grow.

Uses ``backprop_course.complexity`` (exact operation counts as closed forms, checked against
counting implementations in the test suite, plus measured wall times) and reports the fitted
log-log slopes of both: about 2 means ``O(E^2)``, about 1 means ``O(E)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHAIN_LENGTHS = (64, 128, 256, 512)
MLP_WIDTHS = (4, 8, 16, 32)


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
    return out
