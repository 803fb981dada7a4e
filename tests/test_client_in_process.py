"""A request to the in-process sandbox is sent and recorded exactly as httpx sends and records it.

``flowguide.client.in_process`` builds the request's headers and body itself and calls the sandbox's
WSGI app without an ``httpx.Request`` or ``httpx.Response`` in between. Here httpx is the reference:
for hundreds of generated requests (methods, addresses, query parameters, forms, headers that replace
httpx's own) against an app that answers with what it was given, the exchange recorded, the environ
the app saw and the cookies the answer set must be the ones ``Client.build_request`` with
``WSGITransport`` (and with ``Client.send``) give.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from flowguide.client import FLOW_STEPS, FlowRun, in_process, run_to_end
from flowguide.client.run import _NoCookies
from flowguide.sandbox import Sandbox
from flowguide.transcript import Exchange, send_and_record

BASE = "https://idp.example"
_ANSWERS: list[tuple[str, list[tuple[str, str]], list[bytes]]] = [
    ("200 OK", [("Content-Type", "application/json")], []),
    ("200 OK", [("Content-Type", "text/html; charset=utf-8")], ["<p>Grüße</p>".encode()]),
    (
        "302 Found",
        [("Location", "/id/next"), ("Set-Cookie", "idsrv=abc; Path=/; HttpOnly"), ("Set-Cookie", "b=2; Path=/id")],
        [b""],
    ),
    ("200 OK", [("Content-Type", "text/plain; charset=ISO-8859-1")], ["Grüße".encode("latin-1")]),
    ("204 No Content", [], []),
    ("200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], [gzip.compress(b"zipped")]),
    ("400 Bad Request", [("Content-Type", "application/json"), ("Cache-Control", "no-store")], [b"", b"{}", b""]),
]


def echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers with everything it was given (the JSON body), in the shape the X-Answer header picks."""
    body = environ["wsgi.input"].read()
    given = {k: v for k, v in environ.items() if isinstance(v, str | int | tuple | bool)}
    seen = json.dumps({"environ": given, "body": body.decode("utf-8", "replace")}, sort_keys=True).encode()
    status, headers, chunks = _ANSWERS[int(environ.get("HTTP_X_ANSWER", "0"))]
    start_response(status, [*headers, ("X-Seen", str(len(seen)))])
    # A gzip answer's body is the compressed bytes alone; the others end with what the app was given.
    return chunks if any(name == "Content-Encoding" for name, _ in headers) else [*chunks, seen]


def _request(rnd: random.Random) -> tuple[str, str, dict[str, Any]]:
    method = rnd.choice(["GET", "POST", "POST", "PUT", "PATCH", "DELETE", "get", "post"])
    url = rnd.choice(
        [
            f"{BASE}/id/connect/token",
            f"{BASE}/id/connect/authorize?client_id=a&x=%20y",
            "http://127.0.0.1:8600/api/domain/odata/Crm_Sales_Customers?$top=2",
            f"{BASE}:443/id/a%2Fb/c d",
            "https://idp.example:8443/id/",
            "http://idp.example/id/plain",
            f"{BASE}/id/with#fragment",
        ]
    )
    parts: dict[str, Any] = {"headers": _headers(rnd)}
    if rnd.random() < 0.5:
        parts["data"] = rnd.choice([{}, {"grant_type": "x", "code": "a b&c=d", "name": "Grüße ü/€", "": "empty"}])
    if rnd.random() < 0.3:
        parts["params"] = rnd.choice(
            [
                {},
                {"state": "s t", "scope": "openid profile", "redirect_uri": "https://app.example/cb?x=1&y=%41"},
                {"a": "ü€", "b+c": "=&;#", "": ""},
                {"long": "v" * 9000},
                [("a", "1"), ("a", "2")],
                {"n": ["1", "2"]},
            ]
        )
    return method, url, parts


def _headers(rnd: random.Random) -> dict[str, str]:
    choices = {
        "Accept": "application/json",
        "accept-encoding": "identity",
        "Cookie": "idsrv=abc; b=2",
        "Authorization": "Bearer abc.def.ghi",
        "User-Agent": "flowguide-test",
        "Content-Type": "text/plain",
        "HOST": "other.example",
        "Content-Length": "3",
        "Transfer-Encoding": "chunked",
        "X-Long-Name-Header": "v",
    }
    chosen = {k: v for k, v in choices.items() if rnd.random() < 0.25}
    return chosen | {"X-Answer": str(rnd.randrange(len(_ANSWERS)))}


def _through_httpx(http: httpx.Client, transport: httpx.BaseTransport | None, method: str, url: str, parts: dict):
    request = http.build_request(method, httpx.URL(url), **parts)
    return send_and_record(http, request, actor="browser", label="x", transport=transport)


def _same(one: Exchange, other: Exchange) -> None:
    one.elapsed_ms = other.elapsed_ms = 0.0
    assert one == other


@pytest.mark.parametrize("seed", range(6))
def test_in_process_requests_are_the_ones_httpx_sends_and_records(seed: int) -> None:
    rnd = random.Random(seed)
    transport = httpx.WSGITransport(app=echo)
    with httpx.Client(transport=transport, cookies=_NoCookies(), follow_redirects=False) as http:
        for _ in range(60):
            method, url, parts = _request(rnd)
            assert in_process.covers(http, transport, httpx.URL(url), parts)
            response, direct = in_process.send(
                http, transport, method, httpx.URL(url), **parts, actor="browser", label="x"
            )
            expected_response, expected = _through_httpx(http, transport, method, url, parts)
            _same(direct, expected)
            _, through_client = _through_httpx(http, None, method, url, parts)
            _same(direct, through_client)
            cookies = dict(response.cookies) if response is not None else {}
            assert cookies == dict(expected_response.cookies)
            coded = "content-encoding" in expected_response.headers
            assert (response is not None) == ("set-cookie" in expected_response.headers or coded)


def test_the_app_sees_the_environ_httpx_builds() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append({k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")})
        seen[-1]["body"] = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return []

    transport = httpx.WSGITransport(app=app, script_name="/root", remote_addr="10.0.0.9")
    with httpx.Client(transport=transport) as http:
        url = httpx.URL(f"{BASE}/id/connect/token?a=1")
        parts = {"headers": {"Accept": "text/html", "Cookie": "k=v"}, "data": {"code": "x y"}}
        in_process.send(http, transport, "POST", url, **parts)
        _through_httpx(http, transport, "POST", str(url), parts)
    assert seen[0] == seen[1]
    assert seen[0]["SCRIPT_NAME"] == "/root" and seen[0]["body"] == b"code=x+y"


@pytest.mark.parametrize(
    ("url", "parts", "client_kwargs"),
    [
        ("/id/connect/token", {}, {"base_url": BASE}),  # relative: httpx joins it to base_url
        (f"{BASE}/id", {"json": {"a": 1}}, {}),
        (f"{BASE}/id", {"content": b"raw"}, {}),
        (f"{BASE}/id", {"data": {"a": ["1", "2"]}}, {}),
        (f"{BASE}/id", {"headers": {"Accept": "a", "accept": "b"}}, {}),
        (f"{BASE}/id", {"headers": {"X-Name": "Grüße"}}, {}),
        (f"{BASE}/id", {}, {"cookies": {"k": "v"}}),
        (f"{BASE}/id", {}, {"params": {"k": "v"}}),
    ],
)
def test_what_the_path_does_not_cover_goes_through_httpx(url: str, parts: dict, client_kwargs: dict) -> None:
    transport = httpx.WSGITransport(app=echo)
    with httpx.Client(transport=transport, **client_kwargs) as http:
        assert not in_process.covers(http, transport, httpx.URL(url), parts)
    with httpx.Client(transport=transport) as http:
        assert in_process.covers(http, transport, httpx.URL(f"{BASE}/id"), {})
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as http:
        assert not in_process.covers(http, http._transport, httpx.URL(f"{BASE}/id"), {})


@pytest.mark.parametrize("flow", sorted(FLOW_STEPS))
def test_a_run_against_the_in_process_sandbox_takes_this_path(flow: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> None:
        raise AssertionError("the in-process run went through httpx.WSGITransport")

    monkeypatch.setattr(httpx.WSGITransport, "handle_request", refuse)
    run = FlowRun.for_sandbox(Sandbox(), flow)
    run_to_end(run)
    assert run.error is None and run.exchanges
    assert all(r.ok for r in run.results)


def test_a_sandboxs_runs_share_one_client_and_closing_a_run_leaves_the_others_working() -> None:
    sandbox = Sandbox()
    first, second = FlowRun.for_sandbox(sandbox, "authorization_code"), FlowRun.for_sandbox(sandbox, "refresh")
    assert first.http is second.http
    assert FlowRun.for_sandbox(Sandbox(), "authorization_code").http is not first.http
    first.http.close()
    run_to_end(second)
    assert second.error is None
    # A by-hand request goes through Client.send, which a closed client would refuse.
    assert second.http.get("/id/.well-known/openid-configuration").status_code == 200
    assert second.http.cookies.jar.__class__ is _NoCookies


def test_an_address_over_httpxs_length_limit_is_refused_as_httpx_refuses_it() -> None:
    transport = httpx.WSGITransport(app=echo)
    params = {"state": "s" * 70_000}
    with httpx.Client(transport=transport) as http:
        with pytest.raises(httpx.InvalidURL) as by_httpx:
            _through_httpx(http, transport, "GET", f"{BASE}/id", {"params": params})
        with pytest.raises(httpx.InvalidURL) as here:
            in_process.send(http, transport, "GET", httpx.URL(f"{BASE}/id"), params=params)
    assert str(here.value) == str(by_httpx.value)
