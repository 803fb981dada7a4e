"""The Refresh Token grant (RFC 6749 §6) with rotation: every refresh returns a new refresh token.

A rotated-out refresh token used again revokes its whole family (RFC 9700 §4.14.2). Lifetimes are
the product's: 30 days for a Confidential client, 24 hours for a Public one (auth/tokens/token-lifetime.md).
A refresh may ask for a narrower scope: the access token gets it, the new refresh token keeps the
original grant's (RFC 6749 §6). Every refusal says the documented "refresh token is expired or invalid".
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError

from ..access_tokens import new_refresh_token
from ..errors import INVALID_SCOPE, REFRESH_TOKEN_INVALID, bare, documented
from ..models import RefreshTokenRecord, SignIn
from .base import AUTH_METHODS, sandbox_state

ROTATED = "it was rotated: the refresh that used it returned a newer refresh token"


def _refused(why: str) -> InvalidGrantError:
    # auth/flows/auth-code/interactive-apps-errors.md: invalid_grant "refresh token is expired or invalid".
    return InvalidGrantError(documented(REFRESH_TOKEN_INVALID, why))


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshTokenRecord:
        state = sandbox_state(self.server)
        record = state.refresh_tokens.get(refresh_token)
        if record is None or not record.check_client(self.request.client):
            raise _refused("It is not one this identity service issued to this client.")
        if record.revoked_because == ROTATED:
            # RFC 9700 §4.14.2: reuse of a rotated refresh token revokes the whole family.
            state.revoke_grant(record.grant_id, "a rotated-out refresh token was used again")
            raise _refused(
                "It was already used and replaced by a newer one; as a precaution every token of this "
                "sign-in is now revoked."
            )
        if record.revoked_because:
            raise _refused(f"It was revoked: {record.revoked_because}.")
        if state.clock.now() >= record.expires_at:
            raise _refused("It expired; the user must sign in again.")
        return record

    def _validate_token_scope(self, token: RefreshTokenRecord) -> None:
        # RFC 6749 §6: the requested scope MUST NOT include any scope not originally granted.
        wider = [s for s in (self.request.payload.scope or "").split() if s not in token.get_scope().split()]
        if wider:
            raise InvalidScopeError(
                description=documented(
                    INVALID_SCOPE.format(scope=bare(" ".join(wider))),
                    "A refresh may ask only for scopes of the original sign-in (RFC 6749 section 6).",
                )
            )

    def issue_token(self, user: SignIn, refresh_token: RefreshTokenRecord) -> dict[str, Any]:
        # RFC 6749 §6: the access token may be narrower; the new refresh token keeps the original grant's scope.
        scope = self.request.payload.scope or refresh_token.get_scope()
        token = self.generate_token(user=user, scope=scope, include_refresh_token=False)
        token["refresh_token"] = new_refresh_token()
        return token

    def authenticate_user(self, refresh_token: RefreshTokenRecord) -> SignIn:
        return refresh_token.sign_in

    def revoke_old_credential(self, refresh_token: RefreshTokenRecord) -> None:
        if refresh_token.revoked_because is None:
            refresh_token.revoked_because = ROTATED
