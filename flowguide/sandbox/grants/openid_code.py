"""The OpenID Connect extension of the code grant: ID tokens (OpenID Connect Core §3.1.3.6).

Signed with the sandbox's key and clock; ``profile`` adds name, email and user type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2 import OAuth2Request
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode

from ..models import SandboxClient, SignIn
from ..state import ACCESS_TOKEN_LIFETIME

if TYPE_CHECKING:
    from .. import Sandbox


class SandboxOpenIDCode(OpenIDCode):
    """ID tokens (OpenID Connect Core §3.1.3.6) signed with the sandbox's key and clock."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(require_nonce=False)
        self.sandbox = sandbox

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return any(
            c.nonce == nonce and c.client_id == request.payload.client_id for c in self.sandbox.state.codes.values()
        )

    def resolve_client_private_key(self, client: SandboxClient) -> Any:
        return self.sandbox.signing_key

    def get_client_algorithm(self, client: SandboxClient) -> str:
        return "RS256"

    def get_encode_header(self, client: SandboxClient) -> dict[str, str]:
        return {"alg": "RS256", "typ": "JWT", "kid": self.sandbox.kid}

    def get_compatible_claims(self, request: OAuth2Request) -> dict[str, Any]:
        now = self.sandbox.clock.now()
        return {
            "iss": self.sandbox.issuer,
            "aud": request.client.get_client_id(),
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TOKEN_LIFETIME,
        }

    def generate_user_info(self, user: SignIn, scope: str) -> UserInfo:
        info: dict[str, Any] = {"sub": user.user.login, "sid": user.sid}
        if "profile" in scope.split():
            info.update(name=user.user.name, email=user.user.email, user_type=user.user.user_type)
        return UserInfo(info)
