"""The Client Credentials grant (RFC 6749 §4.4): the token acts as the application's System User.

No refresh token (RFC 6749 §4.4.3; auth/tokens/token-lifetime.md) and no protocol scopes, which
the client model's scope rule refuses when no user signs in.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants

from .base import AUTH_METHODS


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        self.request.scope = self.request.client.granted_scope(self.request.payload.scope, user_signs_in=False)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
