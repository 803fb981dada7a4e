"""The outbound guard connects to the address it checked, proven with a server off loopback.

The server lives at 10.200.x.2 in its own network namespace (tests/fixtures/netns.py), and a second
server on 127.0.0.1 listens on the same port and answers as "loopback". A connection that went to
the local machine instead of the checked address (a host lost on the way to the socket, or a name
resolved a second time) reaches the loopback one, and its answer says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
from fixtures.netns_server import handler_named

from flowguide import outbound
from flowguide.outbound import fetch_json, guarded_client

if TYPE_CHECKING:  # imported for its type only: the plugin itself is loaded by pytest_plugins
    from fixtures.netns import NamespaceServer

pytest_plugins = ["fixtures.netns"]


@pytest.fixture
def loopback_twin() -> Iterator[int]:
    """A server on 127.0.0.1 answering as "loopback"; its port is the one the namespace's server takes."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_named("loopback"))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def namespace_port(loopback_twin: int) -> int:
    return loopback_twin


def test_a_fetch_reaches_the_checked_address_not_the_local_machine(namespace_server: NamespaceServer) -> None:
    where = f"{namespace_server.address}:{namespace_server.port}"
    assert fetch_json(f"http://{where}/id/.well-known/openid-configuration", allow_private=True) == {
        "server": "namespace",
        "method": "GET",
        "host": where,
        "path": "/id/.well-known/openid-configuration",
    }


def test_the_guarded_client_reaches_the_checked_address_not_the_local_machine(
    namespace_server: NamespaceServer,
) -> None:
    # /connect's client (connect.connect_http) sends the token and API requests through this one.
    where = f"{namespace_server.address}:{namespace_server.port}"
    with guarded_client(allow_private=True) as client:
        answer = client.post(f"http://{where}/id/connect/token", data={"grant_type": "client_credentials"})
    assert answer.json() == {"server": "namespace", "method": "POST", "host": where, "path": "/id/connect/token"}


def test_a_name_is_connected_to_at_the_address_the_guard_checked(
    monkeypatch: pytest.MonkeyPatch, namespace_server: NamespaceServer
) -> None:
    # DNS rebinding: the guard's lookup says 10.200.x.2, a second lookup of "localhost" would say loopback.
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return [namespace_server.address] if host == "localhost" else []

    monkeypatch.setattr(outbound, "resolve", resolve)
    answer = fetch_json(f"http://localhost:{namespace_server.port}/jwks", allow_private=True)
    assert answer == {
        "server": "namespace",
        "method": "GET",
        "host": f"localhost:{namespace_server.port}",
        "path": "/jwks",
    }
    assert asked == ["localhost"]


def test_the_loopback_twin_answers_as_itself(loopback_twin: int) -> None:
    # The contrast the tests above rely on: the same port on the local machine gives another answer.
    assert fetch_json(f"http://127.0.0.1:{loopback_twin}/jwks", allow_private=True)["server"] == "loopback"


@pytest.fixture
def proxy_in_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A proxy on loopback named by every proxy variable; yields the request lines it was sent."""
    seen: list[str] = []

    class Proxy(handler_named("proxy")):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            seen.append(self.requestline)
            super().do_GET()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    proxy = f"http://127.0.0.1:{httpd.server_address[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        yield seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_proxy_in_the_environment_never_carries_a_request_past_the_guard(
    namespace_server: NamespaceServer, proxy_in_environment: list[str]
) -> None:
    # A proxy would fetch whatever it is asked, unchecked: the guard connects to the checked address itself.
    where = f"{namespace_server.address}:{namespace_server.port}"
    assert fetch_json(f"http://{where}/jwks", allow_private=True)["server"] == "namespace"
    with guarded_client(allow_private=True) as client:
        assert client.get(f"http://{where}/jwks").json()["server"] == "namespace"
    assert proxy_in_environment == []
