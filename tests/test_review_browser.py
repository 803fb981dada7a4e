"""An exported design review opened in Debian's Chromium: it loads nothing, and its diagrams draw."""

from __future__ import annotations

from pathlib import Path

import pytest

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
