"""Timing helpers: interleaved repeats, medians with min and max, load and machine records.

Every number in the results is a median over repeats with its min and max. Implementations that
are compared with each other are timed *interleaved* (repeat 1 of each, then repeat 2 of each,
...) so that a burst of load from other users of the machine hits all of them alike and their
ratios stay meaningful even when the absolute times drift.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Timing:
    """Seconds per call over repeats: ``median``, ``min``, ``max`` and the raw list."""

    samples: list[float] = field(default_factory=list)
    loops: int = 1
    cpu_samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def min(self) -> float:
        return float(np.min(self.samples))

    @property
    def max(self) -> float:
        return float(np.max(self.samples))

    def as_dict(self) -> dict:
        out = {
            "median_s": self.median,
            "min_s": self.min,
            "max_s": self.max,
            "repeats": len(self.samples),
            "loops_per_repeat": self.loops,
            "samples_s": list(self.samples),
        }
        if self.cpu_samples:
            out["cpu_median_s"] = float(np.median(self.cpu_samples))
            out["cpu_min_s"] = float(np.min(self.cpu_samples))
            out["cpu_max_s"] = float(np.max(self.cpu_samples))
        return out


def _loops_for(fn: Callable[[], object], target: float, max_loops: int = 100_000) -> int:
    """How many calls make one repeat last about ``target`` seconds (at least one call)."""
    if target <= 0:
        return 1
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    if one >= target:
        return 1
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target / 4 or loops >= max_loops:
            break
        loops *= 4
    return int(max(1, min(max_loops, round(loops * target / max(dt, 1e-9)))))


def time_interleaved(
    fns: dict[str, Callable[[], object]],
    repeats: int = 7,
    target: float | dict[str, float] = 0.02,
    warmup: int = 2,
) -> dict[str, Timing]:
    """Time each callable (seconds per call), interleaving the repeats of all of them.

    Records wall time and the process's CPU time per call. On one thread the CPU time is the
    work itself, unaffected by the scheduler handing the core to other users; with more
    threads it also counts threads spinning while they wait, so only wall time means much.

    Each callable is first called ``warmup`` times (work arrays, caches, lazy imports), then
    calibrated so that one repeat lasts about ``target`` seconds (a dict gives one target per
    name: 0 means a single call per repeat, for slow implementations).
    """
    loops = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        t = target.get(name, 0.02) if isinstance(target, dict) else target
        loops[name] = _loops_for(fn, t)
    out = {name: Timing(loops=loops[name]) for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            n = loops[name]
            c0 = time.process_time()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            out[name].samples.append((time.perf_counter() - t0) / n)
            out[name].cpu_samples.append((time.process_time() - c0) / n)
    return out


class LoadMonitor:
    """Samples the 1-minute load average every ``interval`` seconds in a daemon thread."""

    def __init__(self, interval: float = 2.0):
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.time()
        while not self._stop.is_set():
            self.samples.append((time.time() - t0, os.getloadavg()[0]))
            self._stop.wait(self.interval)

    def __enter__(self) -> LoadMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        loads = [v for _, v in self.samples] or [os.getloadavg()[0]]
        return {
            "load1_min": float(np.min(loads)),
            "load1_median": float(np.median(loads)),
            "load1_max": float(np.max(loads)),
            "n_samples": len(loads),
        }


def machine_info() -> dict:
    """CPU model, cores, Python/numpy/BLAS versions: what the numbers were measured on."""
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted(
            {
                f"{p.get('internal_api')} {p.get('version')} ({p.get('prefix')})"
                for p in threadpool_info()
            }
        )
    except ImportError:
        pass
    return info


def fmt_time(seconds: float) -> str:
    """Seconds as a short string in us, ms or s."""
    if not np.isfinite(seconds):
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_timing(t: Timing) -> str:
    """``median [min-max]`` in one unit."""
    med = t.median
    scale, unit = (1e6, "us") if med < 1e-3 else (1e3, "ms") if med < 1.0 else (1.0, "s")
    digits = 0 if med * scale >= 100 else 1
    return (
        f"{med * scale:.{digits}f} [{t.min * scale:.{digits}f}-{t.max * scale:.{digits}f}] {unit}"
    )
