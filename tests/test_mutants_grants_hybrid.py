"""The hybrid `code id_token` grant's refusals, in their whole words (MUTATION.md, the run at 0acbb05).

A refusal goes back to the registered redirect URI, where the app shows its error_description; the
sentence names what the request lacks and where the rule comes from, so it is pinned literally.
"""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from test_sandbox import sign_in_and_consent
from test_sandbox_hybrid import STATE, documented_request, fragment, posted

from flowguide.sandbox import Sandbox


@pytest.fixture
def client() -> httpx.Client:
    return Sandbox().http_client()


def test_code_id_token_without_a_nonce_says_it_needs_one_in_these_words(client: httpx.Client) -> None:
    params, _ = documented_request()
    del params["nonce"]
    fields = posted(client.get("/id/connect/authorize", params=params))
    assert fields == {
        "error": "invalid_request",
        "error_description": "response_type code id_token needs a nonce (OpenID Connect Core 3.3.2.11).",
        "state": STATE,
    }


def test_code_id_token_without_openid_says_the_scope_must_include_it_in_these_words(client: httpx.Client) -> None:
    params, _ = documented_request(scope="read", response_mode="fragment")
    back = fragment(client.get("/id/connect/authorize", params=params))
    assert back == {
        "error": "invalid_scope",
        "error_description": "response_type code id_token signs a user in: the scope must include openid.",
        "state": STATE,
    }


def test_a_form_post_answer_lets_a_browser_post_it_to_the_app_and_run_its_one_script(client: httpx.Client) -> None:
    # A browser enforces the CSP: form-action must name the app's origin, script-src the auto-submit's hash.
    params, _ = documented_request()
    answer = sign_in_and_consent(client, params)
    assert posted(answer)["state"] == STATE
    (script,) = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert answer.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://localhost:8501; "
        f"script-src 'sha256-{digest}'"
    )
