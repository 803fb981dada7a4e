"""The Refresh Token grant (RFC 6749 §6) with rotation: every refresh returns a new refresh token.

A rotated-out refresh token used again revokes its whole family (RFC 9700 §4.14.2). Lifetimes are
the product's: 30 days for a Confidential client, 24 hours for a Public one (auth/tokens/token-lifetime.md).
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError

from ..models import RefreshTokenRecord, SignIn
from .base import AUTH_METHODS, sandbox_state

ROTATED = "it was rotated: the refresh that used it returned a newer refresh token"


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshTokenRecord:
        state = sandbox_state(self.server)
        record = state.refresh_tokens.get(refresh_token)
        if record is None or not record.check_client(self.request.client):
            raise InvalidGrantError("The refresh token is not one this identity service issued to this client.")
        if record.revoked_because == ROTATED:
            # RFC 9700 §4.14.2: reuse of a rotated refresh token revokes the whole family.
            state.revoke_grant(record.grant_id, "a rotated-out refresh token was used again")
            raise InvalidGrantError(
                "The refresh token was already used and replaced by a newer one; "
                "as a precaution every token of this sign-in is now revoked."
            )
        if record.revoked_because:
            raise InvalidGrantError(f"The refresh token was revoked: {record.revoked_because}.")
        if state.clock.now() >= record.expires_at:
            raise InvalidGrantError("The refresh token expired; the user must sign in again.")
        return record

    def authenticate_user(self, refresh_token: RefreshTokenRecord) -> SignIn:
        return refresh_token.sign_in

    def revoke_old_credential(self, refresh_token: RefreshTokenRecord) -> None:
        if refresh_token.revoked_because is None:
            refresh_token.revoked_because = ROTATED
