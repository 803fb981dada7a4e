"""Proof Key for Code Exchange (RFC 7636) and the other random values a client sends.

The verifier follows RFC 7636 §4.1 (43-128 unreserved characters, from ``secrets``); the S256
challenge is Authlib's implementation of §4.2. ``state`` (RFC 6749 §10.12) and ``nonce``
(OpenID Connect Core §3.1.2.1) are unguessable values the client checks when they come back.
"""

from __future__ import annotations

import re
import secrets

from authlib.oauth2.rfc7636 import create_s256_code_challenge

S256 = "S256"
# How the challenge is computed, in the RFC's own notation (RFC 7636 §4.2).
S256_FORMULA = "BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))"
VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def make_code_verifier(length: int = 64) -> str:
    """A fresh code verifier of ``length`` characters (RFC 7636 §4.1: 43 to 128)."""
    if not 43 <= length <= 128:
        raise ValueError("RFC 7636 §4.1: a code_verifier has 43 to 128 characters")
    # token_urlsafe's alphabet (A-Z a-z 0-9 - _) is a subset of the RFC's unreserved characters.
    return secrets.token_urlsafe(length)[:length]


def is_valid_code_verifier(verifier: str) -> bool:
    """Whether a verifier has the length and characters RFC 7636 §4.1 allows."""
    return VERIFIER_PATTERN.fullmatch(verifier) is not None


def s256_challenge(verifier: str) -> str:
    """The S256 code_challenge for a verifier (RFC 7636 §4.2)."""
    return create_s256_code_challenge(verifier)


def make_state() -> str:
    """An unguessable state value that ties the callback to this browser's request."""
    return secrets.token_urlsafe(24)


def make_nonce() -> str:
    """An unguessable nonce the ID token must echo (OpenID Connect Core §3.1.2.1)."""
    return secrets.token_urlsafe(24)
