"""One request to the in-process sandbox, sent and recorded exactly as httpx would send and record it.

Against the in-process sandbox a run used to build an ``httpx.Request``, hand it to
``httpx.WSGITransport`` and read an ``httpx.Response`` back: per request three header lists, two
copies of the address and a body streamed through httpx's decoders, a tenth of a run. Here the
request's headers and body are made once, in httpx's order and encoding (``Client.build_request``:
the client's headers updated with the request's, then the body's, then Host and an empty POST's
Content-Length in front), the WSGI environ is the one ``WSGITransport`` builds, and the answer is
recorded straight from the app. tests/test_client_in_process.py holds every exchange, and the environ
the app sees, to what the httpx path gives. A request this does not cover goes through httpx.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from flowguide.transcript import Exchange, body_text

FORM = "application/x-www-form-urlencoded"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The request parts sent here as httpx sends them; any other (content, json, files, cookies, timeout) goes to httpx.
_PARTS = frozenset({"headers", "data", "params"})
# A longer query goes through httpx, which also refuses an address over its length limits.
_PLAIN_QUERY = 8192


def covers(http: httpx.Client, transport: httpx.BaseTransport | None, url: httpx.URL, parts: Mapping[str, Any]) -> bool:
    """Whether this path sends the request exactly as ``http.build_request`` and ``transport`` would."""
    if type(transport) is not httpx.WSGITransport or http.cookies or http.params or url.is_relative_url:
        return False
    if not _PARTS.issuperset(parts):
        return False
    data = parts.get("data")
    if data is not None and not all(isinstance(v, str) for v in data.values()):
        return False
    return _plain_headers(parts.get("headers") or {})


def _plain_headers(headers: Mapping[str, str]) -> bool:
    """Text headers, each name once whatever its case (httpx would send a repeated one twice)."""
    if not all(isinstance(k, str) and isinstance(v, str) and v.isascii() and k.isascii() for k, v in headers.items()):
        return False
    return len({k.lower() for k in headers}) == len(headers)


def send(
    http: httpx.Client,
    transport: httpx.WSGITransport,
    method: str,
    url: httpx.URL,
    *,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    params: Any = None,
    actor: str = "",
    label: str = "",
) -> tuple[httpx.Response | None, Exchange]:
    """Send one request to the transport's app and record it; an httpx.Response too for cookies or a coded body."""
    started = time.perf_counter()
    method = method.upper()
    url, address, query = _address(url, params)
    body = urlencode(list(data.items()), doseq=True).encode("utf-8") if data else b""
    sent = request_headers(http, url, method, headers or {}, body if data else None)
    status, answered, content = _call(transport, _environ(transport, method, url, query, sent, body))
    response = None
    if any(name.lower() in ("set-cookie", "content-encoding") for name, _ in answered):
        # Cookies are read with the request's address, and a coded body decoded, by httpx itself.
        response = httpx.Response(status, headers=answered, stream=httpx.ByteStream(content))
        response.request = httpx.Request(method, address, headers=sent)
        content = response.read()
    received = [(name.lower(), value) for name, value in answered]
    exchange = Exchange(
        method=method,
        url=address,
        request_headers=sent,
        request_body=body.decode("utf-8", errors="replace"),
        status=status,
        response_headers=received,
        response_body=body_text(content, next((v for k, v in received if k == "content-type"), "")),
        elapsed_ms=(time.perf_counter() - started) * 1000,
        actor=actor,
        label=label,
    )
    return response, exchange


def _address(url: httpx.URL, params: Any) -> tuple[httpx.URL, str, str]:
    """``httpx.URL(url, params=params)``: a URL with the request's host and path, the whole address, its query."""
    query = _plain_query(url, params) if params is not None else None
    if query is not None:
        return url, f"{url}?{query}" if query else str(url), query
    if params is not None:
        url = httpx.URL(url, params=params)
    return url, str(url), url.query.decode("ascii")


def _plain_query(url: httpx.URL, params: Any) -> str | None:
    """The query httpx makes of text ``params`` (``QueryParams`` is urllib's urlencode), without parsing the address."""
    if not isinstance(params, dict) or url.query or url.fragment:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        return None
    query = urlencode(list(params.items()))
    return query if len(query) <= _PLAIN_QUERY else None


def request_headers(
    http: httpx.Client, url: httpx.URL, method: str, given: Mapping[str, str], body: bytes | None
) -> list[tuple[str, str]]:
    """The request's headers as httpx sends them, by lower-case name (as ``Headers.multi_items`` gives them)."""
    replaced = {k.lower() for k in given}
    merged = [(k, v) for k, v in http.headers.multi_items() if k not in replaced]
    merged += [(k.lower(), v) for k, v in given.items()]
    names = {k for k, _ in merged}
    if body is not None:
        merged += [(k, v) for k, v in (("content-length", str(len(body))), ("content-type", FORM)) if k not in names]
        names |= {"content-length", "content-type"}
    auto = []
    if "host" not in names and url.host:
        auto.append(("host", url.netloc.decode("ascii")))
    if "content-length" not in names and "transfer-encoding" not in names and method in ("POST", "PUT", "PATCH"):
        auto.append(("content-length", "0"))
    return auto + merged


def _environ(
    transport: httpx.WSGITransport, method: str, url: httpx.URL, query: str, headers: list[tuple[str, str]], body: bytes
) -> dict[str, Any]:
    """The WSGI environ ``httpx.WSGITransport.handle_request`` builds for the same request."""
    environ = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": transport.wsgi_errors or sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": transport.script_name,
        "PATH_INFO": url.path,
        "QUERY_STRING": query,
        "SERVER_NAME": url.host,
        "SERVER_PORT": str(url.port or _DEFAULT_PORTS[url.scheme]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": transport.remote_addr,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    return environ


def _call(transport: httpx.WSGITransport, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run the app (read from the transport each call, so a wrapper set there sees it): status, headers, body."""
    seen: list[Any] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        seen[:] = [status, response_headers, exc_info]
        return lambda _: None

    result: Iterable[bytes] = transport.app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, answered, exc_info = seen
    if exc_info and exc_info[0] and transport.raise_app_exceptions:
        raise exc_info[1]
    # The transport sends header names and values as ASCII; one that is not fails here as it would there.
    for name, value in answered:
        name.encode("ascii"), value.encode("ascii")
    return int(status.split()[0]), list(answered), content
