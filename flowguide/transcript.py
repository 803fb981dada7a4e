"""What crossed the wire: recorded HTTP exchanges, rendered as HTTP/1.1 messages and curl commands.

An :class:`Exchange` holds exactly what was sent and received, secrets included, so the transcript
is true. Everything that renders it masks client secrets, passwords, authorization codes, PKCE
verifiers, tokens and session cookies unless the caller passes ``reveal=True``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import shlex
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

import httpx

# Form fields, query parameters and JSON keys whose values are credentials (RFC 6749, RFC 7636).
SENSITIVE_FIELDS = frozenset(
    {
        "client_secret",
        "password",
        "code",
        "code_verifier",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "assertion",
        "client_assertion",
    }
)
# Headers whose value is (or carries) a credential.
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
MASK = "…(masked)"
# Long values keep a short prefix so a reader can tell two tokens apart; short ones keep nothing.
PREFIX_LENGTH = 8
PREFIX_MIN_LENGTH = 40
# Values this short are masked only where they stand in a known field, never by search-and-replace.
REPLACE_MIN_LENGTH = 8
JSON_MEMBER = re.compile(r'("(' + "|".join(sorted(SENSITIVE_FIELDS)) + r')"\s*:\s*)("(?:[^"\\]|\\.)*")')
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Headers curl sets itself; repeating them only adds noise to the command.
CURL_IMPLIED_HEADERS = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})


def mask(value: str) -> str:
    """A credential as shown on screen: a short prefix of long values, then the mask."""
    if len(value) >= PREFIX_MIN_LENGTH:
        return value[:PREFIX_LENGTH] + MASK
    return MASK


def is_sensitive_name(name: str) -> bool:
    """Whether a field or value name holds a credential (``old_refresh_token`` counts too)."""
    lowered = name.lower()
    return lowered in SENSITIVE_FIELDS or any(lowered.endswith("_" + f) for f in SENSITIVE_FIELDS)


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
        for name, value in _pairs_of_url(self.url):
            if is_sensitive_name(name) and value:
                found.add(value)
        for name, value in self.form_pairs():
            if is_sensitive_name(name) and value:
                found.add(value)
        for body in (self.request_json, self.response_json()):
            found.update(_json_secrets(body))
        for name, value in self.request_headers + self.response_headers:
            found.update(_header_secrets(name, value))
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
        masker = _Masker(self.secrets(), reveal)
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
        masker = _Masker(self.secrets(), reveal)
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
        """A shell-quoted curl command that sends the same request (``-i`` shows the response head)."""
        masker = _Masker(self.secrets(), reveal)
        parts = urlsplit(self.url)
        url = urlunsplit(parts._replace(query=masker.query(parts.query) if parts.query else ""))
        args = ["curl", "-i"]
        if self.method != "GET" or self.request_body:
            args += ["-X", self.method]
        args.append(url)
        for name, value in self.request_headers:
            if name.lower() in CURL_IMPLIED_HEADERS or (name.lower() == "accept" and value == "*/*"):
                continue
            args += ["-H", f"{_title(name)}: {masker.header(name, value)}"]
        if self.request_body:
            args += ["--data-raw", masker.body(self.request_body, self.form is not None)]
        quoted = [shlex.quote(a) for a in args]
        if not multiline:
            return " ".join(quoted)
        # Break before each option so the command reads one option per line.
        out = quoted[0]
        for arg in quoted[1:]:
            out += (" \\\n  " if arg.startswith("-") else " ") + arg
        return out


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
    http: httpx.Client, request: httpx.Request, actor: str = "", label: str = ""
) -> tuple[httpx.Response, Exchange]:
    """Send one request through ``http`` (no redirects followed) and record what crossed the wire."""
    started = time.perf_counter()
    response = http.send(request, follow_redirects=False)
    response.read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    exchange = Exchange(
        method=request.method,
        url=str(request.url),
        request_headers=[(k, v) for k, v in request.headers.multi_items()],
        request_body=_text(request.content),
        status=response.status_code,
        response_headers=[(k, v) for k, v in response.headers.multi_items()],
        response_body=response.text,
        elapsed_ms=elapsed_ms,
        actor=actor,
        label=label,
    )
    return response, exchange


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


def mask_values(values: dict[str, Any], reveal: bool = False) -> dict[str, Any]:
    """A step's shown values with credentials masked: by their names (``access_token``, ``code``...),
    inside URLs (a Location's ``code``), and wherever else one of them appears."""
    if reveal:
        return dict(values)
    named = {v for k, v in values.items() if isinstance(v, str) and v and is_sensitive_name(k)}
    masker = _Masker(named, reveal=False)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(value, str):
            out[key] = value
        elif is_sensitive_name(key):
            out[key] = mask(value) if value else value
        elif "://" in value:
            out[key] = masker.header("location", value)
        else:
            out[key] = masker.text(value)
    return out


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


def _title(name: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in name.split("-"))


def _text(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


def _pairs_of_url(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    return parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(parts.fragment, keep_blank_values=True)


def _json_secrets(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and is_sensitive_name(str(k)):
                found.add(v)
            else:
                found |= _json_secrets(v)
    elif isinstance(value, list):
        for v in value:
            found |= _json_secrets(v)
    return found


def _header_secrets(name: str, value: str) -> set[str]:
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, credentials = value.partition(" ")
        found = {credentials.strip()}
        if scheme.lower() == "basic":
            secret = _basic_secret(credentials.strip())
            if secret:
                found.add(secret)
        return found
    if lowered == "cookie":
        return {v for _, _, v in (c.strip().partition("=") for c in value.split(";")) if v}
    if lowered == "set-cookie":
        return {value.split(";")[0].partition("=")[2]} - {""}
    if lowered == "location":
        return {v for k, v in _pairs_of_url(value) if is_sensitive_name(k) and v}
    return set()


def _basic_secret(credentials: str) -> str | None:
    """The secret half of HTTP Basic credentials (RFC 7617; RFC 6749 §2.3.1 form-encodes both halves)."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def _masked_member(match: re.Match[str]) -> str:
    return match.group(1) + json.dumps(mask(json.loads(match.group(3))), ensure_ascii=False)


class _Masker:
    """Masks one exchange's credentials in whatever part of it is being rendered."""

    def __init__(self, secrets: set[str], reveal: bool) -> None:
        self.reveal = reveal
        self.replaceable = sorted((s for s in secrets if len(s) >= REPLACE_MIN_LENGTH), key=len, reverse=True)

    def text(self, text: str) -> str:
        if self.reveal:
            return text
        for secret in self.replaceable:
            if secret in text:
                text = text.replace(secret, mask(secret))
            encoded = quote(secret, safe="")
            if encoded != secret and encoded in text:
                text = text.replace(encoded, mask(secret))
        return JWT_PATTERN.sub(lambda m: mask(m.group(0)), text)

    def pairs(self, encoded: str) -> str:
        """Form or query pairs with each credential masked by its name, the rest left as sent."""
        if self.reveal:
            return encoded
        out = []
        for piece in encoded.split("&"):
            name, eq, value = piece.partition("=")
            if eq and value and is_sensitive_name(unquote_plus(name)):
                out.append(f"{name}={mask(unquote_plus(value))}")
            else:
                out.append(piece)
        return self.text("&".join(out))

    def query(self, query: str) -> str:
        return self.pairs(query)

    def body(self, body: str, form: bool) -> str:
        if form and body:
            return self.pairs(body)
        if not self.reveal and body.lstrip().startswith(("{", "[")):
            # JSON: mask sensitive members by name too, however short their values.
            body = JSON_MEMBER.sub(_masked_member, body)
        return self.text(body)

    def header(self, name: str, value: str) -> str:
        if self.reveal:
            return value
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.partition(" ")
            return f"{scheme} {mask(credentials.strip())}" if credentials else mask(value)
        if lowered == "cookie":
            cookies = (c.strip().partition("=") for c in value.split(";"))
            return "; ".join(f"{k}={mask(v) if v else v}" for k, _, v in cookies)
        if lowered == "set-cookie":
            first, sep, rest = value.partition(";")
            cookie_name, _, cookie_value = first.partition("=")
            return f"{cookie_name}={mask(cookie_value) if cookie_value else ''}{sep}{rest}"
        if lowered == "location":
            parts = urlsplit(value)
            return urlunsplit(
                parts._replace(
                    query=self.pairs(parts.query) if parts.query else "",
                    fragment=self.pairs(parts.fragment) if parts.fragment else "",
                )
            )
        return self.text(value)


__all__ = [
    "Exchange",
    "MASK",
    "mask",
    "mask_values",
    "secret_values",
    "send_and_record",
    "is_sensitive_name",
]
