"""Decode, explain and verify JWTs (RFC 7519) the way a careful API would, for the token inspector.

``decode`` never raises: malformed input comes back with one sentence saying what is wrong.
``explain`` says what each field means in the product (content/claims.yaml).
``verify`` checks the signature against a JWKS (RFC 7517) with joserfc, then the header and the
registered claims against the given issuer, audience and clock, recording every check.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from flowguide.claims import Claim, ClaimsFile, TokenKindId, claims

# The product signs with RS256 only (auth/tokens/access-tokens.md); anything else is refused.
DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256",)
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


@dataclass(frozen=True)
class ClaimExplanation:
    """One header field or claim as the inspector shows it."""

    name: str
    part: Literal["header", "payload"]
    value: Any
    rendered: str
    meaning: str
    known: bool
    tokens: tuple[TokenKindId, ...] = ()
    is_time: bool = False
    docs: tuple[tuple[str, str], ...] = ()  # (title, url)


@dataclass(frozen=True)
class Check:
    """One verification step. ``passed`` is None when there was nothing to check against."""

    name: str
    passed: bool | None
    sentence: str


@dataclass(frozen=True)
class Verification:
    checks: tuple[Check, ...] = ()

    @property
    def valid(self) -> bool:
        """True when no check failed and the signature was verified."""
        return all(c.passed is not False for c in self.checks) and any(
            c.name == "signature" and c.passed for c in self.checks
        )

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.passed is False)


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
    squeezed = re.sub(r"\s+", "", text)
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
    if not text:
        return DecodedToken(token="", problem="Paste a token first: the box is empty.", notes=tidy)
    if text.startswith(REFERENCE_TOKEN_PREFIX):
        return DecodedToken(
            token=text,
            notes=tidy,
            problem="This is a reference token (PAT or SAT, it starts with enrt_): an opaque key that only "
            "the identity service can look up, so there is nothing inside to decode.",
        )
    segments = text.split(".")
    if len(segments) == 1:
        return DecodedToken(
            token=text,
            notes=tidy,
            problem="This has no dots, so it is not a JWT: it looks like an opaque (reference) token, "
            "which only the server that issued it can read.",
        )
    if len(segments) == 5:
        return DecodedToken(
            token=text,
            notes=tidy,
            problem="This has five parts, so it is an encrypted JWT (JWE): only the holder of the "
            "decryption key can read it.",
        )
    if len(segments) != 3:
        return DecodedToken(
            token=text,
            notes=tidy,
            problem=f"A JWT has three parts separated by dots (header.payload.signature); this has {len(segments)}.",
        )
    names = ("header", "payload", "signature")
    decoded: list[bytes] = []
    for name, segment in zip(names, segments, strict=True):
        raw = _b64url_decode(segment)
        if raw is None:
            return DecodedToken(
                token=text,
                notes=tidy,
                problem=f"The {name} is not valid base64url (only letters, digits, - and _ may appear).",
            )
        decoded.append(raw)
    if not segments[0] or not segments[1]:
        part = "header" if not segments[0] else "payload"
        return DecodedToken(token=text, notes=tidy, problem=f"The {part} part is empty.")
    header, problem = _json_object(decoded[0], "header")
    if problem:
        return DecodedToken(token=text, notes=tidy, problem=problem)
    payload, problem = _json_object(decoded[1], "payload")
    if problem:
        return DecodedToken(token=text, header=header, notes=tidy, problem=problem)
    return DecodedToken(token=text, header=header, payload=payload, signature=decoded[2], notes=tidy)


# --- explain ------------------------------------------------------------------------------------


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


def _finite_time(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    # Years 1 to 9999 are what datetime can show.
    if not math.isfinite(number) or not -62_135_596_800 <= number <= 253_402_300_799:
        return None
    return number


def duration(seconds: float) -> str:
    """A span of seconds in words a reader scans ("59 min", "30 days")."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{seconds // 86_400} days"


def render_time(value: Any, now: float, role: str | None) -> str:
    """A Unix time as an ISO date and, relative to now, what it means ("expires in 59 min")."""
    when = _finite_time(value)
    if when is None:
        return f"{json.dumps(value)} (not a valid Unix time)"
    iso = datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    delta = when - now
    span = duration(delta)
    future = delta > 0
    if role == "expires":
        relative = f"expires in {span}" if future else f"expired {span} ago"
    elif role == "not_before":
        relative = f"not valid for another {span}" if future else f"valid since {span} ago"
    elif role == "authenticated":
        relative = f"signed in {span} from now (in the future!)" if future else f"signed in {span} ago"
    else:
        relative = f"issued {span} from now (in the future!)" if future else f"issued {span} ago"
    if abs(delta) < 1:
        relative = {"expires": "expires now", "not_before": "valid from now"}.get(role or "", "just now")
    return f"{iso} ({relative})"


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "(empty list)"
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _explain_one(name: str, value: Any, part: Literal["header", "payload"], entry: Claim | None, now: float):
    if entry is None:
        meaning = (
            "Not a field the product documents for this part of the token: a custom claim or one from another provider."
        )
        return ClaimExplanation(name, part, value, _render_value(value), meaning, known=False)
    rendered = render_time(value, now, entry.time) if entry.time else _render_value(value)
    docs = tuple((d.title, d.url) for d in entry.docs)
    return ClaimExplanation(
        name, part, value, rendered, entry.meaning, True, entry.tokens, entry.time is not None, docs
    )


def explain(decoded: DecodedToken, now: float, catalogue: ClaimsFile | None = None) -> list[ClaimExplanation]:
    """Every header field and claim of a decoded token, with its meaning and a readable value."""
    if not decoded.ok:
        return []
    book = catalogue or claims()
    rows = [
        _explain_one(str(k), v, "header", book.header_field(str(k)), now) for k, v in (decoded.header or {}).items()
    ]
    rows += [_explain_one(str(k), v, "payload", book.claim(str(k)), now) for k, v in (decoded.payload or {}).items()]
    return rows


# --- verify -------------------------------------------------------------------------------------


def _find_key(jwks: Any, header: dict[str, Any]) -> tuple[RSAKey | None, str]:
    """The RSA signing key the header names, or why there is none."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        return None, 'The key set has no "keys" list, so there is nothing to verify against.'
    kid = header.get("kid")
    candidates = [k for k in keys if isinstance(k, dict)]
    if kid is not None:
        candidates = [k for k in candidates if k.get("kid") == kid]
        if not candidates:
            known = ", ".join(str(k.get("kid")) for k in keys if isinstance(k, dict)) or "none"
            return None, (
                f"No key with kid {json.dumps(kid)} in the key set (it has: {known}); the token was signed "
                "by another issuer, or the keys were rotated and the JWKS should be fetched again."
            )
    elif len(candidates) != 1:
        return None, "The token names no kid and the key set has several keys, so the key is ambiguous."
    jwk = candidates[0]
    if jwk.get("kty") != "RSA":
        return None, (
            f"The matching key is of type {json.dumps(jwk.get('kty'))}, not RSA; an RS256 signature "
            "can only be checked with an RSA public key."
        )
    if jwk.get("use") not in (None, "sig"):
        return None, f"The matching key is marked for use {json.dumps(jwk.get('use'))}, not for signatures."
    if "d" in jwk:
        return None, "The key set contains a private key; a JWKS must only publish public keys."
    try:
        return RSAKey.import_key(jwk), f"Found the RSA key {json.dumps(jwk.get('kid'))} in the key set."
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        return None, f"The matching key could not be read as an RSA public key ({type(exc).__name__})."


def _time_check(name: str, value: Any, now: float, role: str, ok_word: str, bad_word: str) -> Check:
    when = _finite_time(value)
    if when is None:
        return Check(name, False, f"{name} is not a Unix time.")
    ok = now < when if role == "expires" else when <= now
    return Check(name, ok, f"{ok_word if ok else bad_word}: {render_time(when, now, role)}.")


def _check_times(payload: dict[str, Any], now: float) -> list[Check]:
    checks: list[Check] = []
    if "exp" not in payload:
        checks.append(Check("exp", False, "The token has no exp, so it would never expire; refuse it."))
    else:
        checks.append(_time_check("exp", payload["exp"], now, "expires", "Not expired", "Expired"))
    if "nbf" in payload:
        checks.append(_time_check("nbf", payload["nbf"], now, "not_before", "Already valid", "Not valid yet"))
    if "iat" in payload:
        checks.append(_time_check("iat", payload["iat"], now, "issued", "Issued in the past", "Issued in the future"))
    return checks


def _check_alg(alg: Any, algorithms: tuple[str, ...]) -> Check:
    accepted = ", ".join(algorithms)
    if alg in algorithms:
        return Check("alg", True, f"Signed with {alg}, an algorithm this verifier accepts.")
    if isinstance(alg, str) and alg.lower() == "none":
        return Check("alg", False, 'alg is "none": the token is unsigned and must never be accepted.')
    if isinstance(alg, str) and alg.upper().startswith("HS"):
        return Check(
            "alg",
            False,
            f"alg is {alg}, a shared-secret algorithm: accepting it would let anyone holding the public key "
            f"forge tokens. Only {accepted} is accepted.",
        )
    return Check("alg", False, f"alg is {json.dumps(alg)}; only {accepted} is accepted.")


def _check_signature(decoded: DecodedToken, jwks: Any, algorithms: tuple[str, ...]) -> list[Check]:
    header = decoded.header or {}
    alg = _check_alg(header.get("alg"), algorithms)
    if not alg.passed:
        return [alg, Check("signature", False, "The signature was not checked, because of the algorithm.")]
    key, sentence = _find_key(jwks, header)
    if key is None:
        return [
            alg,
            Check("key", False, sentence),
            Check("signature", False, "No key to check the signature."),
        ]
    try:
        jws.deserialize_compact(decoded.token, key, algorithms=list(algorithms))
    except (JoseError, ValueError, TypeError):
        bad = "The signature does not match: the token was changed after signing, or another key signed it."
        return [alg, Check("key", True, sentence), Check("signature", False, bad)]
    good = "The signature matches: the token is exactly as the issuer signed it."
    return [alg, Check("key", True, sentence), Check("signature", True, good)]


def _check_typ(decoded: DecodedToken) -> Check:
    typ = (decoded.header or {}).get("typ")
    shown = json.dumps(typ)
    if token_kind(decoded) == "id":
        ok = typ is None or str(typ).upper() == "JWT"
        return Check("typ", ok, f"typ is {shown}, {'as expected' if ok else 'unexpected'} for an ID token.")
    if isinstance(typ, str) and typ.lower() in ACCESS_TOKEN_TYPES:
        return Check("typ", True, 'typ is "at+jwt": this is an access token (RFC 9068).')
    return Check("typ", False, f'typ is {shown}, not "at+jwt": an API must not take it as an access token.')


def _check_iss(iss: Any, issuer: str | None) -> Check:
    if issuer is None:
        return Check("iss", None, f"Issuer not checked (none was expected); the token says {json.dumps(iss)}.")
    if iss == issuer:
        return Check("iss", True, f"iss is {json.dumps(iss)}, as expected.")
    return Check("iss", False, f"iss is {json.dumps(iss)}, but {json.dumps(issuer)} was expected.")


def _check_aud(aud: Any, audience: str | None) -> Check:
    said = _render_value(aud) if aud is not None else "nothing"
    if audience is None:
        return Check("aud", None, f"Audience not checked (none was expected); the token says {said}.")
    audiences = aud if isinstance(aud, list) else [aud]
    ok = audience in audiences
    return Check("aud", ok, f"{json.dumps(audience)} is {'' if ok else 'not '}among the audiences ({said}).")


def verify(
    token: str,
    jwks: dict[str, Any],
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS,
) -> Verification:
    """Check a JWT's signature, header and registered claims; every check is recorded, none raises."""
    moment = datetime.now(UTC).timestamp() if now is None else now
    decoded = decode(token)
    if not decoded.ok or decoded.header is None or decoded.payload is None:
        return Verification((Check("format", False, decoded.problem or "Not a JWT."),))
    checks = [Check("format", True, "Three base64url parts with a JSON header and payload.")]
    checks += _check_signature(decoded, jwks, algorithms)
    checks.append(_check_typ(decoded))
    checks.append(_check_iss(decoded.payload.get("iss"), issuer))
    checks.append(_check_aud(decoded.payload.get("aud"), audience))
    checks += _check_times(decoded.payload, moment)
    return Verification(tuple(checks))
