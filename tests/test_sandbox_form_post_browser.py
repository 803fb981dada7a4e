"""Chromium and the form_post answer: the page posts itself to the application under its own CSP.

The documentation's web-app samples sign in with `response_type=code id_token&response_mode=form_post`:
after Allow, the identity service answers with a page whose form the browser posts to the redirect URI
(OAuth 2.0 Form Post Response Mode §2). Its Content-Security-Policy must let exactly that happen: its
one script by hash, its form to the redirect URI's origin. Playwright answers the redirect URI itself.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qsl, urlencode

import pytest

from flowguide.sandbox import Sandbox

pytestmark = pytest.mark.browser

CALLBACK = "http://localhost:8501/callback"


def test_chromium_posts_the_code_and_id_token_to_the_application_without_a_csp_violation(
    chromium, served: Sandbox
) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = {
        "client_id": "com.example/web-portal",
        "redirect_uri": CALLBACK,
        "response_type": "code id_token",
        "response_mode": "form_post",
        "scope": "openid profile",
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    context = chromium.new_context()
    page = context.new_page()
    console: list[str] = []
    arrived: list[tuple[str, str]] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));"
    )

    def application(route) -> None:
        arrived.append((route.request.method, route.request.post_data or ""))
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Web portal</title>")

    page.route("http://localhost:8501/**", application)
    try:
        page.goto(f"{served.issuer}/connect/authorize?{urlencode(query)}")
        page.fill("input[name=username]", "david")
        page.fill("input[name=password]", "demo")
        page.click("form:has(input[name=password]) [type=submit]")
        page.click("button[name=decision][value=allow]")
        page.wait_for_url(f"{CALLBACK}**", timeout=5_000)
    finally:
        context.close()
    assert [line for line in console if "CSP" in line or "Content Security Policy" in line] == []
    ((method, body),) = arrived
    fields = dict(parse_qsl(body))
    assert method == "POST" and list(fields) == ["code", "state", "id_token"]
    assert fields["state"] == state
