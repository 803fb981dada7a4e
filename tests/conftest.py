"""Shared fixtures: AppTest runs of a page, a real `streamlit run` server, and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
# The product's documentation, beside the checkout (../shared); tests that read it skip without it.
PRODUCT_DOCS = ROOT.parent / "shared" / "reference" / "erpnet-docs"
CHROMIUM = "/usr/bin/chromium"
STREAMLIT_PROBES = ("/_stcore/health", "/_stcore/host-config")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def run_page(page: str, query: Mapping[str, str] | None = None, timeout: float = 60) -> AppTest:
    """Run app.py through AppTest on one page (its file under flowguide/pages/), with query params."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "home":
        at.switch_page(f"flowguide/pages/{page}.py")
        at.run()
    return at


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def streamlit_server() -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port; yields its base URL."""
    port = _free_port()
    log = ROOT / ".pytest_cache" / "streamlit-server.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/_stcore/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited early; see {log}")
                time.sleep(0.3)
            else:
                pytest.fail("streamlit did not become healthy in 60 s")
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=15)


@pytest.fixture
def sb():
    """A fresh in-process sandbox for one test (a module may define its own ``sb`` instead)."""
    from flowguide.sandbox import Sandbox

    return Sandbox()


@pytest.fixture
def client(sb) -> httpx.Client:
    """An httpx client that reaches ``sb`` in-process."""
    return sb.http_client()


@pytest.fixture(scope="module")
def served():
    """The standalone sandbox (`python -m flowguide.sandbox`) on a free loopback port, in a thread."""
    from flowguide.sandbox.__main__ import build_server

    sandbox, server = build_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sandbox
    finally:
        server.shutdown()
        server.server_close()


def serious_violations(page) -> list[str]:
    """What an axe-core scan of the page finds at impact serious or critical, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; skips with a reason outside CI when it is missing."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing, and browser tests must run in CI")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser page that fails the test on console errors."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        url = (msg.location or {}).get("url", "")
        # Streamlit's front end probes <page path>/_stcore/* to find its base path before it tries the root.
        if msg.type == "error" and not url.endswith(STREAMLIT_PROBES):
            errors.append(f"{msg.text} ({url})")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.console_errors = errors
    yield pg
    context.close()


def wait_for_app(pg, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (no running indicator)."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMainBlockContainer\"]')",
        timeout=timeout,
    )
    pg.wait_for_timeout(300)


@pytest.fixture(scope="session")
def product_docs() -> Path:
    """The product's documentation folder, or a skip that says where it was looked for."""
    if not PRODUCT_DOCS.is_dir():
        pytest.skip(f"the product documentation is not beside the project ({PRODUCT_DOCS})")
    return PRODUCT_DOCS
