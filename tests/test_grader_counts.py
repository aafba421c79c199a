"""Exercise 3's costs are the grader's own measurements: faking them from the kernel earns 0.

Each attack replaces the naive chain rule of a copy of the solution with code that computes
the gradients cheaply (backprop's linear sweep, or products with ``*``) and then tries to make
the grader believe it did the naive work: writing the counter's slots, replacing the counted
multiply's class, walking frames or the garbage collector to a counter, rewriting the kernel's
replies, forging records, probing the doubling multiply, or padding the calls to T(T-1)/2.
Every one must lose the naive part and the log-log part (which measures the naive function),
while the other parts keep their points (issue 22).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from backprop_course.grading import grade_batch
from backprop_course.grading.scoring.counters import CountingMul

ROOT = Path(__file__).resolve().parents[1]
#: the honest answers' pieces: the forward pass and g, h; the naive products; backprop's sweep
_CHAIN = (
    "ws = np.asarray(ws, dtype=float)\nT = len(ws)\nz = np.empty(T + 1)\nz[0] = x\n"
    "for t in range(T):\n    z[t + 1] = np.tanh(ws[t] * z[t])\ng = (1 - z[1:] ** 2) * ws\n"
    "h = (1 - z[1:] ** 2) * z[:-1]\ngrads = np.empty(T)\n"
)
_NAIVE = _CHAIN + (
    "for t in range(T):\n    prod = h[t]\n    for s in range(t + 1, T):\n"
    "        prod = mul(prod, g[s])\n    grads[t] = prod\nreturn grads"
)
_BP = _CHAIN + (
    "m = 1.0\nfor t in range(T - 1, -1, -1):\n    grads[t] = m * h[t]\n    if t > 0:\n"
    "        m = mul(m, g[t])\nreturn grads"
)
_REGION = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.S | re.M
)


def replace_solution(source: str, code: str) -> str:
    """Put ``code`` where the solution region of ``source`` is, at the region's indentation."""
    match = _REGION.search(source)
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), match.group(1))
    return source[: match.start()] + body + source[match.end() :]


SOURCE = ROOT / "solutions" / "03_naive_gradients.ipynb"
NAIVE, SLOPE = "naive_chain_gradients_tests", "loglog_slope_tests"
FULL = {
    "central_difference_tests": 2.0,
    "finite_difference_gradients_tests": 3.0,
    NAIVE: 3.0,
    "backprop_chain_gradients_tests": 3.0,
    SLOPE: 2.0,
    "train_with_finite_differences_tests": 3.0,
}

#: backprop's sweep with mul, the gradients written as m * h: T - 1 calls of mul
SWEEP = _BP.removesuffix("return grads")
PAD = "for _ in range(T * (T - 1) // 2 - max(T - 1, 0)):\n    mul(1.0, 1.0)\n"

ATTACKS = {
    # the linear sweep through mul, padded with calls nothing uses
    "pads_the_count": SWEEP + PAD + "return grads",
    # the same, each padding call multiplying real factors of the chain
    "pads_with_real_factors": SWEEP + "extra = T * (T - 1) // 2 - max(T - 1, 0)\n"
    "for t in range(T):\n    for s in range(t + 1, T):\n        if extra > 0:\n"
    "            mul(h[t], g[s])\n            extra -= 1\nreturn grads",
    # products with *, scaled when mul turns out to double (probed with mul(1.0, 1.0))
    "probes_the_doubling_mul": _CHAIN + "k, calls = float(mul(1.0, 1.0)), 1\n"
    "for t in range(T):\n    prod = h[t]\n    for s in range(t + 1, T):\n"
    "        prod = prod * g[s] * k\n        if calls < T * (T - 1) // 2:\n"
    "            mul(g[s], 1.0)\n            calls += 1\n    grads[t] = prod\nreturn grads",
    # writes every slot of the counted multiply it can, after the cheap sweep
    "writes_the_counters_slots": SWEEP + "for name in dir(type(mul)):\n    try:\n"
    "        setattr(mul, name, T * (T - 1) // 2)\n    except Exception:\n        pass\n"
    "return grads",
    # replaces the class's __call__ (and any calls method) to count without multiplying
    "replaces_the_counted_class": "cls = type(mul)\n"
    "def fake_call(self, a, b):\n    return a * b\n"
    "try:\n    cls.__call__ = fake_call\n    cls.calls = lambda self: 10**6\nexcept Exception:\n"
    "    pass\n" + _NAIVE,
    # walks frames and the garbage collector for anything holding a count
    "walks_frames_and_gc": SWEEP
    + "import gc, sys\nframe = sys._getframe()\nwhile frame is not None:\n"
    "    for key, value in list(frame.f_locals.items()):\n"
    "        if hasattr(value, 'count') and not isinstance(value, type):\n"
    "            try:\n                value.count = T * (T - 1) // 2\n"
    "            except Exception:\n                pass\n"
    "    frame = frame.f_back\n"
    "try:\n    for obj in gc.get_objects():\n"
    "        if type(obj).__name__ in ('Counted', 'CountingMul'):\n"
    "            obj.count = T * (T - 1) // 2\nexcept Exception:\n    pass\n"
    "return grads",
    # forges the twin's records through the pipe: T(T-1)/2 calls, and a product per gradient
    "forges_records": SWEEP
    + "import os\nfd = int(os.environ.get('BACKPROP_COURSE_RECORDS_FD', '-1'))\n"
    "key = type(mul)._key.__get__(mul)\n"
    "lines = [f'm {key} {float(grads[t] / h[t]).hex()} {float(h[t]).hex()} {float(grads[t]).hex()}'"
    " for t in range(T) if h[t] != 0]\n"
    "lines += [f'c {key}'] * (T * (T - 1) // 2 - max(T - 1, 0) - len(lines))\n"
    "os.write(fd, ('\\n'.join(lines) + '\\n').encode())\nreturn grads",
    # rewrites the helper's replies on their way out (nothing in them is a count)
    "rewrites_the_replies": "from IPython import display\nimport json\n"
    "if not getattr(display, '_patched', False):\n"
    "    original = display.publish_display_data\n"
    "    def forged(data, *args, **kwargs):\n"
    "        data = {k: v.replace('\"count\": ', '\"count\": 1') if isinstance(v, str) else v"
    " for k, v in data.items()}\n"
    "        return original(data, *args, **kwargs)\n"
    "    display.publish_display_data = forged\n    display._patched = True\n"
    + SWEEP
    + PAD
    + "return grads",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("counts")
    solution = nbformat.read(SOURCE, as_version=4)
    paths = []
    for name, code in {"honest": None, **ATTACKS}.items():
        nb = nbformat.from_dict(solution)
        for cell in nb.cells:
            if (
                code
                and cell.metadata.get("nbgrader", {}).get("grade_id") == "naive_chain_gradients"
            ):
                cell.source = replace_solution(cell.source, code)
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    reports = grade_batch(SOURCE, paths, folder / "out", jobs=2, timeout=60, progress=False)
    return {r.submission.rsplit("/", 1)[-1].removesuffix(".ipynb"): r for r in reports}


def test_the_honest_solution_keeps_full_marks(graded):
    report = graded["honest"]
    assert {gid: p.points for gid, p in report.parts.items()} == FULL, report.summary()


#: Parts an attack loses besides the naive one: replacing the counted multiply's class for the
#: whole kernel silences every later counter (its own loss), the log-log part's measurement of
#: the reference chains included. The other attacks keep the log-log part, which is graded on
#: loglog_slope alone (issue 21: the chains it measures are the references).
ALSO_LOST = {
    "replaces_the_counted_class": {
        SLOPE,
        "backprop_chain_gradients_tests",
        "train_with_finite_differences_tests",
    }
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_faking_the_naive_cost_earns_nothing(graded, name):
    report = graded[name]
    lost = {NAIVE} | ALSO_LOST.get(name, set())
    expected = {gid: (0.0 if gid in lost else pts) for gid, pts in FULL.items()}
    assert {gid: p.points for gid, p in report.parts.items()} == expected, report.summary()


def test_the_cheap_sweep_gives_the_right_gradients_so_only_the_cost_catches_it():
    """The attacks' gradients are right: what fails them is the measured cost alone."""
    import numpy as np

    ws, x = np.array([0.9, -1.2, 0.7, 1.1]), 0.8
    naive, sweep = {}, {}
    exec("def f(ws, x, mul):\n" + _indent(_NAIVE), {"np": np}, naive)
    exec("def f(ws, x, mul):\n" + _indent(SWEEP + PAD + "return grads"), {"np": np}, sweep)
    honest, padded = CountingMul(), CountingMul()
    expected = naive["f"](ws, x, honest)
    got = sweep["f"](ws, x, padded)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert honest.count == padded.count == 6
    assert honest.products_in(expected) == 6 and padded.products_in(got) == 0


def _indent(code: str) -> str:
    return "".join("    " + line + "\n" for line in code.splitlines())
