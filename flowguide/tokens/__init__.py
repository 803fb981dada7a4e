"""Decode, explain and verify JWTs (RFC 7519) the way a careful API would.

``decode`` never raises: malformed input comes back with one sentence saying what is wrong.
``explain`` says what each field means in the product (content/claims.yaml).
``verify`` checks the signature against a JWKS (RFC 7517) with joserfc, then the header and the
registered claims against the given issuer, audience, nonce and clock, recording every check. It is
the only place the app judges a token on the client side.
"""

from flowguide.tokens.decoding import (
    ACCESS_TOKEN_TYPES,
    MAX_TOKEN_CHARS,
    REFERENCE_TOKEN_PREFIX,
    DecodedToken,
    TokenKind,
    decode,
    token_kind,
    unverified_claims,
)
from flowguide.tokens.explaining import ClaimExplanation, duration, explain, render_time
from flowguide.tokens.verifying import DEFAULT_ALGORITHMS, Check, TokenUse, Verification, verify

__all__ = [
    "ACCESS_TOKEN_TYPES",
    "DEFAULT_ALGORITHMS",
    "MAX_TOKEN_CHARS",
    "REFERENCE_TOKEN_PREFIX",
    "Check",
    "ClaimExplanation",
    "DecodedToken",
    "TokenKind",
    "TokenUse",
    "Verification",
    "decode",
    "duration",
    "explain",
    "render_time",
    "token_kind",
    "unverified_claims",
    "verify",
]
