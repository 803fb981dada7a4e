"""The identity service's pages and their headers: a browser may finish signing in, and nothing else.

CSP Level 3 `form-action` also governs the redirects that follow a form's submission, so the consent
page (Allow and Deny end in a redirect to the application) and the form_post page (its form posts to
the application) must name the redirect URI's origin beside 'self'; every other page names 'self' only.
A Chromium run of the whole sign-in is in the real-client tests; these check the header itself.
"""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from test_sandbox import SPA, SPA_CALLBACK, authorize_params, parse, pkce

from flowguide.sandbox import Sandbox
from flowguide.sandbox.pages import redirect_origin

STRICT = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"


@pytest.fixture
def client() -> httpx.Client:
    return Sandbox().http_client()


def consent_page(client: httpx.Client, params: dict) -> httpx.Response:
    page = client.get("/id/connect/authorize", params=params)
    form = parse(page.text).forms[0]
    return client.post(form["action"], data={**form["fields"], "username": "david", "password": "demo"})


def test_the_sign_in_page_posts_only_to_itself(client: httpx.Client) -> None:
    page = client.get("/id/connect/authorize", params=authorize_params(scope="read"))
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == STRICT
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_the_consent_page_lets_its_answer_redirect_to_this_requests_redirect_uri_only(client: httpx.Client) -> None:
    consent = consent_page(client, authorize_params(scope="read"))
    assert parse(consent.text).forms[0]["action"] == "/id/connect/consent"
    assert consent.headers["content-security-policy"] == f"{STRICT} http://localhost:8501"


def test_another_applications_consent_page_names_its_own_redirect_origin(client: httpx.Client) -> None:
    _, challenge = pkce()
    params = authorize_params(SPA, SPA_CALLBACK, scope="read", code_challenge=challenge, code_challenge_method="S256")
    consent = consent_page(client, params)
    assert consent.headers["content-security-policy"] == f"{STRICT} http://localhost:5173"


def test_the_form_post_page_may_post_to_the_redirect_uri_and_run_only_its_own_script(client: httpx.Client) -> None:
    consent = consent_page(client, authorize_params(scope="read", response_mode="form_post"))
    form = parse(consent.text).forms[0]
    answer = client.post(form["action"], data={**form["fields"], "decision": "allow"})
    assert answer.status_code == 200 and parse(answer.text).forms[0]["action"] == "http://localhost:8501/callback"
    (script,) = re.findall(r"<script>(.*?)</script>", answer.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert answer.headers["content-security-policy"] == f"{STRICT} http://localhost:8501; script-src 'sha256-{digest}'"
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"


def test_an_error_page_posts_nowhere_else(client: httpx.Client) -> None:
    refused = client.get("/id/connect/authorize", params=authorize_params(redirect_uri="https://evil.example/cb"))
    assert refused.status_code == 400
    assert refused.headers["content-security-policy"] == STRICT


@pytest.mark.parametrize(
    ("redirect_uri", "origin"),
    [
        ("http://localhost:8501/callback", "http://localhost:8501"),
        ("https://app.example.com/auth/callback?tenant=1", "https://app.example.com"),
        ("https://user@app.example.com:8443/cb", "https://app.example.com:8443"),
        # CSP host-sources cannot name an IPv6 literal; nothing is added rather than something wrong.
        ("http://[::1]:8080/callback", None),
        ("https://app.example.com;script-src*/cb", None),
        # Only http(s) origins: an app's own scheme is no place for a form.
        ("com.example.app://callback", None),
        ("javascript://app.example.com/%0aalert(1)", None),
    ],
)
def test_the_redirect_origin_is_a_csp_host_source_or_nothing(redirect_uri: str, origin: str | None) -> None:
    assert redirect_origin(redirect_uri) == origin
