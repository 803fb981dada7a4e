"""/connect in Debian's Chromium against a hostile provider: its Markdown is shown, and the page fetches nothing."""

from __future__ import annotations

import re

import pytest
from conftest import wait_for_app
from test_inert_connect import IMAGE, hostile_metadata, hostile_token, serving

pytestmark = pytest.mark.browser


def _connect(page, instance: str, done: str) -> None:
    page.get_by_role("textbox", name="Instance, issuer or discovery URL").fill(instance)
    page.get_by_role("button", name="Connect").click()
    page.get_by_text(done).first.wait_for(timeout=30_000)
    wait_for_app(page)


def _request_token(page, done: str) -> None:
    page.get_by_role("textbox", name="Client id (the Trusted Application's ApplicationUri)").fill("com.example/x")
    page.get_by_role("textbox", name="Client secret").fill("secret")
    page.get_by_role("button", name="Request a token").click()
    page.get_by_text(done).first.wait_for(timeout=30_000)
    wait_for_app(page)


def _nothing_for_the_attacker(page, asked: list[str]) -> None:
    """No request went to attacker.example, and no image or link on the page points there."""
    assert asked == []
    assert page.locator("img[src*='attacker'], a[href*='attacker'], [srcset*='attacker']").count() == 0


def test_a_hostile_provider_makes_the_page_fetch_nothing_and_link_nothing(streamlit_server, page) -> None:
    asked: list[str] = []
    # Nothing may leave for the attacker; any attempt is recorded (and stopped) here.
    page.route(re.compile(r"attacker\.example"), lambda route: (asked.append(route.request.url), route.abort()))
    page.set_viewport_size({"width": 1280, "height": 2400})
    alerts = page.locator("[data-testid='stAlert']")
    with serving() as provider:
        provider.discovery(f"{provider.base}/bad", issuer=IMAGE)
        metadata_issuer, _ = hostile_metadata(provider)
        token_issuer = hostile_token(provider)
        page.goto(f"{streamlit_server}/connect")
        wait_for_app(page)

        _connect(page, f"{provider.base}/bad", "could not be trusted")
        _nothing_for_the_attacker(page, asked)
        assert alerts.filter(has_text=IMAGE).count() == 1

        _connect(page, metadata_issuer, "has no keys")
        _request_token(page, "HTTP 400")
        _nothing_for_the_attacker(page, asked)
        assert alerts.filter(has_text="[help](http://attacker.example/help)").count() == 1

        _connect(page, token_issuer, "What the provider publishes")
        _request_token(page, "Token validation")
        page.get_by_role("cell", name="![n](http://attacker.example/name.png)").wait_for()
        _nothing_for_the_attacker(page, asked)

    assert page.get_by_text("gnp.exe").count() >= 1
    assert "\u202e" not in page.inner_text("body")
    assert page.console_errors == []
