"""The outbound guard against real loopback servers and simulated DNS answers."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowguide import outbound
from flowguide.outbound import (
    AddressNotAllowed,
    CompressedResponse,
    ConnectionRefused,
    HttpStatusError,
    InvalidUrl,
    NameNotFound,
    NotJson,
    RedirectRefused,
    ResponseTooLarge,
    SchemeNotAllowed,
    Timeout,
    TlsError,
    fetch_json,
)

# 31 MB of zeros that gzip to about 30 KB: the wire cap alone would let it through.
GZIP_BOMB = gzip.compress(b"0" * 31_000_000, 9)
JWKS = {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}


class Handler(BaseHTTPRequestHandler):
    release: threading.Event
    hosts: list[str]

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _big(self) -> None:
        # No Content-Length: the cap must hold while streaming.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        for _ in range(64):
            self.wfile.write(b" " * 65_536)

    def _slow(self) -> None:
        self.release.wait(10)
        self._send(200, b"{}")

    def _other_host(self) -> None:
        self._send(302, b"", Location=f"http://localhost:{self.server.server_address[1]}/jwks")

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hosts.append(self.headers["Host"])
        routes = {
            "/jwks": lambda: self._send(200, json.dumps(JWKS).encode()),
            "/big": self._big,
            "/big-declared": lambda: self._send(200, b"{}", Content_Length=str(50_000_000)),
            "/slow": self._slow,
            "/html": lambda: self._send(200, b"<html>Sign in</html>", "text/html"),
            "/array": lambda: self._send(200, b"[1, 2]"),
            "/same-host": lambda: self._send(302, b"", Location="/jwks"),
            "/other-host": self._other_host,
            # Sent compressed whatever the request asked for.
            "/gzip-bomb": lambda: self._send(
                200, GZIP_BOMB, Content_Encoding="gzip", Content_Length=str(len(GZIP_BOMB))
            ),
            "/bad-location": lambda: self._send(302, b"", Location="http://[::1"),
            "/loop": lambda: self._send(302, b"", Location="/loop"),
        }
        routes.get(self.path, lambda: self._send(404, b'{"error": "not found"}'))()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # the guard hangs up on purpose (cap, timeout)
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, Handler]]:
    handler = type("H", (Handler,), {"release": threading.Event(), "hosts": []})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        handler.release.set()
        httpd.shutdown()
        httpd.server_close()


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in answers:
            raise NameNotFound(f"The name {host} could not be found.")
        return answers[host]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return asked


# --- addresses refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/jwks", "loopback"),
        ("http://[::1]/jwks", "loopback"),
        ("http://10.1.2.3/jwks", "private"),
        ("http://192.168.0.10/jwks", "private"),
        ("http://172.16.5.4/jwks", "private"),
        ("http://100.64.0.1/jwks", "private"),
        ("http://[fd12:3456::1]/jwks", "private"),
        ("http://[::ffff:127.0.0.1]/jwks", "loopback"),
        ("http://[::ffff:10.0.0.1]/jwks", "private"),
    ],
)
def test_private_and_loopback_refused_when_not_allowed(url, kind):
    with pytest.raises(AddressNotAllowed, match=f"is a {kind} address"):
        fetch_json(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("https://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
    ],
)
def test_metadata_link_local_and_odd_addresses_refused_even_when_private_allowed(url, kind):
    with pytest.raises(AddressNotAllowed, match=f"is a {kind} address, which is never fetched"):
        fetch_json(url, allow_private=True)


def test_env_switch_turns_private_off(monkeypatch, server):
    base, _ = server
    monkeypatch.setenv("FLOWGUIDE_ALLOW_PRIVATE", "0")
    with pytest.raises(AddressNotAllowed):
        fetch_json(f"{base}/jwks")
    monkeypatch.setenv("FLOWGUIDE_ALLOW_PRIVATE", "1")
    assert fetch_json(f"{base}/jwks") == JWKS


def test_name_resolving_to_a_private_address_is_refused_before_connecting(monkeypatch):
    asked = fake_dns(monkeypatch, {"jwks.example.com": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(AddressNotAllowed, match=r"jwks\.example\.com \(10\.0\.0\.7\) is a private address"):
        fetch_json("https://jwks.example.com/keys", allow_private=False)
    assert asked == ["jwks.example.com"]


def test_name_resolving_to_metadata_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"metadata.attacker.test": ["169.254.169.254"]})
    with pytest.raises(AddressNotAllowed, match="cloud metadata"):
        fetch_json("https://metadata.attacker.test/", allow_private=True)


def test_connection_is_pinned_to_the_checked_address(monkeypatch, server):
    # "rebind.test" exists only in the fake resolver: if httpx resolved it again it could not connect.
    base, handler = server
    port = base.rsplit(":", 1)[1]
    asked = fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1"]})
    assert fetch_json(f"http://rebind.test:{port}/jwks", allow_private=True) == JWKS
    assert asked == ["rebind.test"]
    assert handler.hosts == [f"rebind.test:{port}"]


def test_plain_http_to_a_public_host_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"acme.my.erp.net": ["93.184.216.34"]})
    with pytest.raises(SchemeNotAllowed, match="Only https URLs"):
        fetch_json("http://acme.my.erp.net/id/.well-known/openid-configuration/jwks")


@pytest.mark.parametrize("url", ["ftp://example.com/jwks", "jwks.json", "https://user:pw@example.com/", ""])
def test_unusable_urls(url):
    with pytest.raises(InvalidUrl):
        fetch_json(url)


def test_unknown_name(monkeypatch):
    fake_dns(monkeypatch, {})
    with pytest.raises(NameNotFound, match="nowhere.invalid could not be found"):
        fetch_json("https://nowhere.invalid/jwks")


# --- real loopback servers -----------------------------------------------------------------------


def test_fetches_json_from_an_allowed_loopback_server(server):
    base, _ = server
    assert fetch_json(f"{base}/jwks", allow_private=True) == JWKS


def test_oversized_streamed_response_is_refused(server):
    base, _ = server
    with pytest.raises(ResponseTooLarge, match="more than 1,000,000 bytes"):
        fetch_json(f"{base}/big", allow_private=True)


def test_oversized_declared_response_is_refused(server):
    base, _ = server
    with pytest.raises(ResponseTooLarge, match="offered 50,000,000 bytes"):
        fetch_json(f"{base}/big-declared", allow_private=True, max_bytes=10_000)


def test_slow_server_times_out(server):
    base, _ = server
    with pytest.raises(Timeout, match="did not answer in time"):
        fetch_json(f"{base}/slow", allow_private=True, timeout=0.3)


def test_redirect_on_the_same_host_is_followed(server):
    base, _ = server
    assert fetch_json(f"{base}/same-host", allow_private=True) == JWKS


def test_redirect_to_another_host_is_refused(server):
    base, handler = server
    with pytest.raises(RedirectRefused, match="redirected to localhost"):
        fetch_json(f"{base}/other-host", allow_private=True)
    assert len(handler.hosts) == 1


def test_redirect_loop_stops(server):
    base, handler = server
    with pytest.raises(RedirectRefused, match="more than 3 times"):
        fetch_json(f"{base}/loop", allow_private=True)
    assert len(handler.hosts) == 4


def test_non_json_and_non_object_bodies(server):
    base, _ = server
    with pytest.raises(NotJson, match="not with JSON"):
        fetch_json(f"{base}/html", allow_private=True)
    with pytest.raises(NotJson, match="not an object"):
        fetch_json(f"{base}/array", allow_private=True)


def test_http_error_status(server):
    base, _ = server
    with pytest.raises(HttpStatusError, match="answered HTTP 404") as caught:
        fetch_json(f"{base}/nope", allow_private=True)
    assert caught.value.status_code == 404


def test_refused_connection():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionRefused, match="refused the connection"):
        fetch_json(f"http://127.0.0.1:{port}/jwks", allow_private=True)


def test_tls_to_a_plain_http_server_fails_clearly(server):
    base, _ = server
    with pytest.raises(TlsError, match="secure connection to 127.0.0.1 failed"):
        fetch_json(base.replace("http://", "https://") + "/jwks", allow_private=True)


def test_compressed_response_is_refused_before_decompression(server):
    base, _ = server
    assert len(GZIP_BOMB) < 1_000_000
    with outbound.guarded_client(allow_private=True) as client, pytest.raises(CompressedResponse) as caught:
        client.get(f"{base}/gzip-bomb")
    assert "compressed" in caught.value.message and "\n" not in caught.value.message
    with pytest.raises(CompressedResponse):
        fetch_json(f"{base}/gzip-bomb", allow_private=True)


def test_guarded_requests_ask_for_no_compression(server, monkeypatch):
    seen: list[str] = []
    original = outbound.httpx.HTTPTransport.handle_request

    def spy(self, request):
        seen.append(request.headers.get("accept-encoding", ""))
        return original(self, request)

    monkeypatch.setattr(outbound.httpx.HTTPTransport, "handle_request", spy)
    base, _ = server
    with outbound.guarded_client(allow_private=True) as client:
        client.get(f"{base}/jwks")
    assert seen == ["identity"]


def test_unparsable_redirect_location_is_one_sentence(server):
    base, _ = server
    with pytest.raises(outbound.OutboundError) as caught:
        fetch_json(f"{base}/bad-location", allow_private=True)
    assert "redirect" in caught.value.message and "\n" not in caught.value.message
