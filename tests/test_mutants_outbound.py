"""The outbound guard and its deadline at each boundary, with the visitor's sentences literal (MUTATION.md).

Each test kills mutmut survivors in flowguide/outbound.py and flowguide/outbound_deadline.py: an
address class moved, a size or redirect limit off by one, a deadline no longer applied.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest

from flowguide import outbound, outbound_deadline
from flowguide.outbound import (
    AddressNotAllowed,
    CompressedResponse,
    HttpStatusError,
    InvalidUrl,
    NameNotFound,
    RedirectRefused,
    ResponseTooLarge,
    SchemeNotAllowed,
    Timeout,
    fetch_json,
)

# path -> (status, headers, body); the server answers each GET from this table.
Answers = dict[str, tuple[int, dict[str, str], bytes]]


@pytest.fixture
def answering() -> Iterator[tuple[str, Answers]]:
    answers: Answers = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            status, headers, body = answers.get(self.path, (404, {}, b"{}"))
            self.send_response(status)
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body))} | headers
            for name, value in headers.items():
                if value:
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", answers
    finally:
        httpd.shutdown()
        httpd.server_close()


def message(call, *args, **kwargs) -> tuple[type, str]:
    with pytest.raises(outbound.OutboundError) as caught:
        call(*args, **kwargs)
    return type(caught.value), caught.value.message


# --- which addresses are which --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("fc00::1", "private"),
        ("fec0::1", "private"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("2002:a00:1::", "private"),
        ("2002:5db8:d70e::", None),
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),
        ("64:ff9b::5db8:d70e", None),
    ],
)
def test_classify(address: str, kind: str | None) -> None:
    assert outbound.classify(ipaddress.ip_address(address)) == kind


def test_check_address_sentences() -> None:
    assert outbound.check_address("10.0.0.1", "intranet.test", allow_private=True) == ipaddress.ip_address("10.0.0.1")
    assert message(outbound.check_address, "10.0.0.1", "intranet.test", False) == (
        AddressNotAllowed,
        "intranet.test (10.0.0.1) is a private address, and this server does not fetch from its own network.",
    )
    assert message(outbound.check_address, "127.0.0.1", "127.0.0.1", False) == (
        AddressNotAllowed,
        "127.0.0.1 is a loopback address, and this server does not fetch from its own network.",
    )
    assert message(outbound.check_address, "169.254.169.254", "metadata.test", True) == (
        AddressNotAllowed,
        "metadata.test (169.254.169.254) is a cloud metadata address, which is never fetched.",
    )
    assert message(outbound.check_address, "fe80::1%eth0", "fe80::1", True) == (
        AddressNotAllowed,
        "fe80::1 is a link-local address, which is never fetched.",
    )


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        (None, True),
        ("1", True),
        ("yes", True),
        ("", True),
        ("0", False),
        ("false", False),
        (" No ", False),
        ("OFF", False),
    ],
)
def test_private_addresses_are_allowed_unless_the_switch_says_not(monkeypatch, value, allowed) -> None:
    if value is None:
        monkeypatch.delenv("FLOWGUIDE_ALLOW_PRIVATE", raising=False)
    else:
        monkeypatch.setenv("FLOWGUIDE_ALLOW_PRIVATE", value)
    assert outbound.allow_private_default() is allowed
    assert outbound.GuardedTransport().allow_private is allowed
    assert outbound.GuardedTransport(allow_private=not allowed).allow_private is (not allowed)


# --- URLs ------------------------------------------------------------------------------------------------------


def test_check_url_sentences(monkeypatch) -> None:
    monkeypatch.setattr(outbound, "resolve", lambda host, port: {"public.test": ["93.184.215.14"]}.get(host, []))
    assert message(outbound.check_url, httpx.URL("ftp://public.test/x"), True) == (
        InvalidUrl,
        "Give an absolute URL that starts with https://.",
    )
    assert message(outbound.check_url, httpx.URL("https://u:p@public.test/"), True) == (
        InvalidUrl,
        "URLs with a user name or password in them are not fetched.",
    )
    assert message(outbound.check_url, httpx.URL("https://empty.test/"), True) == (
        NameNotFound,
        "The name empty.test has no addresses.",
    )
    assert message(outbound.check_url, httpx.URL("http://public.test/id/jwks?x=1"), True) == (
        SchemeNotAllowed,
        "Only https URLs are fetched from public hosts; use https://public.test/id/jwks?x=1.",
    )
    assert outbound.check_url(httpx.URL("https://public.test/"), False) == ipaddress.ip_address("93.184.215.14")
    assert outbound.check_url(httpx.URL("http://127.0.0.1:9/"), True) == ipaddress.ip_address("127.0.0.1")
    assert outbound.check_url(httpx.URL("http://[::1]:9/"), True) == ipaddress.ip_address("::1")


def test_the_default_ports_and_the_same_origin() -> None:
    assert outbound._port(httpx.URL("https://a.test/")) == 443
    assert outbound._port(httpx.URL("http://a.test/")) == 80
    assert outbound._port(httpx.URL("http://a.test:8080/")) == 8080
    same = outbound._same_origin
    assert same(httpx.URL("https://A.test/x"), httpx.URL("https://a.test:443/y"))
    assert not same(httpx.URL("https://a.test/"), httpx.URL("http://a.test/"))
    assert not same(httpx.URL("https://a.test/"), httpx.URL("https://a.test:8443/"))
    assert not same(httpx.URL("https://a.test/"), httpx.URL("https://b.test/"))


def test_seconds_are_said_in_words() -> None:
    assert outbound._seconds(1) == "1 second"
    assert outbound._seconds(2.5) == "2.5 seconds"
    assert outbound._seconds(5.0) == "5 seconds"


# --- sizes, encodings, statuses and redirects through fetch_json ---------------------------------------------------


def test_a_declared_length_of_exactly_the_limit_is_read_and_one_more_is_not(answering) -> None:
    base, answers = answering
    answers["/ten"] = (200, {}, b'{"a": 1234}')
    assert len(answers["/ten"][2]) == 11
    assert fetch_json(base + "/ten", allow_private=True, max_bytes=11) == {"a": 1234}
    assert message(fetch_json, base + "/ten", allow_private=True, max_bytes=10) == (
        ResponseTooLarge,
        "127.0.0.1 offered 11 bytes, more than the limit of 10.",
    )


def test_a_streamed_body_of_exactly_the_limit_is_read_and_one_more_is_not(answering) -> None:
    base, answers = answering
    answers["/stream"] = (200, {"Content-Length": ""}, b'{"a": 1234}')
    assert fetch_json(base + "/stream", allow_private=True, max_bytes=11) == {"a": 1234}
    assert message(fetch_json, base + "/stream", allow_private=True, max_bytes=10) == (
        ResponseTooLarge,
        "127.0.0.1 sent more than 10 bytes, the limit.",
    )


def test_the_transport_caps_the_stream_it_hands_on(answering) -> None:
    base, answers = answering
    answers["/stream"] = (200, {"Content-Length": ""}, b'{"a": 1234}')
    with outbound.guarded_client(allow_private=True, max_bytes=11) as client:
        assert client.get(base + "/stream").content == b'{"a": 1234}'
    with outbound.guarded_client(allow_private=True, max_bytes=10) as client:
        assert message(client.get, base + "/stream") == (
            ResponseTooLarge,
            "127.0.0.1 sent more than 10 bytes, the limit.",
        )


@pytest.mark.parametrize(("encoding", "read"), [("identity", True), ("", True), (" GZIP ", False), ("br", False)])
def test_only_an_uncompressed_body_is_read(answering, encoding: str, read: bool) -> None:
    base, answers = answering
    answers["/enc"] = (200, {"Content-Encoding": encoding}, b"{}")
    if read:
        assert fetch_json(base + "/enc", allow_private=True) == {}
    else:
        assert message(fetch_json, base + "/enc", allow_private=True) == (
            CompressedResponse,
            f"127.0.0.1 sent a compressed body ({encoding.strip().lower()}) although none was asked for, "
            "so it was not read.",
        )


@pytest.mark.parametrize("status", [200, 203, 299])
def test_a_success_status_is_read(answering, status: int) -> None:
    base, answers = answering
    answers["/s"] = (status, {}, b'{"ok": true}')
    assert fetch_json(base + "/s", allow_private=True) == {"ok": True}


@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_error_status_is_one_sentence_with_its_status(answering, status: int) -> None:
    base, answers = answering
    answers["/s?x=1"] = (status, {}, b'{"ok": true}')
    with pytest.raises(HttpStatusError) as caught:
        fetch_json(base + "/s?x=1", allow_private=True)
    assert caught.value.message == f"127.0.0.1 answered HTTP {status} for /s."
    assert caught.value.status_code == status


def test_three_redirects_are_followed_and_a_fourth_is_not(answering) -> None:
    base, answers = answering
    for hop in range(4):
        answers[f"/r{hop}"] = (302, {"Location": f"/r{hop + 1}"}, b"")
    answers["/r4"] = (200, {}, b'{"at": 4}')
    answers["/s1"] = (302, {"Location": "/r2"}, b"")
    assert fetch_json(base + "/s1", allow_private=True) == {"at": 4}
    assert message(fetch_json, base + "/r0", allow_private=True) == (
        RedirectRefused,
        "127.0.0.1 redirected more than 3 times.",
    )


def test_a_redirect_to_another_origin_names_it(answering) -> None:
    base, answers = answering
    port = base.rsplit(":", 1)[1]
    answers["/away"] = (302, {"Location": f"http://localhost:{port}/x"}, b"")
    assert message(fetch_json, base + "/away", allow_private=True) == (
        RedirectRefused,
        "127.0.0.1 redirected to localhost; redirects to another host are not followed.",
    )


def test_an_unusable_url_is_one_sentence() -> None:
    assert message(fetch_json, "https://[::1", allow_private=True) == (
        InvalidUrl,
        "That is not a URL the app can fetch; give one that starts with https://.",
    )


def test_the_request_asks_for_json_and_no_compression(answering, monkeypatch) -> None:
    base, answers = answering
    answers["/j"] = (200, {}, b"{}")
    sent: list[httpx.Request] = []
    real = outbound._HostTransport.handle_request

    def spy(self, request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return real(self, request)

    monkeypatch.setattr(outbound._HostTransport, "handle_request", spy)
    fetch_json(base + "/j", allow_private=True)
    assert sent[0].headers["accept"] == "application/json"
    assert sent[0].headers["accept-encoding"] == "identity"


# --- the deadline ------------------------------------------------------------------------------------------------


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now


def test_clamp_gives_the_time_left_or_less_and_refuses_at_the_deadline(monkeypatch) -> None:
    clock = _Clock(100.0)
    monkeypatch.setattr(outbound_deadline, "time", clock)
    clamp = outbound_deadline._clamp
    assert clamp(3.0, httpcore.ReadTimeout) == 3.0
    assert clamp(None, httpcore.ReadTimeout) is None
    with outbound_deadline.bounded(102.0) as deadline:
        assert deadline == 102.0
        assert outbound_deadline.remaining() == 2.0
        assert clamp(None, httpcore.ReadTimeout) == 2.0
        assert clamp(1.5, httpcore.ReadTimeout) == 1.5
        assert clamp(3.0, httpcore.ReadTimeout) == 2.0
        with outbound_deadline.bounded(105.0) as inner:
            assert inner == 102.0
        with outbound_deadline.bounded(101.0) as inner:
            assert inner == 101.0 and outbound_deadline.remaining() == 1.0
        assert outbound_deadline.remaining() == 2.0
        clock.now = 102.0
        with pytest.raises(httpcore.WriteTimeout, match="^the deadline for the request has passed$"):
            clamp(3.0, httpcore.WriteTimeout)
        clock.now = 101.999
        assert clamp(3.0, httpcore.ReadTimeout) == pytest.approx(0.001)
    assert outbound_deadline.remaining() == float("inf")


class _Recorder:
    """A network stream and backend that record the timeouts they are given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", timeout))
        return b"x" * max_bytes

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("write", timeout))

    def close(self) -> None:
        self.calls.append(("close", None))

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        self.calls.append(("start_tls", timeout))
        return self

    def get_extra_info(self, info: str):
        return f"info:{info}"

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.calls.append(("connect_tcp", timeout))
        return self

    def sleep(self, seconds: float) -> None:
        self.calls.append(("sleep", seconds))


def test_every_socket_operation_gets_at_most_the_time_left(monkeypatch) -> None:
    clock = _Clock(0.0)
    monkeypatch.setattr(outbound_deadline, "time", clock)
    inner = _Recorder()
    backend = outbound_deadline.DeadlineBackend(inner)
    with outbound_deadline.bounded(2.0):
        stream = backend.connect_tcp("h", 1, timeout=5.0)
        assert isinstance(stream, outbound_deadline.DeadlineStream)
        assert stream.read(3, timeout=5.0) == b"xxx"
        stream.write(b"y", timeout=1.0)
        tls = stream.start_tls(None, "h", timeout=1.5)
        assert isinstance(tls, outbound_deadline.DeadlineStream)
        assert stream.get_extra_info("ssl_object") == "info:ssl_object"
        stream.close()
        backend.sleep(0.25)
        clock.now = 2.0
        for call, error in (
            (lambda: stream.read(1, timeout=5.0), httpcore.ReadTimeout),
            (lambda: stream.write(b"y", timeout=5.0), httpcore.WriteTimeout),
            (lambda: stream.start_tls(None, "h", timeout=5.0), httpcore.ConnectTimeout),
            (lambda: backend.connect_tcp("h", 1, timeout=5.0), httpcore.ConnectTimeout),
        ):
            with pytest.raises(error):
                call()
    assert inner.calls == [
        ("connect_tcp", 2.0),
        ("read", 2.0),
        ("write", 1.0),
        ("start_tls", 1.5),
        ("close", None),
        ("sleep", 0.25),
    ]
    assert isinstance(outbound_deadline.DeadlineBackend()._inner, httpcore.SyncBackend)


def test_fetch_json_holds_one_deadline_for_the_whole_fetch(answering, monkeypatch) -> None:
    # Each request after a redirect gets only what is left of the fetch's one deadline.
    base, answers = answering
    answers["/hop"] = (302, {"Location": "/end"}, b"")
    answers["/end"] = (200, {}, b"{}")
    clock = _Clock(1000.0)
    monkeypatch.setattr(outbound, "time", clock)
    monkeypatch.setattr(outbound_deadline, "time", clock)
    left: list[float] = []
    real = outbound._HostTransport.handle_request

    def spy(self, request: httpx.Request) -> httpx.Response:
        left.append(outbound_deadline.remaining())
        response = real(self, request)
        clock.now += 1.5
        return response

    monkeypatch.setattr(outbound._HostTransport, "handle_request", spy)
    assert fetch_json(base + "/hop", allow_private=True, timeout=5.0) == {}
    assert left == [5.0, 3.5]


def test_a_name_lookup_that_outlasts_the_deadline_is_a_timeout(monkeypatch) -> None:
    release = threading.Event()

    def slow(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["93.184.215.14"]

    monkeypatch.setattr(outbound, "resolve", slow)
    started = time.monotonic()
    try:
        with outbound_deadline.bounded(time.monotonic() + 0.3):
            assert message(outbound._lookup, "slow.test", 443) == (
                Timeout,
                "The name slow.test could not be looked up in the time allowed.",
            )
    finally:
        release.set()
    assert time.monotonic() - started < 2
    # Without a deadline the lookup is waited for; an error it raises reaches the caller.
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14"])
    assert outbound._lookup("fast.test", 443) == ["93.184.215.14"]
    with outbound_deadline.bounded(time.monotonic() + 5):
        assert outbound._lookup("fast.test", 443) == ["93.184.215.14"]

    def missing(host: str, port: int) -> list[str]:
        raise NameNotFound("The name gone.test could not be found.")

    monkeypatch.setattr(outbound, "resolve", missing)
    with outbound_deadline.bounded(time.monotonic() + 5):
        assert message(outbound._lookup, "gone.test", 443) == (NameNotFound, "The name gone.test could not be found.")


def test_resolve_lists_each_address_once_in_the_order_given(monkeypatch) -> None:
    asked: list[tuple] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append((host, port, kwargs))
        return [
            (2, 1, 6, "", ("93.184.215.14", port)),
            (10, 1, 6, "", ("2606:2800::1", port, 0, 0)),
            (2, 1, 6, "", ("93.184.215.14", port)),
        ]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    assert outbound.resolve("example.test", 443) == ["93.184.215.14", "2606:2800::1"]
    assert asked == [("example.test", 443, {"type": outbound.socket.SOCK_STREAM})]


@pytest.mark.parametrize("error", [outbound.socket.gaierror(-2, "Name or service not known"), UnicodeError("label")])
def test_resolve_says_which_name_was_not_found_and_why(monkeypatch, error: Exception) -> None:
    def getaddrinfo(*args, **kwargs):
        raise error

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    assert message(outbound.resolve, "nowhere.test", 443) == (
        NameNotFound,
        f"The name nowhere.test could not be found (DNS: {error.args[-1]}).",
    )


def test_the_size_cap_adds_up_every_chunk_of_the_body() -> None:
    # Many small chunks that together pass the cap: each alone is under it, the sum is not.
    from flowguide.outbound import _read_capped
    from flowguide.outbound_errors import ResponseTooLarge

    class Chunks(httpx.SyncByteStream):
        def __iter__(self):
            yield from (b"x" * 400 for _ in range(3))

    response = httpx.Response(200, stream=Chunks())
    with pytest.raises(ResponseTooLarge, match=r"^a\.test sent more than 1,000 bytes, the limit\.$"):
        _read_capped(response, 1000, "a.test")
    exactly = httpx.Response(200, stream=Chunks())
    assert _read_capped(exactly, 1200, "a.test") == b"x" * 1200


@pytest.fixture
def slow_chunks() -> Iterator[str]:
    """A server that sends a JSON body of 1,209 bytes in five chunks, none over 400 bytes; /stall never answers."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/stall":
                time.sleep(3)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for piece in (b'{"a": "', b"x" * 400, b"x" * 400, b"x" * 400, b'"}'):
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
                    time.sleep(0.02)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the guard hung up at the cap, as it should

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_every_chunk_on_the_wire_counts_toward_the_cap(slow_chunks) -> None:
    too_large = (ResponseTooLarge, "127.0.0.1 sent more than 1,000 bytes, the limit.")
    assert message(fetch_json, slow_chunks + "/", allow_private=True, max_bytes=1000) == too_large
    with outbound.guarded_client(allow_private=True, max_bytes=1000) as client:
        assert message(client.get, slow_chunks + "/") == too_large
    assert fetch_json(slow_chunks + "/", allow_private=True, max_bytes=1209) == {"a": "x" * 1200}


def test_a_fetch_that_runs_out_of_time_names_the_host_and_the_limit(slow_chunks) -> None:
    kind, sentence = message(fetch_json, slow_chunks + "/stall", allow_private=True, timeout=0.5)
    assert kind is outbound.Timeout
    assert sentence == "127.0.0.1 did not answer in time: it took longer than 0.5 seconds."
