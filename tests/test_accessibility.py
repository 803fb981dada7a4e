"""Accessibility: an axe-core scan of every page in Chromium, light and dark, and text alternatives."""

from __future__ import annotations

import pytest
from conftest import serious_violations, wait_for_app

from flowguide import diagrams

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/guide",
    "/guide?signin=yes&unattended=yes&client=spa&long_sessions=yes",
    "/guide?signin=no&unattended=no",
    "/flows?flow=authorization_code&step=token",
    "/flows?flow=hybrid&step=service_token",
    "/simulator?flow=authorization_code",
    "/simulator?flow=client_credentials&mistake=wrong_client_secret",
    "/tokens",
    "/review?signin=yes&unattended=yes&client=web",
    "/connect",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_violations(streamlit_server, chromium, path: str, scheme: str) -> None:
    context = chromium.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(streamlit_server + path)
        wait_for_app(page)
        page.wait_for_timeout(1500)  # charts lay out in the browser after the script has finished
        bad = serious_violations(page)
        assert not bad, "\n".join(bad)
    finally:
        context.close()


@pytest.mark.parametrize("diagram_id", diagrams.diagram_ids())
def test_every_diagram_has_a_text_alternative_covering_each_message(diagram_id: str) -> None:
    spec = diagrams.load_spec(diagram_id)
    words = diagrams.text_alternative(spec)
    assert len(words) == len(spec.messages)
    assert all(len(line.split()) >= 3 for line in words)


def test_charts_on_the_page_carry_their_words(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/flows?flow=client_credentials&step=token")
    wait_for_app(page)
    # Each drawn view names itself in words: a screen reader reads the step's arrows from the SVG's label.
    for view in ("focus", "whole"):
        svg = page.locator(f"svg.fg-svg[role='img'][data-diagram='walkthrough-{view}']")
        assert "POST /connect/token" in (svg.get_attribute("aria-label") or ""), view
    # And the diagram in words, in its own expander (the whole diagram's SVG is in the page too, hidden).
    words = page.locator("[data-testid='stExpander']").filter(has_text="The diagram in words")
    words.get_by_text("The diagram in words").click()
    words.get_by_text("POST /connect/token grant_type=client_credentials", exact=False).first.wait_for(timeout=10_000)
