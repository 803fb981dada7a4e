"""/tokens in Debian's Chromium: the sample token, pasting, and no token in the address bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def test_tokens_page_in_chromium(streamlit_server, page):
    SHOTS.mkdir(exist_ok=True)
    # Streamlit scrolls inside its own container, so a tall window is what shows the whole page.
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.goto(f"{streamlit_server}/tokens?token=eyJhbGciOiJub25lIn0.e30.")
    wait_for_app(page)
    page.get_by_text("never belong in URLs").wait_for()
    assert "token=" not in page.url and "eyJ" not in page.url

    page.get_by_role("button", name="Use a sample token from the sandbox").click()
    page.get_by_text("Valid: every check passed").wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_role("cell", name="sync-bot").wait_for()
    assert page.get_by_text("Service access token").first.is_visible()
    assert page.get_by_role("cell", name="client_system_user", exact=True).is_visible()
    page.screenshot(path=str(SHOTS / "tokens-sample.png"), full_page=True)

    box = page.get_by_role("textbox", name="Token", exact=True)
    box.fill("Bearer not-a.jwt")
    page.get_by_role("button", name="Inspect").click()
    page.get_by_text("A JWT has three parts").wait_for()
    wait_for_app(page)
    page.screenshot(path=str(SHOTS / "tokens-malformed.png"), full_page=True)
    assert box.input_value() == ""
    assert "eyJ" not in page.url and "token" not in page.url.split("/tokens", 1)[1]
    assert page.console_errors == []
