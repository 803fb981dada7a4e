"""/tokens through AppTest: paste, inspect, verify against the sandbox or a JWKS URL, malformed input."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_page
from html_tables import assert_tables_inert, html_tables
from joserfc import jwt
from joserfc.jwk import RSAKey
from streamlit.testing.v1 import AppTest

from flowguide.pages.session import SANDBOX_KEY
from flowguide.sandbox import Sandbox

KEY = RSAKey.generate_key(2048, parameters={"kid": "outside-key"})


def own_token(**claims) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://acme.my.erp.net/id",
        "aud": ["DomainAPI"],
        "sub": "david",
        "scope": ["read"],
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode({"alg": "RS256", "kid": "outside-key", "typ": "at+jwt"}, payload, KEY)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def inspect(at: AppTest, text: str) -> AppTest:
    at.text_area(key="tokens_input").input(text)
    button(at, "Inspect").click()
    return at.run()


def claim_rows(at: AppTest) -> dict[str, str]:
    """The claims table (the first), Field -> Value as the reader's browser shows it."""
    return {row["Field"]: row["Value"] for row in html_tables(at)[0]}


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def at() -> AppTest:
    page = run_page("tokens")
    assert not page.exception
    return page


def test_sample_token_is_decoded_explained_and_verified(at):
    button(at, "Use a sample token from the sandbox").click()
    at.run()
    assert not at.exception
    rows = claim_rows(at)
    assert rows["client_id"] == "com.example/nightly-sync"
    assert "client_system_user" in rows
    assert "expires in 59 min" in rows["exp"] or "expires in 1 h" in rows["exp"]
    assert [s.value for s in at.success] == ["Valid: every check passed against this session's sandbox keys."]
    assert "Service access token" in markdown_text(at)


def test_pasted_token_from_this_sessions_sandbox_verifies(at):
    sandbox = at.session_state[SANDBOX_KEY] = Sandbox()
    with sandbox.http_client() as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": "com.example/nightly-sync",
            "client_secret": "nightly-sync-secret",
        }
        token = client.post("/id/connect/token", data=form).json()["access_token"]
    inspect(at, f"Bearer {token}")
    assert at.success and "Valid" in at.success[0].value
    assert any("Bearer" in c.value for c in at.caption)
    # The raw token shows masked until revealed (the box emptying is the browser's part: see the browser test).
    assert token not in at.code[0].value
    at.toggle(key="tokens_view_reveal").set_value(True).run()
    assert at.code[0].value == token


def test_token_signed_by_another_key_fails_against_the_sandbox(at):
    inspect(at, own_token())
    assert at.error and "Not valid" in at.error[0].value
    checks = markdown_text(at)
    assert 'No key with kid "outside\\-key"' in checks
    assert claim_rows(at)["sub"] == "david"


def test_malformed_input_gets_one_clear_message(at):
    inspect(at, "hello.world")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "A JWT has three parts separated by dots (header.payload.signature); this has 2."
    ]
    assert not at.table and not html_tables(at)


def test_reference_token_is_recognised(at):
    inspect(at, "enrt_1D41D4694B4F02D3D6A31FFA07E20B73F48248B26C75A0CCCB5F9DBEE41F7960")
    assert not at.error and "Reference token (PAT or SAT)" in markdown_text(at)


def test_token_in_the_url_is_dropped_with_a_notice():
    at = run_page("tokens", query={"token": own_token()})
    assert "token" not in at.query_params
    assert any("never belong in URLs" in w.value for w in at.warning)
    assert not at.table and not html_tables(at)


def test_claim_values_cannot_inject_markdown(at):
    inspect(at, own_token(name="**bold** [link](#x)", email="![x](https://evil.example/pixel.png)"))
    rows = claim_rows(at)
    # The table is HTML built from escaped cells: the reader sees the characters, no bold, link or image.
    assert rows["name"] == "**bold** [link](#x)"
    assert rows["email"] == "![x](https://evil.example/pixel.png)"
    assert_tables_inert(at)


@pytest.fixture
def jwks_server() -> Iterator[str]:
    body = json.dumps({"keys": [KEY.as_dict(private=False)]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/bad-location":
                self.send_response(302)
                self.send_header("Location", "http://[::1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200 if self.path == "/jwks" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if self.path == "/jwks" else b"{}")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_verify_against_a_jwks_url(at, jwks_server, monkeypatch):
    monkeypatch.setenv("FLOWGUIDE_ALLOW_PRIVATE", "1")
    at.radio(key="tokens_source").set_value("url").run()
    at.text_input(key="tokens_jwks_url").input(f"{jwks_server}/jwks").run()
    at.text_input(key="tokens_issuer").input("https://acme.my.erp.net/id").run()
    inspect(at, own_token())
    assert [s.value for s in at.success] == ["Valid: every check passed against the keys at the JWKS URL."]


def test_jwks_url_failure_is_one_sentence(at, jwks_server):
    at.radio(key="tokens_source").set_value("url").run()
    at.text_input(key="tokens_jwks_url").input(f"{jwks_server}/missing").run()
    inspect(at, own_token())
    assert not at.exception
    # The sentence names an address from outside, so it reaches Markdown escaped (it reads the same).
    assert at.error[0].value.startswith(r"127\.0\.0\.1 answered HTTP 404")
    assert claim_rows(at)["sub"] == "david"


def test_a_malformed_redirect_from_the_jwks_url_is_one_sentence(at, jwks_server):
    at.radio(key="tokens_source").set_value("url").run()
    at.text_input(key="tokens_jwks_url").input(f"{jwks_server}/bad-location").run()
    inspect(at, own_token())
    assert not at.exception
    assert at.error[0].value == r"127\.0\.0\.1 redirected to an address that is not a valid URL\."


def test_each_session_has_its_own_sandbox_keys(at):
    button(at, "Use a sample token from the sandbox").click()
    at.run()
    sandbox = at.session_state[SANDBOX_KEY]
    with sandbox.http_client() as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": "com.example/nightly-sync",
            "client_secret": "nightly-sync-secret",
        }
        token = client.post("/id/connect/token", data=form).json()["access_token"]
    other = run_page("tokens")
    inspect(other, token)
    assert other.error and "Not valid" in other.error[0].value
    assert "No key with kid" in markdown_text(other)
