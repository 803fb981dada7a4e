"""/connect against a hostile OpenID provider (a real HTTP server on loopback): what it says is shown, never obeyed.

Every payload names attacker.example; ``assert_inert`` checks that it only ever reaches Markdown inside
a code span (or escaped), and that no bidi control reaches the page.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from conftest import run_page
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from html_tables import assert_tables_inert, field_values
from joserfc.jwk import RSAKey
from streamlit.testing.v1 import AppTest
from test_inert_markdown import assert_inert, shown_markdown

from flowguide.client import NIGHTLY_SYNC

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = PRIVATE_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
JWK = RSAKey.import_key(PUBLIC_PEM).as_dict() | {"kid": "k1", "use": "sig", "alg": "RS256"}
IMAGE = "![x](http://attacker.example/issuer.png)"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def signed_jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """An RS256 JWT signed here by hand, so header and claim names can be anything at all."""
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    signature = PRIVATE_KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


class FakeProvider:
    """Answers given per exact request target (path and query, as the client sends them)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    def answer(self, method: str, url: str, body: dict[str, Any], status: int = 200) -> None:
        self.answers[(method, httpx.URL(url).raw_path.decode())] = (status, body)

    def discovery(self, location: str, **fields: Any) -> None:
        """A discovery document for the issuer at ``location``; ``fields`` replace or add to what it says."""
        document = {
            "issuer": location,
            "token_endpoint": f"{location}/token",
            "jwks_uri": f"{location}/jwks",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }
        self.answer("GET", f"{location}/.well-known/openid-configuration", document | fields)


@contextmanager
def serving() -> Iterator[FakeProvider]:
    """A FakeProvider on a free loopback port, in a thread, for the length of the block."""
    answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, method: str) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = answers.get((method, self.path), (404, {"error": "not_found"}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._reply("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._reply("POST")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    fake = FakeProvider(f"http://127.0.0.1:{httpd.server_address[1]}")
    fake.answers = answers
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with serving() as fake:
        yield fake


def connect(instance: str) -> AppTest:
    at = run_page("connect", {"instance": instance, "flow": "client_credentials"})
    next(b for b in at.button if b.label == "Connect").click()
    return at.run()


def request_token(at: AppTest) -> AppTest:
    at.text_input(key="connect_cc_client_id").input(NIGHTLY_SYNC.client_id)
    at.text_input(key="connect_cc_secret").input("secret")
    next(b for b in at.button if b.label == "Request a token").click()
    return at.run()


def assert_page_inert(at: AppTest, payload: str) -> None:
    """The payload is on the page (so the check is not empty), and every element showing it is inert."""
    assert not at.exception, at.exception[0].message if at.exception else ""
    shown = shown_markdown(at)
    assert any(payload in text for text in shown), payload
    for text in shown:
        assert_inert(text)


def test_an_issuer_that_is_a_markdown_image_is_shown_as_text(provider: FakeProvider) -> None:
    provider.discovery(f"{provider.base}/bad", issuer=IMAGE)
    at = connect(f"{provider.base}/bad")
    assert [e.value for e in at.error] == [
        f"The discovery document names the issuer `{IMAGE}`, but it was fetched for `{provider.base}/bad`; "
        "tokens from it could not be trusted \\(OpenID Connect Discovery §4\\.3\\)\\."
    ]
    assert_page_inert(at, IMAGE)


TOKEN_ERROR = {
    "error": "inv`alid``![e](http://attacker.example/e.png)",
    "error_description": "See [help](http://attacker.example/help) <img src=http://attacker.example/i.png> **now**",
}


def hostile_metadata(provider: FakeProvider) -> tuple[str, str]:
    """A provider whose lists and jwks_uri carry Markdown, HTML, backticks and a bidi override; no keys."""
    issuer = f"{provider.base}/meta"
    jwks_uri = f"{issuer}/jwks?k=![k](http://attacker.example/jwks.png)"
    provider.discovery(
        issuer,
        jwks_uri=jwks_uri,
        grant_types_supported=["client_credentials", "![g](http://attacker.example/grant.png)", "a`b``c"],
        token_endpoint_auth_methods_supported=["client_secret_post", "<img src=http://attacker.example/m.png>"],
        scopes_supported=["read", "\u202eevil http://attacker.example/scope"],
    )
    provider.answer("GET", jwks_uri, {"keys": []})
    provider.answer("POST", f"{issuer}/token", TOKEN_ERROR, status=400)
    return issuer, jwks_uri


def hostile_token(provider: FakeProvider) -> str:
    """A provider at a path that holds Markdown, issuing a signed token with hostile names and values."""
    # An issuer path may hold Markdown too: it is the instance the API form names in its label.
    issuer = f"{provider.base}/x/![a](http://attacker.example/instance.png)"
    provider.discovery(issuer)
    provider.answer("GET", f"{issuer}/jwks", {"keys": [JWK]})
    now = int(time.time())
    header = {"alg": "RS256", "kid": "k1", "typ": "at+jwt", "<img src=http://attacker.example/h.png>": 1}
    payload = {
        "iss": issuer,
        "aud": "DomainAPI",
        "client_id": NIGHTLY_SYNC.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "scope": "read",
        "![n](http://attacker.example/name.png)": "[v](http://attacker.example/value) \u202egnp.exe",
        "https://attacker.example/claims/role": "admin",
        "name": "\u202eabc ``` ` <b>x</b> http://attacker.example/nm",
    }
    token = {"access_token": signed_jwt(header, payload), "token_type": "Bearer", "expires_in": 3600}
    provider.answer("POST", f"{issuer}/token", token)
    return issuer


def test_published_metadata_and_an_empty_key_set_are_shown_as_text(provider: FakeProvider) -> None:
    issuer, jwks_uri = hostile_metadata(provider)
    at = connect(issuer)
    assert [w.value for w in at.warning] == [f"The JWKS at `{jwks_uri}` has no keys, so no token can be verified\\."]
    support = next(m.value for m in at.markdown if "in grant\\_types\\_supported" in m.value)
    assert (
        "client\\_credentials in grant\\_types\\_supported: client\\_credentials "
        "`![g](http://attacker.example/grant.png)` a\\`b\\`\\`c"
    ) in support
    assert_page_inert(at, "![g](http://attacker.example/grant.png)")


def test_a_token_endpoint_error_is_shown_as_text(provider: FakeProvider) -> None:
    issuer = f"{provider.base}/refuses"
    provider.discovery(issuer)
    provider.answer("GET", f"{issuer}/jwks", {"keys": [JWK]})
    provider.answer("POST", f"{issuer}/token", TOKEN_ERROR, status=400)
    at = request_token(connect(issuer))
    assert [e.value for e in at.error] == [
        "HTTP 400 · ```inv`alid``![e](http://attacker.example/e.png)```: See `[help](http://attacker.example/help)` "
        "\\<img `src=http://attacker.example/i.png>` \\*\\*now\\*\\*"
    ]
    assert_page_inert(at, "![e](http://attacker.example/e.png)")


def test_a_refused_request_names_the_endpoint_as_text(provider: FakeProvider) -> None:
    # A public address over http: the guard refuses it before connecting, and its sentence names the path.
    issuer = f"{provider.base}/far"
    token_endpoint = "http://93.184.215.14/token/![t](http://attacker.example/t.png)"
    provider.discovery(issuer, token_endpoint=token_endpoint)
    provider.answer("GET", f"{issuer}/jwks", {"keys": [JWK]})
    at = request_token(connect(issuer))
    assert [e.value for e in at.error] == [
        "Only https URLs are fetched from public hosts; use "
        "`https://93.184.215.14/token/![t](http://attacker.example/t.png)`\\."
    ]
    assert_page_inert(at, "![t](http://attacker.example/t.png)")


def test_a_token_with_hostile_names_and_values_is_shown_as_text(provider: FakeProvider) -> None:
    issuer = hostile_token(provider)
    at = request_token(connect(issuer))
    assert at.text_input(key="connect_api_path_client_credentials").label == f"A path on `{issuer}`"
    # The claims tables are HTML built from escaped cells: each name and value reads as the token holds it.
    cells = field_values(at)
    assert cells["![n](http://attacker.example/name.png)"] == "[v](http://attacker.example/value) gnp.exe"
    assert cells["https://attacker.example/claims/role"] == "admin"
    assert cells["<img src=http://attacker.example/h.png>"] == "1"
    assert cells["name"] == "abc ``` ` <b>x</b> http://attacker.example/nm"
    assert_tables_inert(at)
    # The rest of the page (the issuer in the API form's label) is Markdown: inert there too.
    assert_page_inert(at, "![a](http://attacker.example/instance.png)")
