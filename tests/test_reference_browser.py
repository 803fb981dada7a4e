"""The reference-token walk in Chromium at phone width: Next through all seven steps to the refusal."""

from __future__ import annotations

import re

import pytest
from conftest import wait_for_app
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VALUE = re.compile(r"enrt_[0-9A-F]{64}")


def test_the_walk_reaches_the_refusal_on_a_phone(streamlit_server, chromium) -> None:
    context = chromium.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{streamlit_server}/simulator?flow=reference_token")
        wait_for_app(page)
        for number in range(1, 8):
            page.get_by_role("button", name="Next").click()
            expect(page.get_by_role("heading", name=re.compile(rf"^{number}\. "))).to_be_visible(timeout=60_000)
            wait_for_app(page)
        expect(page.get_by_text("Refused, as this step sets out to show")).to_be_visible()
        expect(page.get_by_text("The reference token was revoked", exact=False).first).to_be_visible()
        assert page.url.endswith("step=7")
        assert not VALUE.search(page.inner_text("body")), "no reference token value on the page"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways at phone width ({width} px)"
    finally:
        context.close()
