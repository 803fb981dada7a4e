"""Speed of the app against a bare Streamlit page measured in the same run (issue 8).

1. Cold start: from `streamlit run` to the first page fully drawn in Chromium, its diagram included
   (median of N starts).
2. Server-side rerun time per page: a warm AppTest rerun of each page (median of N reruns).

    python scripts/bench_pages.py [--starts 5] [--reruns 15]

Prints figures and ratios; it asserts nothing (aims: cold start within 1.3x, reruns within 3x).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import SCRIPT_RUNS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BARE = ROOT / "scripts" / "bare_page.py"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# (label, page file for AppTest.switch_page, URL path for the browser, what is on the page once drawn)
PAGES = [
    ("start", None, "/", "How apps sign in to"),
    ("guide", "flowguide/pages/guide.py", "/guide?signin=yes&unattended=yes&client=web", "Trusted Application 2 of 2"),
    ("flows", "flowguide/pages/flows.py", "/flows?flow=authorization_code&step=token", "Exchange the code"),
    ("simulator", "flowguide/pages/simulator.py", "/simulator?flow=authorization_code", "Live simulator"),
    ("tokens", "flowguide/pages/tokens.py", "/tokens", "Token inspector"),
    ("review", "flowguide/pages/review.py", "/review?signin=yes&unattended=no&client=spa", "Design review"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(script: Path, path: str, marker: str, browser, drawn: str | None = None) -> float:
    """Seconds from launching `streamlit run` to the page drawn with its marker text and no running script.

    ``drawn`` also waits for an element that lands after the text (the start page's diagram, which a
    component draws once its script has loaded).
    """
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless=true",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}{path}")
        page.get_by_text(marker, exact=False).first.wait_for(timeout=60_000)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        if drawn:
            page.locator(drawn).first.wait_for(timeout=60_000)
        elapsed = time.perf_counter() - started
        page.close()
        return elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def rerun_times(page_file: str | None, query: str, reruns: int, script: Path = ROOT / "app.py") -> list[float]:
    """Seconds per warm rerun of one page, as the server's script runner spends them."""
    at = AppTest.from_file(str(script), default_timeout=120)
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        at.query_params[key] = value
    at.run()
    if page_file:
        at.switch_page(page_file)
        at.run()
    SCRIPT_RUNS.clear()
    for _ in range(reruns):
        at.run()
    times = [ms / 1000 for ms in SCRIPT_RUNS]
    if at.exception:
        raise RuntimeError(f"{page_file}: {at.exception[0].message}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--reruns", type=int, default=15)
    opts = parser.parse_args()

    if opts.starts:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            bare, app = [], []
            for _ in range(opts.starts):  # interleaved, so drift on a shared machine hits both alike
                bare.append(cold_start(BARE, "/", "Nothing else.", browser))
                app.append(cold_start(ROOT / "app.py", "/", "How apps sign in to", browser, drawn="svg.fg-svg"))
            browser.close()
        b, a = statistics.median(bare), statistics.median(app)
        print(f"cold start to first page drawn: app {a:.2f} s, bare page {b:.2f} s, ratio {a / b:.2f}x (aim <= 1.3x)")

    bare_rerun = statistics.median(rerun_times(None, "", opts.reruns, BARE))
    print(f"server-side rerun, bare page: {bare_rerun * 1000:.1f} ms")
    for label, page_file, path, _marker in PAGES:
        if page_file and not (ROOT / page_file).exists():
            continue
        query = path.partition("?")[2]
        median = statistics.median(rerun_times(page_file, query, opts.reruns))
        print(f"server-side rerun, {label:9s}: {median * 1000:7.1f} ms, {median / bare_rerun:5.1f}x bare (aim <= 3x)")


if __name__ == "__main__":
    main()
