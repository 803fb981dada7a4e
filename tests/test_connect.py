"""Finding and checking a provider for /connect: URL forms, metadata, and every failure as one sentence."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from flowguide import outbound, tokens
from flowguide.client import ClientConfig
from flowguide.connect import (
    ConnectError,
    api_url,
    check_document,
    connect_http,
    discovery_candidates,
    explain_error,
    fetch_provider,
    flow_support,
    make_run,
)

# 31 MB of JSON whitespace that gzip to about 30 KB.
GZIP_BOMB = gzip.compress(b"{" + b" " * 31_000_000 + b"}", 9)
SIGNING_KEY = RSAKey.generate_key(2048, {"kid": "real"}, private=True)
OTHER_KEY = RSAKey.generate_key(2048, {"kid": "real"}, private=True)


class FakeProvider(BaseHTTPRequestHandler):
    """A provider that misbehaves in one chosen way (``mode``), on loopback."""

    mode = "good"
    release: threading.Event

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/.well-known/openid-configuration":
            if self.mode == "slow":
                self.release.wait(10)
            if self.mode == "html":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html>Welcome</html>")
                return
            if self.mode == "bad_location":
                self.send_response(302)
                self.send_header("Location", "http://[::1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.mode == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                for _ in range(40):
                    self.wfile.write(b" " * 65_536)
                return
            issuer = base + "/" if self.mode == "trailing_slash" else base
            doc = {
                "issuer": "https://someone-else.example" if self.mode == "mismatch" else issuer,
                "token_endpoint": base + "/token",
                "jwks_uri": base + "/jwks",
                "grant_types_supported": ["client_credentials"],
            }
            if self.mode == "no_jwks":
                del doc["jwks_uri"]
            self._json(200, doc)
        elif self.path == "/jwks":
            self._json(200, {"keys": [SIGNING_KEY.as_dict(private=False)]})
        elif self.path == "/gzip-bomb":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(GZIP_BOMB)))
            self.end_headers()
            self.wfile.write(GZIP_BOMB)
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A token that looks right but is signed by a key the JWKS does not hold.
        now = int(time.time())
        # Auth0-style: the issuer ends with a slash, and every token's iss carries it.
        good = self.mode == "trailing_slash"
        iss = base + "/" if good else base
        claims = {"iss": iss, "aud": "DomainAPI", "exp": now + 600, "iat": now, "client_id": "svc"}
        token = jwt.encode({"alg": "RS256", "kid": "real", "typ": "at+jwt"}, claims, SIGNING_KEY if good else OTHER_KEY)
        self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 600})


@pytest.fixture
def fake() -> Iterator[tuple[str, type[FakeProvider]]]:
    handler = type("H", (FakeProvider,), {"release": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        handler.release.set()
        server.shutdown()
        server.server_close()


# --- what the visitor types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "https://acme.my.erp.net",
            [
                "https://acme.my.erp.net/id/.well-known/openid-configuration",
                "https://acme.my.erp.net/.well-known/openid-configuration",
            ],
        ),
        (
            "acme.my.erp.net/",
            [
                "https://acme.my.erp.net/id/.well-known/openid-configuration",
                "https://acme.my.erp.net/.well-known/openid-configuration",
            ],
        ),
        ("https://acme.my.erp.net/id/", ["https://acme.my.erp.net/id/.well-known/openid-configuration"]),
        ("https://login.example.com/realms/x", ["https://login.example.com/realms/x/.well-known/openid-configuration"]),
        (
            " https://acme.my.erp.net/id/.well-known/openid-configuration ",
            ["https://acme.my.erp.net/id/.well-known/openid-configuration"],
        ),
    ],
)
def test_instance_issuer_and_discovery_urls(typed: str, expected: list[str]) -> None:
    assert discovery_candidates(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://acme.my.erp.net", "https://user:pw@acme.my.erp.net", "https://a.b/?x=1"])
def test_unusable_addresses_get_one_sentence(typed: str) -> None:
    with pytest.raises(ConnectError) as caught:
        discovery_candidates(typed)
    assert caught.value.message.endswith(".") and "\n" not in caught.value.message


def test_missing_fields_and_issuer_mismatch_are_named() -> None:
    url = "https://acme.my.erp.net/id/.well-known/openid-configuration"
    with pytest.raises(ConnectError, match="lacks token_endpoint and jwks_uri"):
        check_document({"issuer": "https://acme.my.erp.net/id"}, url)
    doc = {"issuer": "https://evil.example/id", "token_endpoint": "x", "jwks_uri": "y"}
    with pytest.raises(ConnectError, match="names the issuer https://evil.example/id"):
        check_document(doc, url)
    # A final / does not change where the document lives, but the issuer is kept as published (tokens' iss).
    assert check_document(doc | {"issuer": "https://acme.my.erp.net/id/"}, url) == "https://acme.my.erp.net/id/"


def test_flow_support_says_what_is_missing() -> None:
    doc = {"token_endpoint": "https://a/token", "jwks_uri": "https://a/jwks", "grant_types_supported": ["password"]}
    cc = {r.name: r for r in flow_support(doc, "client_credentials")}
    assert cc["client_credentials in grant_types_supported"].ok is False
    # Not listed: the spec's default (client_secret_basic) stands, so post is not promised.
    assert cc["client_secret_post in token_endpoint_auth_methods_supported"].ok is False
    ac = {r.name: r for r in flow_support(doc, "authorization_code")}
    assert ac["authorization_endpoint"].ok is False
    assert ac["S256 in code_challenge_methods_supported"].ok is None  # the document does not say


def test_documented_errors_explain_by_flow() -> None:
    assert "System User" in explain_error("unauthorized_client", "client_credentials").fix
    assert "disabled" in explain_error("unauthorized_client", "authorization_code").title
    assert explain_error("invalid_token", "client_credentials", 401).error == "http_401"
    assert explain_error("temporarily_unavailable", "client_credentials", 503) is None


# --- failures, each one sentence -----------------------------------------------------------------------


def _failure(text: str, **kwargs: Any) -> str:
    with pytest.raises(ConnectError) as caught:
        fetch_provider(text, **kwargs)
    message = caught.value.message
    assert "Traceback" not in message and "\n" not in message
    return message


def test_a_good_provider_is_fetched_with_its_keys(fake) -> None:
    base, _ = fake
    provider = fetch_provider(base, allow_private=True)
    assert provider.issuer == base
    assert provider.discovery_url == base + "/.well-known/openid-configuration"
    assert provider.jwks and provider.jwks["keys"][0]["kid"] == "real"


def test_issuer_mismatch_not_json_and_missing_fields(fake) -> None:
    base, handler = fake
    handler.mode = "mismatch"
    assert "names the issuer https://someone-else.example" in _failure(base, allow_private=True)
    handler.mode = "html"
    assert "not with JSON" in _failure(base, allow_private=True)
    handler.mode = "no_jwks"
    assert "lacks jwks_uri" in _failure(base, allow_private=True)


def test_oversized_discovery_is_refused(fake) -> None:
    base, handler = fake
    handler.mode = "huge"
    assert "the limit" in _failure(base, allow_private=True)


def test_slow_server_is_cut_off(fake) -> None:
    base, handler = fake
    handler.mode = "slow"
    assert "did not answer in time" in _failure(base, allow_private=True, timeout=0.5)


@contextmanager
def service_run(base: str):
    """The fake provider found, and a Client Credentials run that has its token."""
    provider = fetch_provider(base, allow_private=True)
    app = ClientConfig("svc", "Confidential", "s", scope="read")
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "client_credentials", app, http)
        run.discover()
        assert run.client_credentials_token().error is None
        yield provider, run


def test_bad_signature_fails_validation(fake) -> None:
    base, _ = fake
    with service_run(base) as (provider, run):
        validated = run.validate()
    assert validated.error is not None and "signature" in validated.error.description
    verification = tokens.verify(run.tokens.access_token, provider.jwks, provider.issuer, "DomainAPI")
    assert not verification.valid and verification.failures[0].name == "signature"


def test_nothing_listening_and_unknown_names() -> None:
    assert "refused the connection" in _failure("http://127.0.0.1:9", allow_private=True)
    assert "could not be found" in _failure("https://no-such-host.invalid")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8600", "loopback"),
        ("http://10.0.0.5", "private"),
        ("http://192.168.1.10/id", "private"),
        ("https://169.254.169.254", "cloud metadata"),
        ("https://[fe80::1]", "link-local"),
    ],
)
def test_own_network_refused_when_not_allowed(monkeypatch: pytest.MonkeyPatch, url: str, kind: str) -> None:
    monkeypatch.setenv(outbound.ALLOW_PRIVATE_ENV, "0")
    assert f"is a {kind} address" in _failure(url)


def test_metadata_and_link_local_refused_even_when_private_is_allowed() -> None:
    assert "never fetched" in _failure("http://169.254.169.254/latest", allow_private=True)
    assert "never fetched" in _failure("http://[fe80::1]:8080", allow_private=True)


def test_a_name_that_resolves_to_the_own_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["10.20.30.40"])
    assert "acme.my.erp.net (10.20.30.40) is a private address" in _failure(
        "https://acme.my.erp.net", allow_private=False
    )
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14", "169.254.169.254"])
    assert "cloud metadata" in _failure("https://acme.my.erp.net", allow_private=True)


def test_a_compressed_api_answer_is_refused_unread(fake) -> None:
    base, _ = fake
    with service_run(base) as (provider, run):
        called = run.call_api(api_url(provider, "/gzip-bomb"))
    assert called.error is not None and called.error.code == "request_failed"
    assert "compressed" in called.error.description
    assert all(len(e.response_body) < 1_000_000 for e in called.exchanges)


def test_a_malformed_redirect_is_one_sentence(fake) -> None:
    base, handler = fake
    handler.mode = "bad_location"
    assert "redirected to an address that is not a valid URL" in _failure(base, allow_private=True)


@pytest.mark.parametrize("path", ["/api/domain\todata", "/api/\x00", "/api/\x7f"])
def test_api_paths_with_control_characters_are_refused(fake, path: str) -> None:
    base, _ = fake
    provider = fetch_provider(base, allow_private=True)
    with pytest.raises(ConnectError, match="path on your instance"):
        api_url(provider, path)


def test_an_issuer_with_a_trailing_slash_is_kept_as_published(fake) -> None:
    base, handler = fake
    handler.mode = "trailing_slash"
    provider = fetch_provider(base + "/", allow_private=True)
    assert provider.issuer == base + "/" and provider.instance == base
    app = ClientConfig("svc", "Confidential", "s", scope="read")
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "client_credentials", app, http)
        results = [run.discover(), run.client_credentials_token(), run.validate()]
    assert [r.error for r in results] == [None, None, None]
    assert all(c.passed for r in results for c in r.checks), [c for r in results for c in r.checks]
    assert tokens.verify(run.tokens.access_token, provider.jwks, provider.issuer, "DomainAPI").valid
