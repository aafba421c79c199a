"""How long from moving an explorer's control to its new figure, in real JupyterLab? (issue 21)

For each widget of the lectures (the learning-rate explorer of lecture 2, the backprop stepper
of lecture 5, the training explorer of lecture 7) this serves a temporary copy of the lecture
with JupyterLab on 127.0.0.1 (the helpers of tests/test_browser.py), opens it in headless
Debian Chromium through Playwright with every other host blocked, runs all cells, and then
moves the widget's control ``--moves`` times: the learning-rate slider by one keyboard step
(with ``continuous_update=False`` a key press is one release), or the stepper's step/back
button by a click and then its step slider by one keyboard step. Each move is timed in the
page, from the key press or pointer press to the moment the widget's visible ``<img>`` is the
new picture, decoded, at the next animation frame.
Every move must give a new picture (a move whose picture never changes is an error).

    .venv/bin/python benchmarks/bench_explorers.py        # about 3 minutes on 2 cores

writes ``benchmarks/results/explorers.json`` (every sample, the machine's load, versions) and
``explorers.md`` (p50, p90 and max per explorer against the targets: 60 ms p50, 100 ms p90).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    _only_local,
    run_all,
    serve_lab,
)

TARGET_P50_MS, TARGET_P90_MS = 60.0, 100.0

#: lecture -> (explorer's CSS class, what is moved: each is timed). The stepper's buttons
#: need the kernel (a button's click is handled there); its step slider does not.
EXPLORERS = {
    "02_gradient_descent": ("bc-lr-explorer", ("slider",)),
    "05_backprop_derivation": ("bc-backprop-stepper", ("buttons", "slider")),
    "07_training_with_sgd": ("bc-training-explorer", ("slider",)),
}
MOVED = {
    ("bc-lr-explorer", "slider"): "learning-rate slider, one key step",
    ("bc-backprop-stepper", "buttons"): "step/back button",
    ("bc-backprop-stepper", "slider"): "step slider, one key step",
    ("bc-training-explorer", "slider"): "learning-rate slider, one key step",
}

# Resolves with the milliseconds from the next key or pointer press to the widget showing a
# new, decoded picture (painted at the next animation frame): its visible <img> is another
# element (the explorers keep every picture in the page and show one) or has another ``src``.
_ARM = """(root) => {
    const shown = () => [...root.querySelectorAll("img")].find((i) => i.checkVisibility());
    const oldImg = shown();
    const old = oldImg ? oldImg.src : null;
    const start = {t: null};
    const mark = () => { if (start.t === null) start.t = performance.now(); };
    document.addEventListener("keydown", mark, {capture: true, once: true});
    document.addEventListener("pointerdown", mark, {capture: true, once: true});
    window.__bcMove = new Promise((resolve) => {
        let done = false;
        const obs = new MutationObserver(async () => {
            const img = shown();
            if (done || !img || !img.src || (img === oldImg && img.src === old)) return;
            done = true;
            obs.disconnect();
            try { await img.decode(); } catch (e) {}
            requestAnimationFrame(() => resolve(performance.now() - start.t));
        });
        obs.observe(root, {subtree: true, childList: true, attributes: true,
                           attributeFilter: ["src", "class", "style"]});
    });
}"""


def _percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _move(page, root, how: str, state: dict) -> None:
    """One move of the explorer's control, reversing at either end."""
    if how == "slider":
        handle = root.locator(".noUi-handle").first  # the learning-rate slider
        now = float(handle.get_attribute("aria-valuenow"))
        lo = float(handle.get_attribute("aria-valuemin"))
        hi = float(handle.get_attribute("aria-valuemax"))
        if now >= hi - 1e-9:
            state["dir"] = "ArrowLeft"
        elif now <= lo + 1e-9:
            state["dir"] = "ArrowRight"
        handle.focus()
        handle.press(state.get("dir", "ArrowRight"))
    else:
        # where the stepper is, from the kernel's own label "step k/N" (the buttons' disabled
        # state may arrive after the picture)
        label = root.locator(".widget-label").filter(has_text=re.compile(r"step \d+/\d+"))
        label = label.first.inner_text()
        k, n = (int(x) for x in label.split()[1].split("/"))
        if k >= n:
            state["dir"] = "back"
        elif k <= 0:
            state["dir"] = "step"
        root.get_by_role("button", name=state.get("dir", "step")).click()


def measure(page, url: str, lecture: str, moves: int) -> dict[str, list[float]]:
    """``{what is moved: samples in ms}`` for the lecture's explorer."""
    css, hows = EXPLORERS[lecture]
    run_all(page, url, f"{lecture}.ipynb")
    root = page.locator(f".{css}").first
    root.scroll_into_view_if_needed()
    expect(root.locator("img").first).to_have_attribute("src", re.compile(r".+"))
    page.wait_for_timeout(1500)  # let the first picture and the kernel settle
    out = {}
    for how in hows:
        samples, state = [], {}
        for _ in range(2 + moves):  # the first two are warm-up, not recorded
            root.evaluate(_ARM)
            _move(page, root, how, state)
            ms = page.evaluate("window.__bcMove")
            samples.append(float(ms))
            page.wait_for_timeout(400)  # the label and the other widgets' updates land
        out[how] = samples[2:]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=20, help="timed moves per explorer")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bc-bench-") as tmp:
        tmp = Path(tmp)
        notebooks = tmp / "notebooks"
        notebooks.mkdir()
        for lecture in EXPLORERS:
            shutil.copy(ROOT / "lectures" / f"{lecture}.ipynb", notebooks)
        with serve_lab(notebooks, tmp) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", _only_local)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            try:
                for lecture, (css, _) in EXPLORERS.items():
                    t0 = time.monotonic()
                    for how, samples in measure(page, url, lecture, args.moves).items():
                        key = css if how == EXPLORERS[lecture][1][0] else f"{css}/{how}"
                        results[key] = {
                            "lecture": lecture,
                            "moved": MOVED[css, how],
                            "samples_ms": [round(x, 1) for x in samples],
                            "p50_ms": round(statistics.median(samples), 1),
                            "p90_ms": round(_percentile(samples, 0.9), 1),
                            "max_ms": round(max(samples), 1),
                            "seconds": round(time.monotonic() - t0, 1),
                        }
                        r = results[key]
                        print(f"{key}: p50 {r['p50_ms']} ms, p90 {r['p90_ms']}")
                    # stop this lecture's kernel so it does not compete with the next one
                    page.get_by_role("menuitem", name="Kernel", exact=True).click()
                    page.get_by_role("menuitem", name="Shut Down Kernel", exact=True).click()
            finally:
                context.close()
                browser.close()
    from importlib.metadata import version

    import ipywidgets
    import jupyterlab

    record = {
        "targets_ms": {"p50": TARGET_P50_MS, "p90": TARGET_P90_MS},
        "moves": args.moves,
        "explorers": results,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {
            "jupyterlab": jupyterlab.__version__,
            "ipywidgets": ipywidgets.__version__,
            "playwright": version("playwright"),
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "explorers.json").write_text(json.dumps(record, indent=1) + "\n")
    lines = [
        "# Explorer latency in JupyterLab (issue 21)",
        "",
        f"`benchmarks/bench_explorers.py`, {record['date']}: {args.moves} timed moves per "
        f"explorer in headless Chromium, from key or pointer press to the new picture decoded "
        f"and painted. {os.cpu_count()} cores, load average "
        f"{record['load_before'][0]:.2f} before and {record['load_after'][0]:.2f} after (other "
        "users of the machine included).",
        "",
        "| explorer | lecture | moved | p50 ms | p90 ms | max ms | target met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for css, r in results.items():
        moved = r["moved"]
        met = r["p50_ms"] <= TARGET_P50_MS and r["p90_ms"] <= TARGET_P90_MS
        lines.append(
            f"| {css} | {r['lecture']} | {moved} | {r['p50_ms']} | {r['p90_ms']} | "
            f"{r['max_ms']} | {'yes' if met else 'NO'} |"
        )
    lines.append("")
    (args.out / "explorers.md").write_text("\n".join(lines))
    print((args.out / "explorers.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
