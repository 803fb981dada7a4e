"""The one client-side verifier of a JWT: signature (RFC 7515) against a JWKS (RFC 7517), then header and claims.

The client, the simulator and the token inspector all judge tokens here, so a reader never sees two
verdicts on one token. Every check is recorded with a sentence; nothing raises.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.jwt import JWTClaimsRegistry

from flowguide.tokens.decoding import ACCESS_TOKEN_TYPES, DecodedToken, decode, token_kind
from flowguide.tokens.explaining import _finite_time, _render_value, render_time

# The product signs with RS256 only (auth/tokens/access-tokens.md); anything else is refused.
DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256",)

TokenUse = Literal["access", "id"]


@dataclass(frozen=True)
class Check:
    """One verification step. ``passed`` is None when there was nothing to check against."""

    name: str
    passed: bool | None
    sentence: str

    @property
    def detail(self) -> str:
        """The sentence, under the name the step views use."""
        return self.sentence


@dataclass(frozen=True)
class Verification:
    checks: tuple[Check, ...] = ()
    # What the token says, for display; to be trusted only when ``valid``.
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        """True when no check failed and the signature was verified."""
        return all(c.passed is not False for c in self.checks) and any(
            c.name == "signature" and c.passed for c in self.checks
        )

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.passed is False)


# --- verify -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _rsa_key(jwk_json: str) -> RSAKey:
    # Importing builds the key from its base64url numbers, the slow part of a check: a JWKS is read again and again.
    return RSAKey.import_key(json.loads(jwk_json))


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
        key = _rsa_key(json.dumps(jwk, sort_keys=True))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        return None, f"The matching key could not be read as an RSA public key ({type(exc).__name__})."
    return key, f"Found the RSA key {json.dumps(jwk.get('kid'))} in the key set."


def _time_check(name: str, value: Any, now: float, role: str, ok_word: str, bad_word: str) -> Check:
    when = _finite_time(value)
    if when is None:
        return Check(name, False, f"{name} is not a Unix time.")
    # RFC 7519 §4.1.4: now must be before exp (joserfc's registry also accepts the exp second itself).
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
        return [alg, Check("key", False, sentence), Check("signature", False, "No key to check the signature.")]
    try:
        jws.deserialize_compact(decoded.token, key, algorithms=list(algorithms))
    except (JoseError, ValueError, TypeError):
        bad = "The signature does not match: the token was changed after signing, or another key signed it."
        return [alg, Check("key", True, sentence), Check("signature", False, bad)]
    good = "The signature matches: the token is exactly as the issuer signed it."
    return [alg, Check("key", True, sentence), Check("signature", True, good)]


def _check_typ(decoded: DecodedToken, kind: TokenUse | None) -> Check:
    typ = (decoded.header or {}).get("typ")
    shown = json.dumps(typ)
    # The caller says what it expects; only the inspector, holding a token of unknown use, guesses.
    if (kind or ("id" if token_kind(decoded) == "id" else "access")) == "id":
        ok = typ is None or str(typ).upper() == "JWT"
        return Check("typ", ok, f"typ is {shown}, {'as expected' if ok else 'unexpected'} for an ID token.")
    if isinstance(typ, str) and typ.lower() in ACCESS_TOKEN_TYPES:
        return Check("typ", True, 'typ is "at+jwt": this is an access token (RFC 9068).')
    return Check("typ", False, f'typ is {shown}, not "at+jwt": an API must not take it as an access token.')


def _holds(payload: dict[str, Any], name: str, option: dict[str, Any]) -> bool:
    """One registered claim judged by joserfc's registry (value, values, essential)."""
    try:
        JWTClaimsRegistry(**{name: {"essential": True, **option}}).validate(
            {k: payload[k] for k in (name,) if k in payload}
        )
    except JoseError:
        return False
    return True


def _check_iss(payload: dict[str, Any], issuer: str | None) -> Check:
    iss = json.dumps(payload.get("iss"))
    if issuer is None:
        return Check("iss", None, f"Issuer not checked (none was expected); the token says {iss}.")
    if _holds(payload, "iss", {"value": issuer}):
        return Check("iss", True, f"iss is {iss}, as expected.")
    return Check("iss", False, f"iss is {iss}, but {json.dumps(issuer)} was expected.")


def _check_aud(payload: dict[str, Any], audience: str | None) -> Check:
    said = _render_value(payload["aud"]) if payload.get("aud") is not None else "nothing"
    if audience is None:
        return Check("aud", None, f"Audience not checked (none was expected); the token says {said}.")
    ok = _holds(payload, "aud", {"values": [audience]})
    return Check("aud", ok, f"{json.dumps(audience)} is {'' if ok else 'not '}among the audiences ({said}).")


def _check_nonce(payload: dict[str, Any], nonce: str) -> Check:
    # OpenID Connect Core §3.1.3.7 (11): the nonce sent must come back; one not sent must not.
    got = payload.get("nonce")
    if not nonce:
        ok = got is None
        return Check(
            "nonce", ok, "No nonce was sent and none came back." if ok else "A nonce came back that was never sent."
        )
    if _holds(payload, "nonce", {"value": nonce}):
        return Check("nonce", True, "The nonce is the one sent with this sign-in.")
    return Check("nonce", False, f"The nonce is {json.dumps(got)}, not the one sent: a replayed or injected ID token.")


def half_hash(value: str) -> str:
    """Left half of SHA-256, base64url: c_hash and at_hash (OIDC Core §3.3.2.11), s_hash (FAPI 1.0 §5.1)."""
    digest = hashlib.sha256(value.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _check_bound(payload: dict[str, Any], claim: str, value: str, what: str, required: bool) -> Check:
    # An ID token from the authorization endpoint names the code (OIDC Core) and the state (FAPI 1.0 §5.1) it came with.
    got = payload.get(claim)
    if got is None:
        if required:
            return Check(claim, False, f"No {claim}: nothing ties this ID token to the {what} it came with.")
        return Check(claim, None, f"No {claim} in the token; the {what} is not bound to it.")
    ok = isinstance(got, str) and hmac.compare_digest(got, half_hash(value))
    said = f"{claim} is the hash of the {what} that came with it." if ok else f"{claim} is not the hash of this {what}."
    return Check(claim, ok, said + ("" if ok else " The code or ID token was swapped."))


def verify(
    token: str,
    jwks: dict[str, Any],
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS,
    *,
    kind: TokenUse | None = None,
    nonce: str | None = None,
    code: str | None = None,
    state: str | None = None,
) -> Verification:
    """Check a JWT's signature, header and registered claims; every check is recorded, none raises.

    ``kind`` says what the caller holds the token as (an access or an ID token), so its ``typ`` is
    judged for that use; ``nonce`` (the one sent, "" when none was) is checked when given. An ID
    token from the authorization endpoint (``code id_token``) must carry ``c_hash`` of the ``code``
    that came with it, and ``s_hash`` of the ``state`` when it carries one.
    """
    moment = datetime.now(UTC).timestamp() if now is None else now
    decoded = decode(token)
    if not decoded.ok or decoded.header is None or decoded.payload is None:
        return Verification((Check("format", False, decoded.problem or "Not a JWT."),))
    payload = decoded.payload
    checks = [Check("format", True, "Three base64url parts with a JSON header and payload.")]
    checks += _check_signature(decoded, jwks, algorithms)
    checks += [_check_typ(decoded, kind), _check_iss(payload, issuer), _check_aud(payload, audience)]
    if nonce is not None:
        checks.append(_check_nonce(payload, nonce))
    if code is not None:
        checks.append(_check_bound(payload, "c_hash", code, "code", required=True))
    if state is not None:
        checks.append(_check_bound(payload, "s_hash", state, "state", required=False))
    checks += _check_times(payload, moment)
    return Verification(tuple(checks), header=dict(decoded.header), claims=dict(payload))
