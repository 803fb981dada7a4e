"""An exported design review opened in Debian's Chromium: it loads nothing, and its diagrams draw."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_for_app

from flowguide.review import build_review, to_html

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")
ANSWERS = {"signin": "yes", "unattended": "yes", "client": "spa", "long_sessions": "yes", "service_writes": "yes"}


def test_exported_html_in_chromium(page, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    review = build_review(ANSWERS)
    exported = tmp_path / "design-review.html"
    exported.write_text(to_html(review), encoding="utf-8")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(exported.as_uri())
    page.wait_for_load_state("networkidle")
    # The file itself is the only thing the page asks for.
    assert requested == [exported.as_uri()]
    assert page.title().startswith("Design review: Hybrid")
    figures = page.locator("figure.diagram svg")
    assert figures.count() == len(review.diagrams)
    viewport_width = page.viewport_size["width"]
    for i in range(figures.count()):
        box = figures.nth(i).bounding_box()
        assert box and box["height"] > 100 and 0 < box["width"] <= viewport_width
    assert page.locator("li.task").count() == len(review.checklist)
    assert page.locator("ol.words").count() == len(review.diagrams)
    assert page.locator(".toc > ul > li").count() >= 8  # the sections, not the title
    page.screenshot(path=str(SHOTS / "review-export.png"), full_page=True)

    page.emulate_media(media="print")
    assert not page.locator(".toc").is_visible()
    page.screenshot(path=str(SHOTS / "review-export-print.png"), full_page=True)
    assert page.console_errors == []


def test_review_page_in_chromium(streamlit_server, page):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.goto(f"{streamlit_server}/review?signin=yes&unattended=no&client=web&long_sessions=yes")
    wait_for_app(page)
    page.get_by_role("heading", name="Design review: Authorization Code with PKCE").wait_for()
    page.screenshot(path=str(SHOTS / "review-page.png"), full_page=True)
    downloads = page.locator("[data-testid='stDownloadButton']")
    assert downloads.count() == 2
    assert "Markdown" in downloads.nth(0).inner_text() and "HTML page" in downloads.nth(1).inner_text()
    drawn = page.locator("svg.fg-svg[data-diagram]")
    drawn.nth(1).wait_for()  # each diagram lands a moment after the page's text (a component draws it)
    names = [drawn.nth(i).get_attribute("data-diagram") for i in range(drawn.count())]
    assert names == ["review_authorization_code-whole", "review_refresh-whole"]  # the flow and refresh
    for i in range(drawn.count()):
        box = drawn.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, (names[i], box)
    assert page.console_errors == []
