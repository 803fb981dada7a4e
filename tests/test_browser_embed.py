"""The app inside another page's iframe with Streamlit's ?embed=true, as documentation sites embed it."""

from __future__ import annotations

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_guide_works_embedded_in_an_iframe(streamlit_server, page, tmp_path) -> None:
    src = f"{streamlit_server}/guide?signin=yes&unattended=no&client=web&embed=true"
    host = tmp_path / "docs-page.html"
    host.write_text(
        f'<!doctype html><html lang="en"><title>Docs</title><h1>Docs page</h1>'
        f'<iframe title="Flow Guide" src="{src}" width="1100" height="800"></iframe></html>',
        encoding="utf-8",
    )
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.get_by_text("Authorization Code with PKCE").first.wait_for(timeout=30_000)
    # Embedded, the answers from the URL still drive the page, and the reader can change them.
    frame.get_by_text("Yes, something runs unattended").click()
    frame.get_by_text("Hybrid: Authorization Code and Client Credentials").first.wait_for(timeout=20_000)
    assert page.console_errors == []


def test_walkthrough_step_embedded(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/flows?flow=client_credentials&step=token&embed=true")
    wait_for_app(page)
    # Embedded, the step is still drawn large with its own arrows highlighted.
    focus = page.locator("svg.fg-svg[data-diagram='walkthrough-focus']")
    focus.first.wait_for(timeout=20_000)
    current = focus.first.locator("g.edge.message.current")
    assert [current.nth(i).get_attribute("id") for i in range(current.count())] == [
        "walkthrough-focus-msg_3",
        "walkthrough-focus-msg_4",
    ]
    box = focus.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert page.get_by_text("Step 2 of 4").count() == 1
