"""Do the explorers and the course site work in a real browser, as a student would use them?

End to end, in headless Debian Chromium driven by Playwright (never a downloaded browser):

* JupyterLab: a temporary copy of lecture 2 is served on 127.0.0.1 and run with Run All; then
  the learning-rate slider is moved with the keyboard and the kernel must answer with a new
  label (``lr=... final loss=...``) and a new figure.
* The static site (issue 23): built from this checkout by ``backprop-course site`` and served
  by ``http.server`` on 127.0.0.1; from the home page the sidebar is followed to every lecture,
  whose math must be typeset, images loaded and kernel-free explorers must change their
  picture on every move of their slider.

Every request that is not to 127.0.0.1 is aborted and recorded, so nothing leaves the machine
(and the site test fails if a page asked for another host). A failed run leaves a screenshot
in test-artifacts/.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[1]
# another notebook using widgets.learning_rate_explorer can be tried by setting this variable
LECTURE = Path(
    os.environ.get(
        "BACKPROP_COURSE_BROWSER_NOTEBOOK", ROOT / "lectures" / "02_gradient_descent.ipynb"
    )
).resolve()
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TOKEN = "backprop-course-browser-test"
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    """No news or update checks; render every cell (windowing off) so off-screen widgets draw."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for rel, content in files.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))


@contextlib.contextmanager
def serve_lab(notebooks: Path, tmp_path: Path):
    """JupyterLab on 127.0.0.1 serving ``notebooks`` (settings, workspaces and runtime files in
    ``tmp_path``); yields its URL and stops it, and its kernels, afterwards. Also used by
    benchmarks/bench_explorers.py."""
    settings = tmp_path / "settings"
    _write_settings(settings)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    log = open(tmp_path / "jupyter.log", "wb")  # noqa: SIM115 - closed below
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={notebooks}",
        "--LabApp.extension_manager=readonly",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]
    proc = subprocess.Popen(
        cmd, cwd=notebooks, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError("jupyter lab exited:\n" + (tmp_path / "jupyter.log").read_text())
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not start within 60 s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        try:  # anything the server started in its session (kernels) that is still alive
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


def run_all(page, url: str, name: str) -> None:
    """Open notebook ``name`` in JupyterLab at ``url``, Run All, and wait for every cell."""
    page.goto(f"{url}/lab/tree/{name}?token={TOKEN}&reset")
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".jp-Notebook").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # every code cell has run: no prompt left empty or busy
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    expect(prompts.last).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=180_000)
    for text in prompts.all_inner_texts():
        assert text.strip().startswith("[") and "*" not in text, text


@pytest.fixture
def lab_server(tmp_path):
    """JupyterLab serving a temporary copy of the lecture on 127.0.0.1; stopped afterwards."""
    if not LECTURE.exists():
        pytest.fail(f"{LECTURE} is missing; the browser test serves it")
    if "learning_rate_explorer" not in LECTURE.read_text(encoding="utf-8"):
        pytest.fail(f"{LECTURE.name} does not use widgets.learning_rate_explorer")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(LECTURE, notebooks / LECTURE.name)
    try:
        with serve_lab(notebooks, tmp_path) as url:
            yield url, LECTURE.name, tmp_path
    except RuntimeError as exc:
        pytest.fail(str(exc))


def _only_local(route):
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()


# the bytes the <img> shows (ipywidgets serves them from a blob: URL that is new on every
# update, so comparing ``src`` alone would pass even if the picture were the same)
_IMAGE_DIGEST = """async (img) => {
    if (!img.src) return "";
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let h = 0;
    for (const b of bytes) h = (Math.imul(h, 31) + b) >>> 0;
    return bytes.length + ":" + h;
}"""


def _stable_image(img, page, quiet_ms: int = 1000, timeout_s: float = 60.0) -> str:
    """A digest of the image's bytes once they have not changed for ``quiet_ms``."""
    deadline = time.monotonic() + timeout_s
    last, since = img.evaluate(_IMAGE_DIGEST), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        now = img.evaluate(_IMAGE_DIGEST)
        if now != last:
            last, since = now, time.monotonic()
        elif last and time.monotonic() - since >= quiet_ms / 1000:
            return last
    raise AssertionError("the figure never settled")


def test_learning_rate_slider_redraws_in_jupyterlab(lab_server, request):
    url, name, tmp_path = lab_server
    assert Path(CHROMIUM).exists(), "Debian chromium is needed: apt-get install -y chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", _only_local)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            run_all(page, url, name)

            explorer = page.locator(".bc-lr-explorer").first
            expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
            label = explorer.locator(".widget-label").filter(has_text="final loss=").first
            expect(label).to_contain_text("lr=", timeout=TIMEOUT_MS)
            # the picture shown (the explorer keeps every position's picture in the page)
            img = explorer.locator("img").locator("visible=true").first
            before = _stable_image(img, page)
            before_label = label.inner_text()
            assert before_label.startswith("lr=") and "DIVERGED" not in before_label

            handle = explorer.locator(".noUi-handle").first  # the learning-rate slider
            for _ in range(3):  # one key step each (a tenth of a decade): a new figure each
                handle.focus()
                handle.press("ArrowRight")
                expect(label).not_to_have_text(before_label, timeout=TIMEOUT_MS)
                now = _stable_image(img, page)
                assert now != before, f"the figure did not change at {label.inner_text()!r}"
                before, before_label = now, label.inner_text()
            handle.focus()
            handle.press("End")  # the slider's largest rate, far above 2 / lambda_max
            expect(label).not_to_have_text(before_label, timeout=TIMEOUT_MS)
            after_label = label.inner_text()
            assert after_label.startswith("lr=3.16 ") and "DIVERGED" in after_label
            after = _stable_image(img, page)
            assert after != before, "the figure did not change"
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            log = tmp_path / "jupyter.log"
            if log.exists():
                shutil.copy(log, ARTIFACTS / f"{request.node.name}-jupyter.log")
            raise
        finally:
            context.close()
            browser.close()


# --------------------------------------------------------------------------------------------
# The static site
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_server(tmp_path_factory):
    """The site built from this checkout, served by http.server on 127.0.0.1."""
    from backprop_course.cli import main

    out = tmp_path_factory.mktemp("site") / "_site"
    assert main(["site", "--out", str(out), "--root", str(ROOT)]) == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


_MATH_STATE = """async () => {
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
    const math = [...document.querySelectorAll("span.math, div.math")];
    return {math: math.length,
            typeset: math.filter(m => m.querySelector("mjx-container")).length};
}"""
_BROKEN_IMAGES = """() => [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"""


def _move_and_check(explorer, page, moves: int = 3) -> int:
    """Move each slider of a kernel-free explorer ``moves`` times (and its dropdown once); the
    picture must change on every move. Returns the number of moves."""
    img = explorer.locator("img.bc-frame")
    done = 0
    select = explorer.locator("select.bc-group")
    if select.count():
        options = select.locator("option").all_inner_texts()
        before = img.get_attribute("src")
        current = select.input_value()
        select.select_option(next(o for o in options if o != current))
        assert img.get_attribute("src") != before, "choosing another graph/surface changed nothing"
        done += 1
    for slider in explorer.locator("input.bc-axis").all():
        for _ in range(moves):
            value, top = int(slider.input_value()), int(slider.get_attribute("max"))
            before, caption = img.get_attribute("src"), explorer.locator(".bc-caption")
            text = caption.inner_text()
            slider.focus()
            slider.press("ArrowRight" if value < top else "ArrowLeft")
            assert int(slider.input_value()) != value, "the slider did not move"
            assert img.get_attribute("src") != before, f"the picture did not change at {text!r}"
            done += 1
    return done


def test_site_lectures_math_images_and_explorers_offline(site_server, request):
    assert Path(CHROMIUM).exists(), "Debian chromium is needed: apt-get install -y chromium"
    left_the_site: list[str] = []

    def only_the_site(route):
        url = route.request.url
        if url.startswith((site_server + "/", "data:", "blob:")):
            route.continue_()
        else:
            left_the_site.append(url)
            route.abort()

    lectures = sorted(p.stem for p in (ROOT / "lectures").glob("[0-9]*.ipynb"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", only_the_site)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            page.goto(f"{site_server}/index.html")
            expect(page.locator("h1").first).to_contain_text("neural networks")
            moved = {}
            for stem in lectures:
                # follow the sidebar's navigation, as a reader would
                page.locator(f"nav.bd-docs-nav a[href$='{stem}.html']").first.click()
                page.wait_for_url(f"**/lectures/{stem}.html")
                page.wait_for_load_state("load")
                state = page.evaluate(_MATH_STATE)
                assert state["math"] > 0 and state["typeset"] == state["math"], (stem, state)
                assert page.evaluate(_BROKEN_IMAGES) == [], stem
                assert page.locator("nav.page-toc a").count() >= 3, f"{stem}: no contents"
                for explorer in page.locator(".bc-static-explorer").all():
                    explorer.scroll_into_view_if_needed()
                    expect(explorer).to_have_class(re.compile("bc-live"))
                    moved[f"{stem}/{explorer.get_attribute('data-explorer')}"] = _move_and_check(
                        explorer, page
                    )
            names = {k.split("/")[1] for k in moved}
            assert names == {"learning-rate", "backprop-stepper", "training"}, moved
            assert left_the_site == [], f"pages asked for other hosts: {left_the_site}"
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=False)
            raise
        finally:
            context.close()
            browser.close()
