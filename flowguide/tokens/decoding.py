"""Split and decode a compact JWT (RFC 7519 §7.2 steps 1-6) without verifying it; never raises on bad input.

The one unverified reader of a token in the app: what the client shows before it verifies, the
inspector's first look, and the simulator's panels all come from :func:`decode`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

# RFC 9068 §2.1: access tokens carry typ "at+jwt" (the "application/" prefix may be present).
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
REFERENCE_TOKEN_PREFIX = "enrt_"
# Tokens bigger than this are not something an identity service issues; refuse before decoding.
MAX_TOKEN_CHARS = 64_000

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)

TokenKind = Literal["user", "service", "id", "unknown"]


@dataclass(frozen=True)
class DecodedToken:
    """A token split and decoded; ``problem`` is one sentence when it could not be."""

    token: str
    header: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    signature: bytes | None = None
    problem: str | None = None
    # Kind remarks about what was tidied up (a "Bearer " prefix, spaces, line breaks).
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __repr__(self) -> str:
        # The token itself stays out of reprs, tracebacks and logs.
        return f"DecodedToken(ok={self.ok}, problem={self.problem!r}, header={self.header!r})"


# --- decode -------------------------------------------------------------------------------------


def _clean(raw: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    text = raw.strip()
    if _BEARER.match(text):
        text = _BEARER.sub("", text, count=1)
        notes.append('Removed the "Bearer " prefix: it belongs to the Authorization header, not the token.')
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
        notes.append("Removed the quotes around the token.")
    squeezed = "".join(text.split())  # str.split() splits where re's \s matches
    if squeezed != text:
        notes.append("Removed spaces and line breaks inside the token.")
    return squeezed, notes


def _b64url_decode(segment: str) -> bytes | None:
    if not _B64URL.match(segment) or len(segment) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _json_object(data: bytes, part: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, f"The {part} decodes to bytes that are not UTF-8 text, so it is not JSON."
    except (ValueError, RecursionError):
        return None, f"The {part} decodes, but not to JSON."
    if not isinstance(value, dict):
        return None, f"The {part} is JSON but not an object (it must be {{...}})."
    return value, None


def _shape_problem(text: str) -> str | None:
    """Why text is not a compact JWS at all (a reference token, a JWE, the wrong number of parts)."""
    if not text:
        return "Paste a token first: the box is empty."
    if text.startswith(REFERENCE_TOKEN_PREFIX):
        return (
            "This is a reference token (PAT or SAT, it starts with enrt_): an opaque key that only "
            "the identity service can look up, so there is nothing inside to decode."
        )
    parts = text.count(".") + 1
    if parts == 1:
        return (
            "This has no dots, so it is not a JWT: it looks like an opaque (reference) token, "
            "which only the server that issued it can read."
        )
    if parts == 5:
        return (
            "This has five parts, so it is an encrypted JWT (JWE): only the holder of the decryption key can read it."
        )
    if parts != 3:
        return f"A JWT has three parts separated by dots (header.payload.signature); this has {parts}."
    return None


def _segments(text: str) -> tuple[list[bytes], str | None]:
    """The three parts base64url-decoded, or why one is not."""
    segments = text.split(".")
    decoded: list[bytes] = []
    for name, segment in zip(("header", "payload", "signature"), segments, strict=True):
        raw = _b64url_decode(segment)
        if raw is None:
            return [], f"The {name} is not valid base64url (only letters, digits, - and _ may appear)."
        decoded.append(raw)
    if not segments[0] or not segments[1]:
        return [], f"The {'header' if not segments[0] else 'payload'} part is empty."
    return decoded, None


def decode(token: str) -> DecodedToken:
    """Split and decode a compact JWT without verifying it; never raises on bad input."""
    if not isinstance(token, str):
        return DecodedToken(token="", problem="A token is text; nothing was given.")
    if len(token) > MAX_TOKEN_CHARS:
        return DecodedToken(
            token="", problem=f"That is over {MAX_TOKEN_CHARS:,} characters, far longer than any token."
        )
    text, notes = _clean(token)
    tidy = tuple(notes)
    if problem := _shape_problem(text):
        return DecodedToken(token=text, notes=tidy, problem=problem)
    decoded, problem = _segments(text)
    if problem:
        return DecodedToken(token=text, notes=tidy, problem=problem)
    header, problem = _json_object(decoded[0], "header")
    if problem:
        return DecodedToken(token=text, notes=tidy, problem=problem)
    payload, problem = _json_object(decoded[1], "payload")
    if problem:
        return DecodedToken(token=text, header=header, notes=tidy, problem=problem)
    return DecodedToken(token=text, header=header, payload=payload, signature=decoded[2], notes=tidy)


def token_kind(decoded: DecodedToken) -> TokenKind:
    """Which kind of token this looks like: user or service access token, ID token, or unknown."""
    if not decoded.ok or decoded.payload is None:
        return "unknown"
    payload, typ = decoded.payload, str((decoded.header or {}).get("typ", "")).lower()
    is_access = typ in ACCESS_TOKEN_TYPES
    serviceish = any(k in payload for k in ("client_system_user", "system_user", "client_db"))
    if not is_access and any(k in payload for k in ("nonce", "at_hash", "c_hash", "auth_time")):
        return "id"
    if serviceish or (is_access and "sub" not in payload):
        return "service"
    if "sub" in payload and (is_access or "scope" in payload):
        return "user"
    return "unknown"


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims read without checking anything, for display only; {} when it is not a JWT."""
    decoded = decode(token)
    return dict(decoded.payload or {}) if decoded.ok else {}
