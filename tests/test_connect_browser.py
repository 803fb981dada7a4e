"""/connect in Chromium against the standalone sandbox: what a click shows, and a sign-in with no paste.

The sign-in uses the page's own address as the redirect URI. web-portal registers
``http://localhost:8501/connect`` (content/sandbox.yaml), and a redirect URI matches exactly, port
included, so that test serves the app on port 8501 itself: it skips (fails in CI) when the port is taken.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import APP, ROOT, wait_for_app
from fixtures.demo import DAVID, NIGHTLY_SYNC, WEB_PORTAL, StandaloneSandbox
from playwright.sync_api import expect

pytest_plugins = ["fixtures.real_sandbox"]
pytestmark = pytest.mark.browser

OWN_PORT = 8501
OWN_CALLBACK = f"http://localhost:{OWN_PORT}/connect"
VALID = "Valid: every check passed against the provider's published keys"


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def app_on_own_port() -> Iterator[str]:
    """`streamlit run app.py` on port 8501, the port of the redirect URI web-portal registers."""
    if _port_taken(OWN_PORT):
        reason = f"port {OWN_PORT} is taken, and {OWN_CALLBACK} (web-portal's registered redirect URI) needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    log = ROOT / ".pytest_cache" / "streamlit-connect-8501.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless=true"]
            + [f"--server.port={OWN_PORT}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(f"http://127.0.0.1:{OWN_PORT}"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not serve on port {OWN_PORT}; see {log}")
            time.sleep(0.3)
        yield f"http://localhost:{OWN_PORT}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/_stcore/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _connect(pg, base: str, sandbox: StandaloneSandbox, flow: str) -> None:
    pg.goto(f"{base}/connect?instance={sandbox.base_url}&flow={flow}")
    wait_for_app(pg)
    pg.get_by_role("button", name="Connect").click()
    pg.get_by_text("What the provider publishes").wait_for(timeout=30_000)
    wait_for_app(pg)


def test_the_api_answer_shows_under_the_button_on_the_first_click(
    page, streamlit_server: str, standalone_sandbox: StandaloneSandbox
) -> None:
    _connect(page, streamlit_server, standalone_sandbox, "client_credentials")
    page.get_by_label("Client id (the Trusted Application's ApplicationUri)").fill(NIGHTLY_SYNC.client_id)
    page.get_by_label("Client secret").fill(NIGHTLY_SYNC.client_secret or "")
    page.get_by_role("button", name="Request a token").click()
    page.get_by_text(VALID).first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Call the API").click()
    wait_for_app(page)
    # The sandbox serves the default path, /api/domain/odata/$metadata, to a token with read.
    answer = page.get_by_text("The API answered HTTP 200.")
    answer.wait_for(timeout=10_000)
    button = page.get_by_role("button", name="Call the API").bounding_box()
    shown = answer.bounding_box()
    assert button and shown and shown["y"] > button["y"], "the answer is not drawn under the button"
    assert page.console_errors == []


def test_authorization_code_comes_back_to_this_page_with_no_paste(
    chromium, app_on_own_port: str, standalone_sandbox: StandaloneSandbox
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        pg = context.new_page()
        _connect(pg, app_on_own_port, standalone_sandbox, "authorization_code")
        # The redirect URI field starts as this page's own address, which web-portal registers.
        # (Filled once the browser's address has reached the server, which can take one more run.)
        redirect = pg.get_by_label("Redirect URI (registered with the application)")
        expect(redirect).to_have_value(OWN_CALLBACK, timeout=15_000)
        assert pg.get_by_text(OWN_CALLBACK, exact=True).first.is_visible()
        pg.get_by_label("Client id (the Trusted Application's ApplicationUri)").fill(WEB_PORTAL.client_id)
        pg.get_by_label("Client secret (only for a Confidential application)").fill(WEB_PORTAL.client_secret or "")
        pg.get_by_label("Scope").fill(WEB_PORTAL.scope)
        pg.get_by_role("button", name="Build the authorization URL").click()
        wait_for_app(pg)
        with context.expect_page() as opened:
            pg.get_by_role("link", name="Open the sign-in page in a new tab").click()
        tab = opened.value
        tab.wait_for_load_state()
        tab.fill("input[name=username]", DAVID[0])
        tab.fill("input[name=password]", DAVID[1])
        tab.click("form:has(input[name=password]) [type=submit]")
        tab.click("button[name=decision][value=allow]")
        tab.wait_for_url(f"{OWN_CALLBACK}**", timeout=15_000)
        tab.get_by_text(VALID).first.wait_for(timeout=30_000)
        wait_for_app(tab)
        # The code left the address bar at once; only public choices stay in it.
        assert "code=" not in tab.url and "state=" not in tab.url, tab.url
        assert tab.url.startswith(OWN_CALLBACK + "?")
        assert tab.get_by_text("You are signed in").is_visible()
        assert tab.get_by_text("Refresh the tokens").is_visible()
    finally:
        context.close()
