"""Authlib's grants with the sandbox's storage and the product's policy, one grant per module.

``authorization_code`` (RFC 6749 §4.1) with ``code_challenge`` (RFC 7636, S256 only) and
``openid_code`` (OpenID Connect Core §3.1) as its extensions, ``openid_hybrid`` (OpenID Connect Core
§3.3, ``code id_token``), ``client_credentials`` (RFC 6749 §4.4) and ``refresh_token`` (RFC 6749 §6,
rotated as RFC 9700 §4.14.2 advises) with ``openid_refresh`` (§12.2). ``response_modes`` and
``id_tokens`` are what they share.
"""

from __future__ import annotations

import logging

from .authorization_code import AuthorizationCodeGrant
from .client_credentials import ClientCredentialsGrant
from .code_challenge import S256CodeChallenge
from .openid_code import SandboxOpenIDCode
from .openid_hybrid import SandboxOpenIDHybridGrant
from .openid_refresh import SandboxOpenIDRefresh
from .refresh_token import ROTATED, RefreshTokenGrant

__all__ = [
    "ROTATED",
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "RefreshTokenGrant",
    "S256CodeChallenge",
    "SandboxOpenIDCode",
    "SandboxOpenIDHybridGrant",
    "SandboxOpenIDRefresh",
]


class _NoIssuedTokens(logging.Filter):
    """Drops Authlib's DEBUG record that prints each issued token: tokens never go into logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Issue token", "Grant token"))


for _grant_module in ("authorization_code", "client_credentials", "refresh_token"):
    logging.getLogger(f"authlib.oauth2.rfc6749.grants.{_grant_module}").addFilter(_NoIssuedTokens())
logging.getLogger("authlib.oidc.core.grants.hybrid").addFilter(_NoIssuedTokens())
