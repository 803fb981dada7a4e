"""One deadline per request, against real loopback servers that drip, stall or redirect slowly.

httpx's own timeouts are per read: a server that sends one byte every second never trips them.
These servers do exactly that; the guard must end the request at its deadline and hang up.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowguide import outbound
from flowguide.outbound import Timeout, fetch_json

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"


class DripServer:
    """Per connection: read the request, send ``prefix`` at once, then ``drip`` one byte per ``interval``.

    It gives up after ``give_up`` seconds (so a broken guard fails the test instead of hanging it) and
    notes the moment the client hangs up, which is when the guard let go of the connection.
    """

    def __init__(self, prefix: bytes, drip: bytes, interval: float, give_up: float = 12.0) -> None:
        self.prefix, self.drip, self.interval, self.give_up = prefix, drip, interval, give_up
        self.hung_up = threading.Event()
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _client_gone(self, conn: socket.socket, wait: float) -> bool:
        readable, _, _ = select.select([conn], [], [], wait)
        if not readable:
            return False
        try:
            return conn.recv(1024) == b""
        except OSError:
            return True

    def _serve(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    self.hung_up.set()
                    return
                request += chunk
            try:
                conn.sendall(self.prefix)
                for byte in self.drip:
                    if self._client_gone(conn, self.interval):
                        self.hung_up.set()
                        return
                    if self.stop.is_set() or time.monotonic() - started > self.give_up:
                        return
                    conn.sendall(bytes([byte]))
                while not self.stop.is_set() and time.monotonic() - started < self.give_up:
                    if self._client_gone(conn, self.interval):
                        self.hung_up.set()
                        return
            except OSError:
                self.hung_up.set()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def drip_server() -> Iterator[Callable[..., DripServer]]:
    servers: list[DripServer] = []

    def start(*args, **kwargs) -> DripServer:
        servers.append(DripServer(*args, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def failure(call: Callable[..., object], *args, **kwargs) -> tuple[str, float]:
    """The guard's sentence and how long the call took to fail."""
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        call(*args, **kwargs)
    return caught.value.message, time.monotonic() - started


def test_headers_dripped_a_byte_a_second_end_at_the_default_five_seconds(drip_server):
    # About 80 header bytes at one a second would hold the request for over a minute.
    server = drip_server(b"", HEADERS + b"{}", interval=1.0)
    message, took = failure(fetch_json, f"http://127.0.0.1:{server.port}/jwks", allow_private=True)
    assert message == "127.0.0.1 did not answer in time: it took longer than 5 seconds."
    assert 4.5 < took < 8
    assert server.hung_up.wait(2)


def test_body_dripped_a_byte_every_half_second_ends_at_the_default_five_seconds(drip_server):
    # Headers at once, then 100 body bytes at two a second: 50 s if nothing cut it.
    server = drip_server(HEADERS, b" " * 100, interval=0.5)
    message, took = failure(fetch_json, f"http://127.0.0.1:{server.port}/jwks", allow_private=True)
    assert message == "127.0.0.1 did not answer in time: it took longer than 5 seconds."
    assert 4.5 < took < 8
    assert server.hung_up.wait(2)


def test_a_shorter_deadline_holds_for_a_client_of_the_guard(drip_server):
    # The /connect flows use the guarded client directly (POSTs), not fetch_json.
    server = drip_server(b"", HEADERS + b"{}", interval=0.2)
    with outbound.guarded_client(allow_private=True, timeout=1.0) as client:
        message, took = failure(client.post, f"http://127.0.0.1:{server.port}/token", data={"a": "b"})
    assert message == "127.0.0.1 did not answer in time: it took longer than 1 second."
    assert took < 3
    assert server.hung_up.wait(2)


def slow_dns(monkeypatch, seconds: float, release: threading.Event) -> None:
    def resolve(host: str, port: int) -> list[str]:
        release.wait(seconds)
        return ["127.0.0.1"]

    monkeypatch.setattr(outbound, "resolve", resolve)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_a_slow_name_lookup_counts_against_the_deadline(monkeypatch, release):
    slow_dns(monkeypatch, 5.0, release)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    message, took = failure(fetch_json, f"http://slow.test:{port}/jwks", allow_private=True, timeout=1.0)
    assert message == "The name slow.test could not be looked up in the time allowed."
    assert took < 3


def test_time_spent_on_the_name_leaves_less_for_the_body(monkeypatch, release, drip_server):
    # 1.5 s of DNS, headers at once, then a body that never comes: the read gets the 1 s left, not 2.5 s.
    # Through the client (as /connect uses it): httpx reads the body after the transport has returned.
    slow_dns(monkeypatch, 1.5, release)
    server = drip_server(HEADERS, b"", interval=0.1)
    with outbound.guarded_client(allow_private=True, timeout=2.5) as client:
        message, took = failure(client.get, f"http://slow.test:{server.port}/jwks")
    assert message == "slow.test did not answer in time: it took longer than 2.5 seconds."
    assert took < 3.3


def test_time_spent_on_the_name_leaves_less_for_the_tls_handshake(monkeypatch, release, drip_server):
    # The server reads the ClientHello and answers nothing: the handshake gets the 1 s left, not 2.5 s.
    slow_dns(monkeypatch, 1.5, release)
    server = drip_server(b"", b"", interval=0.1)
    message, took = failure(fetch_json, f"https://slow.test:{server.port}/jwks", allow_private=True, timeout=2.5)
    assert message == "slow.test did not answer in time: it took longer than 2.5 seconds."
    assert took < 3.3


@pytest.fixture
def unaccepted() -> Iterator[socket.socket]:
    """A listener that never accepts: its one queued connection takes data unread, later ones hang in connect."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener:
        yield listener


def test_time_spent_on_the_name_leaves_less_for_connecting(monkeypatch, release, unaccepted):
    slow_dns(monkeypatch, 1.5, release)
    port = unaccepted.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)):  # fills the queue: the next SYN goes unanswered
        message, took = failure(fetch_json, f"http://slow.test:{port}/jwks", allow_private=True, timeout=2.5)
    assert message == "slow.test did not answer in time: it took longer than 2.5 seconds."
    assert took < 3.3


def test_time_spent_on_the_name_leaves_less_for_sending(monkeypatch, release, unaccepted):
    # 64 MB to a server that reads nothing: the write blocks once the socket buffers are full.
    slow_dns(monkeypatch, 1.5, release)
    port = unaccepted.getsockname()[1]
    with outbound.guarded_client(allow_private=True, timeout=2.5) as client:
        message, took = failure(client.post, f"http://slow.test:{port}/token", content=b"x" * 64_000_000)
    assert message == "slow.test did not answer in time: it took longer than 2.5 seconds."
    assert took < 3.3


def test_a_body_read_after_the_deadline_is_refused(drip_server):
    # The body is there to read, but the request's time is over: reading it would stretch the deadline.
    server = drip_server(HEADERS, b" " * 100, interval=0.3)
    client = outbound.guarded_client(allow_private=True, timeout=1.0)
    with client, client.stream("GET", f"http://127.0.0.1:{server.port}/jwks") as response:
        time.sleep(1.2)
        message, _ = failure(response.read)
    assert message == "127.0.0.1 did not answer in time: it took longer than 1 second."


class SlowRedirects(BaseHTTPRequestHandler):
    seen: list[str]

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        time.sleep(0.6)
        self.send_response(302)
        self.send_header("Location", f"/hop{len(self.seen)}")
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_redirects_share_one_deadline(release):
    # Each hop alone is within 1 s; four of them are not, and fetch_json is one request to the visitor.
    handler = type("H", (SlowRedirects,), {"seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/start"
        message, _ = failure(fetch_json, url, allow_private=True, timeout=1.0)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert message == "127.0.0.1 did not answer in time: it took longer than 1 second."
    assert handler.seen[0] == "/start" and len(handler.seen) <= 2
