"""The OpenID Connect extension of the code grant: ID tokens from the token endpoint (OpenID Connect Core §3.1.3.6).

Signed with the sandbox's key and clock, in the product's shape (``id_tokens``). A nonce seen before is
not refused: replay protection of ID tokens is the client's check (OpenID Connect Core §3.1.3.7), and
the product accepts a repeated nonce across sign-ins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2 import OAuth2Request
from authlib.oidc.core.grants import OpenIDCode

from .id_tokens import id_token_claims, sign_id_token

if TYPE_CHECKING:
    from .. import Sandbox


class SandboxOpenIDCode(OpenIDCode):
    """ID tokens (OpenID Connect Core §3.1.3.6) in the product's shape, signed with the sandbox's key and clock."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(require_nonce=False)
        self.sandbox = sandbox

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # the product does not refuse a nonce used in an earlier sign-in

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        code = request.authorization_code
        claims = id_token_claims(
            self.sandbox,
            request.client.get_client_id(),
            request.user,
            nonce=code.nonce,
            state_hash=code.state_hash,
            access_token=token["access_token"],
        )
        return sign_id_token(self.sandbox, claims)
