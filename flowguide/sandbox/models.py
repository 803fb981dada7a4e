"""The sandbox's models in Authlib's terms: the client (RFC 6749 §2) and the records of codes and tokens.

``SandboxClient`` is Authlib's ``ClientMixin`` over a Trusted Application: every rule on it is the
product's policy (``auth/configuration/trusted-apps-access.md``, ``auth/concepts/scopes.md``).
The records follow Authlib's ``AuthorizationCodeMixin`` and ``TokenMixin`` getters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    UnauthorizedClientError,
)

from .errors import (
    CLIENT_CREDENTIALS_INVALID,
    INVALID_CLIENT,
    INVALID_SCOPE,
    UNAUTHORIZED_GRANT_TYPE,
    bare,
    documented,
)
from .registry import RegistryFile, TrustedApplication, User

SUPPORTED_GRANTS = ("authorization_code", "client_credentials", "refresh_token")
# OpenID Connect Core §3.1 (code) and §3.3 (the hybrid "code id_token", which the documentation's samples use).
SUPPORTED_RESPONSE_TYPES = ("code", "code id_token")
# The documentation's name for each flag that lets a kind of user sign in.
USER_TYPE_FLAGS = {
    "InternalUser": "ImpersonateAsInternalUserAllowed",
    "ExternalCommunityUser": "ImpersonateAsCommunityUserAllowed",
}


class SandboxClient:
    """Authlib's view of a Trusted Application; every rule here is the product's policy."""

    def __init__(self, app: TrustedApplication, registry: RegistryFile) -> None:
        self.app = app
        self.registry = registry

    def get_client_id(self) -> str:
        return self.app.ApplicationUri

    def get_default_redirect_uri(self) -> None:
        return None  # the sandbox asks for redirect_uri explicitly, as the product's docs do

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """The one redirect_uri check, at authorize and token: exact, case-sensitive (RFC 9700 §4.1.1)."""
        return redirect_uri in self.app.login_redirect_uris

    def get_allowed_scope(self, scope: str | None) -> str:
        """Authlib's hook at the authorize endpoint, where a user signs in."""
        return self.granted_scope(scope, user_signs_in=True)

    def granted_scope(self, scope: str | None, *, user_signs_in: bool) -> str:
        """The scope a token is issued with, or invalid_scope (RFC 6749 §3.3; auth/concepts/scopes.md)."""
        requested = list(dict.fromkeys((scope or "").split()))
        protocol = self.registry.protocol_scopes
        never = [s for s in requested if s in protocol and not user_signs_in]
        if never:
            raise InvalidScopeError(
                description=documented(
                    INVALID_SCOPE.format(scope=bare(" ".join(never))),
                    "It is never issued with client_credentials: no user signs in, so there is no identity, "
                    "profile or refresh token.",
                )
            )
        # Protocol scopes need no configuration in the Trusted Application; API scopes must be in its Scope.
        allowed = self.app.scopes
        not_allowed = [s for s in requested if s not in allowed and s not in protocol]
        if not_allowed:
            raise InvalidScopeError(
                description=documented(
                    INVALID_SCOPE.format(scope=bare(" ".join(not_allowed))),
                    f"It is not in the Trusted Application's Scope ({self.app.Scope!r}).",
                )
            )
        if requested:
            return " ".join(requested)
        # No scope requested: every scope of the application that this grant may have.
        return " ".join(s for s in allowed if user_signs_in or s not in protocol)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.app.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.app.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        # The product allows both for every Trusted Application: its registration has no response-type field.
        return response_type in SUPPORTED_RESPONSE_TYPES

    def check_grant_type(self, grant_type: str) -> bool:
        refusal = self.refusal_of_grant(grant_type)
        if refusal:
            raise refusal
        return grant_type in SUPPORTED_GRANTS

    @property
    def disabled(self) -> str:
        """What a refusal of a disabled application says."""
        return f"The Trusted Application {self.app.ApplicationUri!r} is disabled (IsEnabled = false)."

    @property
    def lets_users_sign_in(self) -> bool:
        return self.app.ImpersonateAsInternalUserAllowed or self.app.ImpersonateAsCommunityUserAllowed

    def refusal_of_grant(self, grant_type: str) -> OAuth2Error | None:
        """The error this application meets at the token endpoint with a grant type, or None."""
        if grant_type == "client_credentials":
            return self._refusal_of_client_credentials()
        if not self.app.IsEnabled:
            # auth/flows/auth-code/interactive-apps-errors.md: a disabled Trusted Application is unauthorized_client.
            return UnauthorizedClientError(description=documented(UNAUTHORIZED_GRANT_TYPE, self.disabled))
        if not self.lets_users_sign_in:
            # service-apps-errors.md's invalid_grant row: whatever code or refresh token an application no user
            # signs in to presents was issued to another client, or never (RFC 6749 §5.2).
            return InvalidGrantError(
                description=documented(
                    CLIENT_CREDENTIALS_INVALID,
                    f"{self.app.ApplicationUri!r} lets no user sign in, so it never holds an authorization code or "
                    "a refresh token; a service asks with grant_type=client_credentials.",
                )
            )
        return None

    def _refusal_of_client_credentials(self) -> OAuth2Error | None:
        client_id = self.app.ApplicationUri
        if not self.app.IsEnabled:
            # auth/flows/client-credentials/service-apps-errors.md: here a disabled application is invalid_client.
            return InvalidClientError(status_code=401, description=documented(INVALID_CLIENT, self.disabled))
        if self.app.is_public:
            return UnauthorizedClientError(
                description=documented(
                    UNAUTHORIZED_GRANT_TYPE,
                    "A Public client has no secret, so it cannot use client_credentials; "
                    "it signs a user in with authorization_code and PKCE.",
                )
            )
        if not self.app.SystemUserAllowed:
            return UnauthorizedClientError(
                description=documented(
                    UNAUTHORIZED_GRANT_TYPE,
                    f"The Trusted Application {client_id!r} does not allow client_credentials: "
                    "SystemUserAllowed is false.",
                )
            )
        return None

    def refusal_of_sign_in(self, user: User | None, password: str) -> str | None:
        """What the sign-in page says when this user may not sign in to this application, or None."""
        if user is None or not user.check_password(password):
            return "The user name or the password is not right."
        if not self.app.allows_user_type(user.user_type):
            flag = USER_TYPE_FLAGS.get(user.user_type, "the Impersonate... flags")
            return f"{self.app.ApplicationUri} does not let {user.user_type} accounts sign in ({flag} is false)."
        return None


@dataclass
class SignIn:
    """A user's authenticated session: what Authlib calls the grant user."""

    user: User
    sid: str
    auth_time: int
    # The documentation's decoded tokens: a local sign-in is idp "local", a password is amr ["pwd"].
    idp: str = "local"
    amr: tuple[str, ...] = ("pwd",)


@dataclass
class PendingAuthorization:
    """An authorize request that passed validation and waits for sign-in and consent."""

    request_id: str
    query: list[tuple[str, str]]
    client_id: str
    scope: str
    created_at: int
    sign_in: SignIn | None = None
    # The authorize request's address as it arrived, replayed to Authlib at consent.
    uri: str = ""


@dataclass
class AuthorizationCodeRecord:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    sign_in: SignIn
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: int
    grant_id: str
    used: bool = False
    # s_hash (FAPI 1.0 Advanced §5.1) of the authorize request's state, for the ID tokens of this sign-in.
    state_hash: str | None = None

    # Authlib's AuthorizationCodeMixin and OpenID's extra getters.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.sign_in.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return list(self.sign_in.amr)


@dataclass
class AccessTokenRecord:
    jti: str
    client_id: str
    grant_id: str | None
    expires_at: int
    revoked_because: str | None = None


@dataclass
class RefreshTokenRecord:
    value: str
    client_id: str
    scope: str
    sign_in: SignIn
    grant_id: str
    expires_at: int
    revoked_because: str | None = None

    def get_scope(self) -> str:
        return self.scope

    def check_client(self, client: Any) -> bool:
        return client.get_client_id() == self.client_id
