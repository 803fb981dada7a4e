"""Access tokens in the product's JWT profile (RFC 9068; auth/tokens/access-tokens.md) and refresh tokens.

The generator is Authlib's token generator hook: it signs the access token with the sandbox's key
and records its ``jti``; ``save`` links what was issued to the code or refresh token it came from,
so that a replayed code or a reused refresh token can revoke the whole family.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from authlib.oauth2 import OAuth2Request
from joserfc import jwt

from .models import AccessTokenRecord, RefreshTokenRecord, SandboxClient, SignIn
from .state import ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME_CONFIDENTIAL, REFRESH_TOKEN_LIFETIME_PUBLIC

if TYPE_CHECKING:
    from . import Sandbox

# The product's access-token audience (auth/tokens/access-tokens.md).
AUDIENCE = ["DomainAPI", "TableAPI", "OLAP", "AppServer"]


def refresh_token_lifetime(client: SandboxClient) -> int:
    """auth/tokens/token-lifetime.md: 1 month for a Confidential client, 24 hours for a Public one."""
    return REFRESH_TOKEN_LIFETIME_PUBLIC if client.app.is_public else REFRESH_TOKEN_LIFETIME_CONFIDENTIAL


class AccessTokenIssuer:
    """Issues and records the tokens of one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._jti_by_access_token: dict[str, str] = {}

    def subject_claims(self, client: SandboxClient, user: SignIn | None) -> dict[str, Any]:
        """Who the token acts for: the signed-in user, else the application's System User."""
        database = self.sandbox.registry.database
        if user is not None:
            person = user.user
            return {
                "sub": person.login,
                "id": person.id,
                "sid": user.sid,
                "name": person.name,
                "email": person.email,
                "user_type": person.user_type,
                "db": database,
            }
        system_user = self.sandbox.state.system_user(client.app)
        assert system_user is not None  # the registry guarantees it when SystemUserAllowed
        return {
            "client_system_user": system_user.login,
            "client_system_user_type": system_user.user_type,
            "client_system_user_id": system_user.id,
            "client_db": database,
        }

    def generate(
        self,
        grant_type: str,
        client: SandboxClient,
        user: SignIn | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Authlib's token generator: the token response of RFC 6749 §5.1."""
        sb = self.sandbox
        now = sb.clock.now()
        scopes = (scope or "").split()
        jti = secrets.token_hex(16).upper()
        claims: dict[str, Any] = {
            "iss": sb.issuer,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TOKEN_LIFETIME,
            "jti": jti,
            "client_id": client.get_client_id(),
            "scope": scopes,
            **self.subject_claims(client, user),
        }
        header = {"alg": "RS256", "typ": "at+jwt", "kid": sb.kid}
        access_token = jwt.encode(header, claims, sb.signing_key, algorithms=["RS256"])
        sb.state.access_tokens[jti] = AccessTokenRecord(jti, client.get_client_id(), None, claims["exp"])
        self._jti_by_access_token[access_token] = jti
        token: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "scope": " ".join(scopes),
        }
        # Refresh tokens: only with offline_access, only for a signed-in user (auth/tokens/token-lifetime.md).
        if include_refresh_token and user is not None and "offline_access" in scopes:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Authlib's save_token: tie the tokens to the grant they descend from."""
        state = self.sandbox.state
        jti = self._jti_by_access_token.pop(token["access_token"])
        lineage = request.authorization_code or request.refresh_token
        grant_id = lineage.grant_id if lineage is not None else None
        state.access_tokens[jti].grant_id = grant_id
        if "refresh_token" in token and grant_id is not None:
            state.refresh_tokens[token["refresh_token"]] = RefreshTokenRecord(
                value=token["refresh_token"],
                client_id=request.client.get_client_id(),
                scope=token["scope"],
                sign_in=request.user,
                grant_id=grant_id,
                expires_at=self.sandbox.clock.now() + refresh_token_lifetime(request.client),
            )
