"""Embedded with ?embed=true in a documentation page's iframe, a page shows alone: no navigation, no
"Link to this"; and it still works. The same page opened directly keeps both (so the checks can fail)."""

from __future__ import annotations

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser

NAVIGATION = "[data-testid='stSidebarNav'], [data-testid='stSidebar'], [data-testid='stTopNavLinkContainer']"
SIMULATOR = "/simulator?flow=client_credentials&step=1"


def _docs_page(tmp_path, src: str):
    host = tmp_path / "docs-page.html"
    host.write_text(
        '<!doctype html><html lang="en"><title>Docs</title><h1>Client Credentials, live</h1>'
        f'<iframe title="Flow Guide simulator" src="{src}" width="1000" height="800"></iframe></html>',
        encoding="utf-8",
    )
    return host.as_uri()


def test_an_embedded_simulator_has_no_navigation_and_no_link_chrome(streamlit_server, page, tmp_path) -> None:
    page.goto(_docs_page(tmp_path, f"{streamlit_server}{SIMULATOR}&embed=true"))
    frame = page.frame_locator("iframe")
    frame.get_by_text("Step 1 of 4", exact=True).wait_for(timeout=30_000)
    frame.get_by_role("heading", name="1. Read the discovery document").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    assert frame.locator(NAVIGATION).count() == 0
    assert frame.get_by_text("Link to this").count() == 0
    # It still runs: Next takes the reader on inside the documentation page.
    frame.get_by_role("button", name="Next", exact=True).click()
    frame.get_by_text("Step 2 of 4", exact=True).wait_for(timeout=30_000)
    page.screenshot(path="/tmp/shots/simulator_embedded.png")
    assert page.console_errors == []


def test_the_same_page_opened_directly_has_its_navigation_and_link(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}{SIMULATOR}")
    wait_for_app(page)
    page.get_by_text("Step 1 of 4", exact=True).wait_for(timeout=30_000)
    assert page.locator(NAVIGATION).count() > 0
    assert page.get_by_text("Link to this").count() == 1


def test_an_embedded_walkthrough_has_no_navigation(streamlit_server, page, tmp_path) -> None:
    page.goto(_docs_page(tmp_path, f"{streamlit_server}/flows?flow=client_credentials&step=token&embed=true"))
    frame = page.frame_locator("iframe")
    frame.get_by_text("Step 2 of 4").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    assert frame.locator(NAVIGATION).count() == 0
