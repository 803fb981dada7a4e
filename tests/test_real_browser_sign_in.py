"""Chromium signs in as David on the standalone sandbox's own pages, as a person does.

The authorize URL is the one com.example/web-portal sends (response_type=code, PKCE S256, state, nonce,
redirect_uri http://localhost:8501/callback). Chromium opens it, the test fills the sign-in form and
presses Allow (or Deny), and the browser lands on the registered redirect URI, which Playwright answers
itself (``page.route``), so nothing needs to listen on port 8501. The browser's console must show no
Content Security Policy violation on the way: the pages' own policy must let them do their job. The
documentation's web-app samples ask for ``code id_token`` with ``response_mode=form_post``: then Chromium
itself posts the answer to the redirect URI from the sandbox's page.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fixtures.demo import DAVID, WEB_PORTAL, StandaloneSandbox
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytest_plugins = ["fixtures.real_sandbox"]
pytestmark = pytest.mark.browser

CALLBACK_PAGE = "<!doctype html><html lang='en'><title>Web portal</title><p>Signed in.</p></html>"
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "CSP violation")


class SignInTab:
    """One Chromium tab: its console, the requests that reached the application, and the person's steps."""

    def __init__(self, context, sandbox: StandaloneSandbox) -> None:
        self.sandbox = sandbox
        self.page = context.new_page()
        self.console: list[str] = []
        self.arrived: list[str] = []
        self.posted: list[dict[str, list[str]]] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        # Whatever the browser reports as a CSP violation, also from a page's own securitypolicyviolation event.
        self.page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));"
        )
        self.page.route("http://localhost:8501/**", self._application)

    def _application(self, route) -> None:
        self.arrived.append(route.request.url)
        if route.request.method == "POST":
            self.posted.append(parse_qs(route.request.post_data or ""))
        route.fulfill(status=200, content_type="text/html", body=CALLBACK_PAGE)

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if any(word in line for word in CSP_WORDS)]

    def sign_in_and_decide(self, url: str, decision: str) -> None:
        self.page.goto(url)
        self.page.fill("input[name=username]", DAVID[0])
        self.page.fill("input[name=password]", DAVID[1])
        self.page.click("form:has(input[name=password]) [type=submit]")
        self.page.wait_for_selector("button[name=decision]")
        self.page.click(f"button[name=decision][value={decision}]")
        try:
            self.page.wait_for_url(f"{WEB_PORTAL.redirect_uri}**", timeout=5_000)
        except PlaywrightTimeoutError:
            pytest.fail(f"after {decision}, the tab stayed at {self.page.url}; console: {self.console}")


@pytest.fixture
def tab(chromium, standalone_sandbox: StandaloneSandbox):
    context = chromium.new_context()
    try:
        yield SignInTab(context, standalone_sandbox)
    finally:
        context.close()


def _authorize_url(sandbox: StandaloneSandbox, state: str, verifier: str, **more: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return f"{sandbox.authorization_endpoint}?" + urlencode(
        {
            "client_id": WEB_PORTAL.client_id,
            "redirect_uri": WEB_PORTAL.redirect_uri,
            "response_type": "code",
            "scope": "openid profile read",
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **more,
        }
    )


def _exchange(sandbox: StandaloneSandbox, code: str, verifier: str) -> httpx.Response:
    return httpx.post(
        sandbox.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "client_id": WEB_PORTAL.client_id,
            "client_secret": WEB_PORTAL.client_secret,
            "code": code,
            "redirect_uri": WEB_PORTAL.redirect_uri,
            "code_verifier": verifier,
        },
    )


def _landed(tab: SignInTab) -> dict[str, list[str]]:
    assert tab.arrived, f"the browser never reached {WEB_PORTAL.redirect_uri}; console: {tab.console}"
    landed = urlsplit(tab.arrived[-1])
    assert f"{landed.scheme}://{landed.netloc}{landed.path}" == WEB_PORTAL.redirect_uri
    return parse_qs(landed.query)


def test_the_sign_in_and_consent_pages_show_no_csp_violation(tab: SignInTab) -> None:
    tab.page.goto(_authorize_url(tab.sandbox, secrets.token_urlsafe(16), secrets.token_urlsafe(48)))
    tab.page.fill("input[name=username]", DAVID[0])
    tab.page.fill("input[name=password]", DAVID[1])
    tab.page.click("form:has(input[name=password]) [type=submit]")
    tab.page.wait_for_selector("button[name=decision][value=allow]")
    assert tab.csp_violations() == []


def test_chromium_signs_in_as_david_and_allows(tab: SignInTab) -> None:
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    tab.sign_in_and_decide(_authorize_url(tab.sandbox, state, verifier), "allow")
    query = _landed(tab)
    assert query["state"] == [state] and len(query["code"]) == 1 and "error" not in query
    assert tab.csp_violations() == []
    # The code is a real one: web-portal exchanges it with its secret and the verifier.
    token = _exchange(tab.sandbox, query["code"][0], verifier)
    assert token.status_code == 200 and token.json()["token_type"] == "Bearer"


def test_chromium_denies_and_lands_with_access_denied(tab: SignInTab) -> None:
    state = secrets.token_urlsafe(16)
    tab.sign_in_and_decide(_authorize_url(tab.sandbox, state, secrets.token_urlsafe(48)), "deny")
    query = _landed(tab)
    assert query["error"] == ["access_denied"] and query["state"] == [state] and "code" not in query
    assert tab.csp_violations() == []


def test_chromium_posts_the_code_id_token_answer_to_the_redirect_uri(tab: SignInTab) -> None:
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    url = _authorize_url(tab.sandbox, state, verifier, response_type="code id_token", response_mode="form_post")
    tab.sign_in_and_decide(url, "allow")
    assert tab.arrived == [WEB_PORTAL.redirect_uri] and len(tab.posted) == 1, tab.arrived  # nothing in the URL
    form = tab.posted[0]
    assert form["state"] == [state] and len(form["code"]) == 1 and len(form["id_token"]) == 1
    assert tab.csp_violations() == []
    token = _exchange(tab.sandbox, form["code"][0], verifier)
    assert token.status_code == 200 and token.json()["id_token"]
