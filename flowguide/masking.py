"""Masking credentials in what the transcript shows: secret detection and redaction.

Client secrets, passwords, authorization codes, PKCE verifiers (RFC 7636), tokens (RFC 6749) and
session cookies are found by the name they stand under, inside URLs and headers, and as JWTs
anywhere; each is shown as a short prefix and :data:`MASK` unless the caller reveals it.

A bare ``code`` is a credential only where OAuth sends the authorization code: a redirect's query or
fragment (RFC 6749 §4.1.2), a form body (§4.1.3) or a form_post answer's hidden fields (OAuth 2.0
Form Post Response Mode §2), and the simulator's own named values. A JSON member named ``code`` is
not one: no OAuth message carries the code in JSON, and the API's OData errors put their error code
there (``{"error": {"code": "BadRequest", ...}}``), which the transcript must show.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

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
# JSON members whose values are credentials: the same names but the bare "code", which in JSON is an
# error code (OData JSON Format §21.1); names ending in "_code" (RFC 8628's device_code) still count.
JSON_SENSITIVE_FIELDS = SENSITIVE_FIELDS - {"code"}
# Headers whose value is (or carries) a credential.
# auth/tokens/reference-access-tokens.md: a reference token may come as an API key header instead of Authorization.
API_KEY_HEADERS = frozenset({"x-api-key", "api-key"})
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"}) | API_KEY_HEADERS
MASK = "…(masked)"
# Long values keep a short prefix so a reader can tell two tokens apart; short ones keep nothing.
PREFIX_LENGTH = 8
PREFIX_MIN_LENGTH = 40
# Values this short are masked only where they stand in a known field, never by search-and-replace.
REPLACE_MIN_LENGTH = 8
JSON_MEMBER = re.compile(r'("(' + "|".join(sorted(JSON_SENSITIVE_FIELDS)) + r')"\s*:\s*)("(?:[^"\\]|\\.)*")')
# An HTML form field (a form_post answer carries the code and tokens in hidden inputs) and its attributes.
HTML_INPUT = re.compile(r"""<input\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
# One attribute at a time, quoted values consumed whole, so "name=" inside another's value is no attribute.
HTML_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def mask(value: str) -> str:
    """A credential as shown on screen: a short prefix of long values, then the mask."""
    if len(value) >= PREFIX_MIN_LENGTH:
        return value[:PREFIX_LENGTH] + MASK
    return MASK


def is_sensitive_name(name: str) -> bool:
    """Whether a query, fragment or form field, or a named value, holds a credential
    (``old_refresh_token`` counts too)."""
    lowered = name.lower()
    return lowered in SENSITIVE_FIELDS or any(lowered.endswith("_" + f) for f in SENSITIVE_FIELDS)


def is_sensitive_member(name: str) -> bool:
    """Whether a JSON member holds a credential: as :func:`is_sensitive_name`, but a bare ``code`` does not."""
    lowered = name.lower()
    return lowered in JSON_SENSITIVE_FIELDS or any(lowered.endswith("_" + f) for f in SENSITIVE_FIELDS)


def mask_values(values: dict[str, Any], reveal: bool = False) -> dict[str, Any]:
    """A step's shown values with credentials masked: by their names (``access_token``, ``code``...),
    inside URLs (a Location's ``code``), and wherever else one of them appears."""
    if reveal:
        return dict(values)
    named = {v for k, v in values.items() if isinstance(v, str) and v and is_sensitive_name(k)}
    masker = Masker(named, reveal=False)
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


# --- detection ---------------------------------------------------------------------------------------


def url_pairs(url: str) -> list[tuple[str, str]]:
    """A URL's query and fragment parameters, in order (a fragment carries the implicit response)."""
    parts = urlsplit(url)
    return parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(parts.fragment, keep_blank_values=True)


def json_secrets(value: Any) -> set[str]:
    """Every string stored under a sensitive key anywhere in a parsed JSON value (an error's ``code`` is none)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and is_sensitive_member(str(k)):
                found.add(v)
            else:
                found |= json_secrets(v)
    elif isinstance(value, list):
        for v in value:
            found |= json_secrets(v)
    return found


def header_secrets(name: str, value: str) -> set[str]:
    """The credentials one header carries: Authorization, cookies, or a Location's code and tokens."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, credentials = value.partition(" ")
        found = {credentials.strip()}
        if scheme.lower() == "basic":
            secret = _basic_secret(credentials.strip())
            if secret:
                found.add(secret)
        return found
    if lowered in API_KEY_HEADERS:
        return {value.strip()}
    if lowered == "cookie":
        return {v for _, _, v in (c.strip().partition("=") for c in value.split(";")) if v}
    if lowered == "set-cookie":
        return {value.split(";")[0].partition("=")[2]} - {""}
    if lowered == "location":
        return {v for k, v in url_pairs(value) if is_sensitive_name(k) and v}
    return set()


def _basic_secret(credentials: str) -> str | None:
    """The secret half of HTTP Basic credentials (RFC 7617; RFC 6749 §2.3.1 form-encodes both halves)."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


# --- redaction ---------------------------------------------------------------------------------------


def _masked_member(match: re.Match[str]) -> str:
    return match.group(1) + json.dumps(mask(json.loads(match.group(3))), ensure_ascii=False)


def _masked_input(match: re.Match[str]) -> str:
    """An HTML input with its value masked when its name is a credential's (a form_post answer's code)."""
    tag = match.group(0)
    attributes: dict[str, re.Match[str]] = {}
    for attribute in HTML_ATTRIBUTE.finditer(tag, len("<input"), len(tag) - 1):
        # HTML keeps the first of two attributes with the same name.
        attributes.setdefault(attribute.group(1).lower(), attribute)
    name, value = _attribute(attributes.get("name")), _attribute(attributes.get("value"))
    if not name or not value or not is_sensitive_name(html.unescape(name)):
        return tag
    found = attributes["value"]
    shown = html.escape(mask(html.unescape(value)))
    return tag[: found.start()] + f'{found.group(1)}="{shown}"' + tag[found.end() :]


def _attribute(match: re.Match[str] | None) -> str:
    """An attribute's value, however it was quoted ("" when absent or given no value)."""
    return next((g for g in match.groups()[1:] if g is not None), "") if match else ""


class Masker:
    """Masks one exchange's credentials in whatever part of it is being rendered."""

    def __init__(self, secrets: set[str], reveal: bool) -> None:
        self.reveal = reveal
        self.replaceable = sorted((s for s in secrets if len(s) >= REPLACE_MIN_LENGTH), key=len, reverse=True)

    def text(self, text: str) -> str:
        """Free text with every known credential (plain or percent-encoded) and every JWT masked."""
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
        """A URL's query string, masked pair by pair."""
        return self.pairs(query)

    def body(self, body: str, form: bool) -> str:
        """A message body: form pairs by name, JSON members or HTML form fields by name, then free text."""
        if form and body:
            return self.pairs(body)
        if not self.reveal and body.lstrip().startswith(("{", "[")):
            # JSON: mask sensitive members by name too, however short their values.
            body = JSON_MEMBER.sub(_masked_member, body)
        elif not self.reveal and "<input" in body.lower():
            # HTML: a form_post answer's hidden fields carry the code and tokens by name.
            body = HTML_INPUT.sub(_masked_input, body)
        return self.text(body)

    def header(self, name: str, value: str) -> str:
        """One header's value, masked in the way that header carries credentials."""
        if self.reveal:
            return value
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.partition(" ")
            return f"{scheme} {mask(credentials.strip())}" if credentials else mask(value)
        if lowered in API_KEY_HEADERS:
            return mask(value.strip())
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
    "JWT_PATTERN",
    "API_KEY_HEADERS",
    "HTML_INPUT",
    "JSON_MEMBER",
    "JSON_SENSITIVE_FIELDS",
    "MASK",
    "SENSITIVE_FIELDS",
    "SENSITIVE_HEADERS",
    "Masker",
    "header_secrets",
    "is_sensitive_member",
    "is_sensitive_name",
    "json_secrets",
    "mask",
    "mask_values",
    "url_pairs",
]
