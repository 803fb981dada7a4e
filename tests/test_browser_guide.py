"""/guide in Debian's Chromium: a deep link shows the recommendation and a drawn decision tree."""

from __future__ import annotations

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_deep_link_shows_recommendation_and_rendered_diagram(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/guide?signin=yes&unattended=no&client=spa")
    wait_for_app(page)
    page.get_by_text("Authorization Code with PKCE", exact=False).first.wait_for(timeout=20_000)
    assert page.get_by_text("Trusted Application 1 of 1").count() == 1
    tree = page.locator("svg.fg-svg[data-diagram='decision-tree']")
    tree.first.wait_for(timeout=20_000)
    assert tree.count() == 1
    assert tree.first.locator("g.node").count() == 7
    assert "Authorization Code" in tree.first.text_content()
    # The path taken: a person signs in, nothing unattended, ending at Authorization Code, and only that leaf.
    chosen = tree.first.locator("g.node.tree.on[id^='decision-tree-tree_leaf_']")
    assert chosen.count() == 1
    assert chosen.get_attribute("id") == "decision-tree-tree_leaf_yes_no"
    assert chosen.text_content().strip() == "Authorization Code"
    box = tree.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert "signin=yes" in page.url and "client=spa" in page.url
    assert page.console_errors == []


def test_choosing_an_answer_in_the_browser_updates_the_url(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/guide")
    wait_for_app(page)
    page.get_by_text("No one signs in").click()
    page.get_by_text("Yes, something runs unattended").click()
    page.get_by_text("Your service authenticates as itself", exact=False).wait_for(timeout=20_000)
    page.wait_for_function("() => location.search.includes('unattended=yes')", timeout=10_000)
    assert "signin=no" in page.url
