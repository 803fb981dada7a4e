"""What crossed the wire: recorded HTTP exchanges, rendered as HTTP/1.1 messages and curl commands.

An :class:`Exchange` holds exactly what was sent and received, secrets included, so the transcript
is true. Everything that renders it masks client secrets, passwords, authorization codes, PKCE
verifiers, tokens and session cookies unless the caller passes ``reveal=True``; how is
:mod:`flowguide.masking`'s business.
"""

from __future__ import annotations

import codecs
import json
import logging
import shlex
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import httpx

from flowguide.masking import (
    JSON_MEMBER,
    JWT_PATTERN,
    MASK,
    PREFIX_LENGTH,
    PREFIX_MIN_LENGTH,
    REPLACE_MIN_LENGTH,
    SENSITIVE_FIELDS,
    SENSITIVE_HEADERS,
    Masker,
    header_secrets,
    is_sensitive_name,
    json_secrets,
    mask,
    mask_values,
    url_pairs,
)

# Headers curl sets itself; repeating them only adds noise to the command.
CURL_IMPLIED_HEADERS = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})


@dataclass
class Exchange:
    """One HTTP request and its response, as they crossed the wire."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str
    status: int
    response_headers: list[tuple[str, str]]
    response_body: str
    elapsed_ms: float
    # Who sent it, in the flow's words: "browser", "web app back end", "service".
    actor: str = ""
    label: str = ""

    # --- reading ---------------------------------------------------------------------------------

    def request_header(self, name: str) -> str | None:
        return _header(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return _header(self.response_headers, name)

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""

    @property
    def request_content_type(self) -> str:
        return (self.request_header("content-type") or "").split(";")[0].strip().lower()

    @property
    def form(self) -> dict[str, str] | None:
        """The request's form fields, when it sent a form."""
        if self.request_content_type != "application/x-www-form-urlencoded":
            return None
        return dict(parse_qsl(self.request_body, keep_blank_values=True))

    @property
    def request_json(self) -> Any:
        if self.request_content_type != "application/json" or not self.request_body:
            return None
        return json.loads(self.request_body)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def location(self) -> str | None:
        return self.response_header("location")

    def response_json(self) -> Any:
        """The response body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.response_body)
        except (ValueError, RecursionError):
            # RecursionError: JSON nested deeper than the parser goes (a hostile provider).
            return None

    # --- secrets -----------------------------------------------------------------------------------

    def secrets(self) -> set[str]:
        """Every credential this exchange carried, in either direction."""
        found: set[str] = set()
        for name, value in url_pairs(self.url):
            if is_sensitive_name(name) and value:
                found.add(value)
        for name, value in self.form_pairs():
            if is_sensitive_name(name) and value:
                found.add(value)
        for body in (self.request_json, self.response_json()):
            found.update(json_secrets(body))
        for name, value in self.request_headers + self.response_headers:
            found.update(header_secrets(name, value))
        for text in (self.request_body, self.response_body):
            found.update(JWT_PATTERN.findall(text))
        return {s for s in found if s}

    def form_pairs(self) -> list[tuple[str, str]]:
        if self.request_content_type != "application/x-www-form-urlencoded":
            return []
        return parse_qsl(self.request_body, keep_blank_values=True)

    # --- rendering ---------------------------------------------------------------------------------

    def render_request(self, reveal: bool = False) -> str:
        """The request as an HTTP/1.1 message."""
        masker = Masker(self.secrets(), reveal)
        parts = urlsplit(self.url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + masker.query(parts.query)
        lines = [f"{self.method} {target} HTTP/1.1"]
        if self.request_header("host") is None:
            lines.append(f"Host: {parts.netloc}")
        lines += [f"{_title(n)}: {masker.header(n, v)}" for n, v in self.request_headers]
        return "\n".join(lines) + "\n\n" + masker.body(self.request_body, self.form is not None)

    def render_response(self, reveal: bool = False, max_body: int | None = None) -> str:
        """The response as an HTTP/1.1 message; ``max_body`` shortens long bodies (HTML pages)."""
        masker = Masker(self.secrets(), reveal)
        lines = [f"HTTP/1.1 {self.status} {self.reason}".rstrip()]
        lines += [f"{_title(n)}: {masker.header(n, v)}" for n, v in self.response_headers]
        body = masker.body(self.response_body, form=False)
        if max_body is not None and len(body) > max_body:
            body = body[:max_body] + f"\n… ({len(body) - max_body} more characters)"
        return "\n".join(lines) + "\n\n" + body

    def render_http(self, reveal: bool = False, max_body: int | None = None) -> str:
        """Request and response, one after the other."""
        return self.render_request(reveal) + "\n\n" + self.render_response(reveal, max_body)

    def to_curl(self, reveal: bool = False, multiline: bool = False) -> str:
        """A shell-quoted curl command that sends the same request (``-i`` shows the response head).

        Form fields go one ``--data-urlencode`` each (curl encodes the value; its name is sent as it
        is, so it is percent-encoded here), which also makes curl POST the form with its content type.
        A cookie goes only with the browser's requests: the back channel never sends one.
        """
        masker = Masker(self.secrets(), reveal)
        parts = urlsplit(self.url)
        url = urlunsplit(parts._replace(query=masker.query(parts.query) if parts.query else ""))
        # "=value" means a value with no name to curl, which drops the "=": such a body goes as it was sent.
        form = bool(self.request_body) and self.form is not None and all(name for name, _ in self.form_pairs())
        # curl reads [] and {} in a URL as its own ranges and lists (an IPv6 host, say) unless told not to.
        args = ["curl", "-i", url] if not any(c in url for c in "[]{}") else ["curl", "-g", "-i", url]
        head = len(args)
        # curl infers POST from a body; any other method with one, or a POST without one, is named.
        if (self.method, bool(self.request_body)) not in (("GET", False), ("POST", True)):
            args += ["-X", self.method]
        for name, value in self.request_headers:
            if self._curl_skips(name, value, form):
                continue
            args += ["-H", f"{_title(name)}: {masker.header(name, value)}"]
        if form:
            for name, value in self.form_pairs():
                # As Masker.pairs does: a credential by its field's name, then any known secret in the text.
                shown = mask(value) if not reveal and value and is_sensitive_name(name) else masker.text(value)
                args += ["--data-urlencode", f"{quote(name, safe='')}={shown}"]
        elif self.request_body:
            args += ["--data-raw", masker.body(self.request_body, self.form is not None)]
        return _command(args, multiline, head)

    def _curl_skips(self, name: str, value: str, form: bool) -> bool:
        """Headers curl sets itself, and cookies the back channel never sends."""
        lowered = name.lower()
        if lowered in CURL_IMPLIED_HEADERS or (lowered == "accept" and value == "*/*"):
            return True
        if lowered == "cookie" and self.actor != "browser":
            return True
        # --data-urlencode sets Content-Type: application/x-www-form-urlencoded itself.
        return form and lowered == "content-type"


# --- recording ---------------------------------------------------------------------------------------


class _NoQueryInRequestLog(logging.Filter):
    """httpx logs each request's URL at INFO; an authorize URL carries state and nonce."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) and arg.query else arg for arg in record.args
            )
        return True


_HTTPX_LOG = logging.getLogger("httpx")
if not any(isinstance(f, _NoQueryInRequestLog) for f in _HTTPX_LOG.filters):
    _HTTPX_LOG.addFilter(_NoQueryInRequestLog())


def send_and_record(
    http: httpx.Client,
    request: httpx.Request,
    actor: str = "",
    label: str = "",
    transport: httpx.BaseTransport | None = None,
) -> tuple[httpx.Response, Exchange]:
    """Send one request through ``http`` (no redirects followed) and record what crossed the wire.

    With ``transport`` (the one ``http`` was made with) the request is handed to it directly: a request
    that follows no redirect and carries no client-level auth or cookies needs nothing more of
    ``Client.send``, whose cookie-jar and redirect bookkeeping was a sixth of an in-process run.
    """
    started = time.perf_counter()
    if transport is None:
        response = http.send(request, follow_redirects=False)
    else:
        response = transport.handle_request(request)
        response.request = request
    response.read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    exchange = Exchange(
        method=request.method,
        url=str(request.url),
        request_headers=[(k, v) for k, v in request.headers.multi_items()],
        request_body=_text(request.content),
        status=response.status_code,
        response_headers=[(k, v) for k, v in response.headers.multi_items()],
        response_body=response_text(response),
        elapsed_ms=elapsed_ms,
        actor=actor,
        label=label,
    )
    return response, exchange


def response_text(response: httpx.Response) -> str:
    """``response.text``: the body decoded with its declared charset, else the client's default, bad bytes replaced.

    httpx reads the charset by handing Content-Type to the email package's parser on every answer;
    a run reads seven answers, so the parameter is read here instead.
    """
    return body_text(response.content, response.headers.get("content-type", ""), response.default_encoding)


def body_text(content: bytes, content_type: str, default: str | Callable[[bytes], str | None] = "utf-8") -> str:
    """A body decoded with the charset its Content-Type declares, else ``default`` (httpx's default_encoding)."""
    if not content:
        return ""
    encoding = _declared_charset(content_type)
    if encoding is None:
        encoding = default if isinstance(default, str) else default(content)
    return content.decode(encoding or "utf-8", errors="replace")


def _declared_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type, when Python knows that encoding (as httpx's Response.encoding)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').strip().lower()
            return charset if charset and _known_encoding(charset) else None
    return None


@lru_cache(maxsize=64)
def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def secret_values(source: Any) -> set[str]:
    """Every secret, password, code, verifier and token in a run (or in an iterable of exchanges).

    A run contributes its exchanges and whatever it knows it holds (``known_secrets()``), so a
    test can search logs, URLs and files for each of them.
    """
    found: set[str] = set()
    for exchange in _exchanges_of(source):
        found |= exchange.secrets()
    known = getattr(source, "known_secrets", None)
    if callable(known):
        found |= {v for v in known() if v}
    return found


# --- helpers -------------------------------------------------------------------------------------------


def _exchanges_of(source: Any) -> Iterator[Exchange]:
    if isinstance(source, Exchange):
        yield source
        return
    results = getattr(source, "results", None)
    items: Iterable[Any] = results if results is not None else source
    for item in items:
        if isinstance(item, Exchange):
            yield item
        else:
            yield from getattr(item, "exchanges", ())


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers if k.lower() == lowered), None)


def _command(args: list[str], multiline: bool, head: int) -> str:
    """The arguments shell-quoted: on one line, or the first ``head`` (up to the URL) then one option a line."""
    quoted = [shlex.quote(a) for a in args]
    if not multiline:
        return " ".join(quoted)
    out = " ".join(quoted[:head])
    for arg in quoted[head:]:
        out += (" \\\n  " if arg.startswith("-") else " ") + arg
    return out


def _title(name: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in name.split("-"))


def _text(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


__all__ = [
    "Exchange",
    "MASK",
    "mask",
    "mask_values",
    "secret_values",
    "send_and_record",
    "is_sensitive_name",
    # Masking moved to flowguide.masking; these stay importable from here for older callers.
    "JSON_MEMBER",
    "JWT_PATTERN",
    "PREFIX_LENGTH",
    "PREFIX_MIN_LENGTH",
    "REPLACE_MIN_LENGTH",
    "SENSITIVE_FIELDS",
    "SENSITIVE_HEADERS",
]
