"""The simulator's session and licence panel in Chromium: it follows the clock and the licence mistakes."""

from __future__ import annotations

import pytest
from conftest import wait_for_app
from playwright.sync_api import expect

from flowguide.sandbox.registry import default_registry

pytestmark = pytest.mark.browser

SLOTS = default_registry().sessions.license_slots


def _panel(page, base: str, query: str):
    page.goto(f"{base}/simulator?{query}")
    wait_for_app(page, timeout=60_000)
    panel = page.locator(".st-key-sim_sessions")
    expect(panel).to_be_visible(timeout=60_000)
    return panel


def test_the_panel_shows_the_session_and_frees_the_slot_when_the_clock_passes_20_minutes(
    streamlit_server, page
) -> None:
    panel = _panel(page, streamlit_server, "flow=authorization_code&step=api_call")
    expect(panel).to_contain_text(f"Licence slots in use: 1 of {SLOTS}", timeout=60_000)
    expect(panel).to_contain_text("The app's token (David) → Session ")
    panel.get_by_role("button", name="Clock +20 min").click()
    expect(panel).to_contain_text(f"Licence slots in use: 0 of {SLOTS}", timeout=60_000)
    expect(panel).to_contain_text("20 minutes without an API call")
    assert not page.console_errors, page.console_errors


def test_signing_out_in_the_panel_frees_the_slot(streamlit_server, page) -> None:
    panel = _panel(page, streamlit_server, "flow=authorization_code&step=api_call")
    expect(panel).to_contain_text(f"Licence slots in use: 1 of {SLOTS}", timeout=60_000)
    panel.get_by_role("button", name="Sign out (end session)").click()
    expect(panel).to_contain_text(f"Licence slots in use: 0 of {SLOTS}", timeout=60_000)
    expect(panel).to_contain_text("the user signed out")


@pytest.mark.parametrize(
    "query",
    [
        "flow=client_credentials&mistake=token_per_call&step=api_call",
        "flow=authorization_code&mistake=licences_in_use&step=api_call",
    ],
)
def test_a_licence_mistake_fills_every_slot_on_a_phone(streamlit_server, chromium, query: str) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        panel = _panel(page, streamlit_server, query)
        expect(panel).to_contain_text(f"Licence slots in use: {SLOTS} of {SLOTS} · all taken", timeout=60_000)
        expect(panel).to_contain_text("The token itself is valid.")
        # Nothing in the panel is wider than the phone's screen.
        widest = panel.evaluate("el => Math.max(...[...el.querySelectorAll('*')].map(e => e.scrollWidth))")
        assert widest <= panel.evaluate("el => el.clientWidth") + 1
    finally:
        context.close()
