"""Access tokens in the product's JWT profile (RFC 9068; auth/tokens/access-tokens.md) and refresh tokens.

The generator is Authlib's token generator hook: it signs the access token with the sandbox's key
and records its ``jti``; ``save`` links what was issued to the code or refresh token it came from,
so that a replayed code or a reused refresh token can revoke the whole family. Claims and their order
follow the documentation's decoded tokens (``auth/getting-started/instance-id-web-apps.md``).
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

# The product's API audiences (auth/tokens/access-tokens.md), for a token with an API scope.
AUDIENCE = ["DomainAPI", "TableAPI", "OLAP", "AppServer"]


def resources_audience(issuer: str) -> str:
    """The identity service's own audience, which every decoded token in the documentation names."""
    return f"{issuer}/resources"


def audience(issuer: str, scopes: list[str], api_scopes: frozenset[str]) -> str | list[str]:
    """The APIs and the identity service's resources; an ``openid profile`` token names the resources alone."""
    if any(s in api_scopes for s in scopes):
        return [*AUDIENCE, resources_audience(issuer)]
    return resources_audience(issuer)  # a single audience is a string, as in erpnet-id-web-apps.md's token


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_lifetime(client: SandboxClient) -> int:
    """auth/tokens/token-lifetime.md: 1 month for a Confidential client, 24 hours for a Public one."""
    return REFRESH_TOKEN_LIFETIME_PUBLIC if client.app.is_public else REFRESH_TOKEN_LIFETIME_CONFIDENTIAL


def _flag(value: bool) -> str:
    # The documentation's decoded tokens carry is_admin and email_verified as the text "true" / "false".
    return "true" if value else "false"


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
                "auth_time": user.auth_time,
                "idp": user.idp,
                "id": person.id,
                "name": person.name,
                "email": person.email,
                "user_type": person.user_type,
                "is_admin": _flag(person.is_admin),
                "email_verified": _flag(person.email_verified),
                "db": database,
                "locale": person.locale,
            }
        system_user = self.sandbox.state.system_user(client.app)
        assert system_user is not None  # the registry guarantees it when SystemUserAllowed
        return {
            "client_system_user": system_user.login,
            "client_system_user_type": system_user.user_type,
            "client_db": database,
            "client_system_user_id": system_user.id,  # "yes (when set)" in the claims table
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
            "nbf": now,
            "exp": now + ACCESS_TOKEN_LIFETIME,
            "iss": sb.issuer,
            "aud": audience(sb.issuer, scopes, sb.registry.api_scopes),
            "client_id": client.get_client_id(),
            **self.subject_claims(client, user),
            "jti": jti,
            **({"sid": user.sid} if user is not None else {}),
            "iat": now,
            "scope": scopes,
            **({"amr": list(user.amr)} if user is not None else {}),
        }
        header = {"alg": "RS256", "kid": sb.kid, "typ": "at+jwt"}
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
            token["refresh_token"] = new_refresh_token()
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
                # RFC 6749 §6: a refresh token's scope stays the original grant's, however narrow a refresh asked.
                scope=request.refresh_token.scope if request.refresh_token else token["scope"],
                sign_in=request.user,
                grant_id=grant_id,
                expires_at=self.sandbox.clock.now() + refresh_token_lifetime(request.client),
            )
