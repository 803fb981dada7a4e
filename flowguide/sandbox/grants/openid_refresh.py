"""The OpenID Connect extension of the refresh grant: a new ID token with each refresh (OpenID Connect Core §12.2).

auth/samples/basic-renew-access-token.md answers a refresh with an ``id_token`` beside the new pair
(auth/flows/auth-code/interactive-apps-refresh-tokens.md's shorter example shows none). As §12.2 has it,
the new ID token keeps iss, sub, aud, sid and auth_time of the sign-in, has a new iat and no nonce.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .id_tokens import id_token_claims, sign_id_token

if TYPE_CHECKING:
    from .. import Sandbox


class SandboxOpenIDRefresh:
    """An extension for the refresh grant: an ID token when the refreshed access token has openid."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.process_token)

    def process_token(self, grant: Any, response: tuple[int, dict[str, Any], Any]) -> None:
        _, token, _ = response
        if "openid" not in token.get("scope", "").split():
            return
        request = grant.request
        claims = id_token_claims(
            self.sandbox,
            request.client.get_client_id(),
            request.user,
            nonce=None,  # §12.2: it SHOULD NOT have a nonce
            state_hash=None,
            access_token=token["access_token"],
        )
        token["id_token"] = sign_id_token(self.sandbox, claims)
