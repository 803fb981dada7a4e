"""The sandbox identity service: a Flask WSGI app whose OAuth 2.0 validation is Authlib's.

Authlib's server classes validate the protocol (RFC 6749 grants, RFC 7636 PKCE, OpenID Connect
Core ID tokens). This module adds the product's policy on top: Trusted Application records decide
which client may do what, who may sign in, which System User a service acts as, which scopes are
granted, how long things live; codes and tokens live in one sandbox's state only.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Payload, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, Response, jsonify, request
from joserfc import jwt
from werkzeug.datastructures import MultiDict

from . import pages
from .registry import PROTOCOL_SCOPES, TrustedApplication
from .state import (
    ACCESS_TOKEN_LIFETIME,
    AUTHORIZATION_CODE_LIFETIME,
    REFRESH_TOKEN_LIFETIME_CONFIDENTIAL,
    REFRESH_TOKEN_LIFETIME_PUBLIC,
    AccessTokenRecord,
    AuthorizationCodeRecord,
    RefreshTokenRecord,
    SandboxState,
    SignIn,
)

if TYPE_CHECKING:
    from . import Sandbox

# The product's access-token audience (auth/tokens/access-tokens.md).
AUDIENCE = ["DomainAPI", "TableAPI", "OLAP", "AppServer"]
SUPPORTED_GRANTS = ("authorization_code", "client_credentials", "refresh_token")
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
ROTATED = "it was rotated: the refresh that used it returned a newer refresh token"


class _NoIssuedTokens(logging.Filter):
    """Drops Authlib's DEBUG record that prints each issued token: tokens never go into logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Issue token", "Grant token"))


for _grant_module in ("authorization_code", "client_credentials", "refresh_token"):
    logging.getLogger(f"authlib.oauth2.rfc6749.grants.{_grant_module}").addFilter(_NoIssuedTokens())


# --- the Trusted Application seen through Authlib's ClientMixin -----------------------------------


class SandboxClient:
    """Authlib's view of a Trusted Application; every rule here is the product's policy."""

    def __init__(self, app: TrustedApplication) -> None:
        self.app = app

    def get_client_id(self) -> str:
        return self.app.ApplicationUri

    def get_default_redirect_uri(self) -> None:
        return None  # the sandbox asks for redirect_uri explicitly, as the product's docs do

    def get_allowed_scope(self, scope: str | None) -> str:
        # No scope requested: every scope of the application (auth/concepts/scopes.md).
        requested = list(dict.fromkeys((scope or "").split()))
        if not requested:
            return " ".join(self.app.scopes)
        not_allowed = [s for s in requested if s not in self.app.scopes and s not in PROTOCOL_SCOPES]
        if not_allowed:
            raise InvalidScopeError(
                description=f"Scope {' '.join(not_allowed)!r} is not in the Trusted Application's "
                f"Scope ({self.app.Scope!r})."
            )
        return " ".join(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact, case-sensitive comparison with ImpersonateLoginUrl (RFC 9700 §4.1.1).
        return redirect_uri in self.app.login_redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.app.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.app.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if not self.app.IsEnabled:
            raise UnauthorizedClientError(
                description=f"The Trusted Application {self.app.ApplicationUri!r} is disabled (IsEnabled = false)."
            )
        if grant_type == "client_credentials":
            if self.app.is_public:
                raise UnauthorizedClientError(
                    description="A Public client has no secret, so it cannot use client_credentials; "
                    "it signs a user in with authorization_code and PKCE."
                )
            if not self.app.SystemUserAllowed:
                raise UnauthorizedClientError(
                    description=f"The Trusted Application {self.app.ApplicationUri!r} does not allow "
                    "client_credentials: SystemUserAllowed is false."
                )
        return grant_type in SUPPORTED_GRANTS


# --- grants: Authlib's, with the sandbox's storage and policy --------------------------------------


class S256CodeChallenge(CodeChallenge):
    """RFC 7636 with S256 only, and a challenge required of Public clients at the authorize step."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        payload = grant.request.payload
        if grant.request.client.app.is_public and not payload.data.get("code_challenge"):
            raise InvalidRequestError("A Public client must send code_challenge (PKCE, S256).")
        if payload.data.get("code_challenge") and payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @property
    def state(self) -> SandboxState:
        return self.server.sandbox.state

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.state.codes[code] = AuthorizationCodeRecord(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            sign_in=request.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            issued_at=self.server.sandbox.clock.now(),
            grant_id=secrets.token_hex(8),
        )

    def query_authorization_code(self, code: str, client: SandboxClient) -> AuthorizationCodeRecord | None:
        record = self.state.codes.get(code)
        if record is None or record.client_id != client.get_client_id():
            return None
        if record.used:
            # RFC 6749 §4.1.2: a code used twice is refused and what it issued is revoked.
            self.state.revoke_grant(record.grant_id, "its authorization code was used a second time")
            raise InvalidGrantError(
                "The authorization code was already used. Every token issued from it is now revoked."
            )
        if self.server.sandbox.clock.now() >= record.issued_at + AUTHORIZATION_CODE_LIFETIME:
            raise InvalidGrantError("The authorization code expired (codes live 5 minutes).")
        return record

    def delete_authorization_code(self, authorization_code: AuthorizationCodeRecord) -> None:
        authorization_code.used = True  # kept, so that a replay is recognised and answered

    def authenticate_user(self, authorization_code: AuthorizationCodeRecord) -> SignIn:
        return authorization_code.sign_in


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # "none" lets a Public client be identified, so that it meets unauthorized_client, not a puzzle.
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        app = self.request.client.app
        requested = list(dict.fromkeys((self.request.payload.scope or "").split()))
        protocol = [s for s in requested if s in PROTOCOL_SCOPES]
        if protocol:
            raise InvalidScopeError(
                description=f"Scope {' '.join(protocol)!r} is never issued with client_credentials: "
                "no user signs in, so there is no identity, profile or refresh token."
            )
        not_allowed = [s for s in requested if s not in app.scopes]
        if not_allowed:
            raise InvalidScopeError(
                description=f"Scope {' '.join(not_allowed)!r} is not in the Trusted Application's "
                f"Scope ({app.Scope!r})."
            )
        self.request.scope = " ".join(requested or [s for s in app.scopes if s not in PROTOCOL_SCOPES])

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshTokenRecord:
        state: SandboxState = self.server.sandbox.state
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
        if self.server.sandbox.clock.now() >= record.expires_at:
            raise InvalidGrantError("The refresh token expired; the user must sign in again.")
        return record

    def authenticate_user(self, refresh_token: RefreshTokenRecord) -> SignIn:
        return refresh_token.sign_in

    def revoke_old_credential(self, refresh_token: RefreshTokenRecord) -> None:
        if refresh_token.revoked_because is None:
            refresh_token.revoked_because = ROTATED


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


# --- the authorization server ----------------------------------------------------------------------


class _StoredPayload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {k: v[0] for k, v in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return self._datalist


class StoredAuthorizationRequest(OAuth2Request):
    """The authorize request as it arrived, replayed to Authlib when the user consents."""

    def __init__(self, uri: str, pairs: list[tuple[str, str]]) -> None:
        super().__init__("GET", uri, headers={})
        self.payload = _StoredPayload(pairs)
        self._args = MultiDict(pairs)

    @property
    def args(self) -> MultiDict:
        return self._args

    @property
    def form(self) -> MultiDict:
        return MultiDict()


class SandboxAuthorizationServer(AuthorizationServer):
    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(query_client=self._find_client, save_token=self._save_token)
        self.sandbox = sandbox
        self._jti_by_access_token: dict[str, str] = {}
        self.register_token_generator("default", self._generate_token)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), SandboxOpenIDCode(sandbox)])
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(RefreshTokenGrant)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def authenticate_client(self, request: OAuth2Request, methods: list[str], endpoint: str = "token") -> Any:
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            # Authlib's message lists its methods; say what the reader can check instead.
            error.status_code = 401  # one answer whichever way the client authenticated (RFC 6749 §5.2)
            error.description = (
                "Client authentication failed: the client_id is unknown, or the "
                "client_secret does not match ApplicationSecretHash."
            )
            raise

    def get_token_grant(self, request: OAuth2Request) -> Any:
        try:
            return super().get_token_grant(request)
        except UnsupportedGrantTypeError as error:
            error.description = (
                f"grant_type {request.payload.grant_type!r} is not offered; the supported grants "
                "are authorization_code, client_credentials and refresh_token."
            )
            raise

    def _find_client(self, client_id: str) -> SandboxClient | None:
        app = self.sandbox.registry.application(client_id)
        return SandboxClient(app) if app else None

    def _generate_token(
        self,
        grant_type: str,
        client: SandboxClient,
        user: SignIn | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
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
        }
        if user is not None:
            claims.update(
                sub=user.user.login,
                id=user.user.id,
                sid=user.sid,
                name=user.user.name,
                email=user.user.email,
                user_type=user.user.user_type,
                db=sb.registry.database,
            )
        else:
            system_user = sb.state.system_user(client.app)
            assert system_user is not None  # the registry guarantees it when SystemUserAllowed
            claims.update(
                client_system_user=system_user.login,
                client_system_user_type=system_user.user_type,
                client_system_user_id=system_user.id,
                client_db=sb.registry.database,
            )
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

    def _save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        state = self.sandbox.state
        jti = self._jti_by_access_token.pop(token["access_token"])
        lineage = request.authorization_code or request.refresh_token
        grant_id = lineage.grant_id if lineage is not None else None
        state.access_tokens[jti].grant_id = grant_id
        if "refresh_token" in token and grant_id is not None:
            lifetime = (
                REFRESH_TOKEN_LIFETIME_PUBLIC if request.client.app.is_public else REFRESH_TOKEN_LIFETIME_CONFIDENTIAL
            )
            state.refresh_tokens[token["refresh_token"]] = RefreshTokenRecord(
                value=token["refresh_token"],
                client_id=request.client.get_client_id(),
                scope=token["scope"],
                sign_in=request.user,
                grant_id=grant_id,
                expires_at=self.sandbox.clock.now() + lifetime,
            )


# --- the Flask app -----------------------------------------------------------------------------------


def _html(body: str, status: int = 200) -> Response:
    return Response(
        body,
        status=status,
        mimetype="text/html",
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        },
    )


def _refuse(error: str, description: str) -> Response:
    return _html(pages.error_page(error, description), status=400)


def create_app(sandbox: Sandbox) -> Flask:
    """The WSGI application of one sandbox."""
    app = Flask("flowguide.sandbox")
    app.json.sort_keys = False  # keep claims and rows in the order a reader expects
    server = SandboxAuthorizationServer(sandbox)
    state = sandbox.state
    registry = sandbox.registry

    @app.get("/id/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(sandbox.discovery())

    @app.get("/id/.well-known/openid-configuration/jwks")
    def jwks() -> Response:
        return jsonify(sandbox.jwks())

    def _validated_or_error(oauth_request: Any, sign_in: SignIn | None) -> Any:
        try:
            return server.get_consent_grant(request=oauth_request, end_user=sign_in)
        except OAuth2Error as error:
            if error.redirect_uri:  # the client and redirect URI are trusted: RFC 6749 §4.1.2.1
                return server.handle_error_response(None, error)
            return _refuse(error.error, error.get_error_description())

    @app.get("/id/connect/authorize")
    def authorize() -> Response:
        client_id = request.args.get("client_id")
        redirect_uri = request.args.get("redirect_uri")
        application = registry.application(client_id)
        # Never redirect before the client and its redirect URI are known to be genuine (RFC 6749 §4.1.2.1).
        if not client_id:
            return _refuse("invalid_request", "The request has no client_id.")
        if application is None:
            return _refuse("invalid_client", f"No Trusted Application has ApplicationUri {client_id!r}.")
        if not application.IsEnabled:
            return _refuse(
                "unauthorized_client", f"The Trusted Application {client_id!r} is disabled (IsEnabled = false)."
            )
        if not redirect_uri:
            return _refuse("invalid_request", "The request has no redirect_uri.")
        if redirect_uri not in application.login_redirect_uris:
            return _refuse(
                "invalid_redirect_uri",
                f"The redirect_uri {redirect_uri!r} does not exactly match (case-sensitively) any "
                f"URI in ImpersonateLoginUrl of {client_id!r}, so the sandbox will not send "
                "anything to it.",
            )
        outcome = _validated_or_error(None, None)
        if isinstance(outcome, Response):
            return outcome
        pending = state.add_pending(list(request.args.items(multi=True)), client_id)
        return _html(pages.sign_in_page(pending.request_id, client_id, application.Description))

    @app.post("/id/account/login")
    def login() -> Response:
        pending = state.find_pending(request.form.get("request_id"))
        if pending is None:
            return _refuse(
                "invalid_request", "This sign-in page expired or was already used. Start again from the application."
            )
        application = registry.application(pending.client_id)
        assert application is not None
        username = request.form.get("username", "")
        user = registry.user(username)
        if user is None or not user.check_password(request.form.get("password", "")):
            return _html(
                pages.sign_in_page(
                    pending.request_id,
                    pending.client_id,
                    application.Description,
                    "The user name or the password is not right.",
                    username,
                )
            )
        if not application.allows_user_type(user.user_type):
            flag = (
                "ImpersonateAsInternalUserAllowed"
                if user.user_type == "InternalUser"
                else "ImpersonateAsCommunityUserAllowed"
            )
            return _html(
                pages.sign_in_page(
                    pending.request_id,
                    pending.client_id,
                    application.Description,
                    f"{pending.client_id} does not let {user.user_type} accounts sign in ({flag} is false).",
                    username,
                )
            )
        pending.sign_in = SignIn(user, secrets.token_hex(16).upper(), sandbox.clock.now())
        scope = SandboxClient(application).get_allowed_scope(dict(pending.query).get("scope"))
        return _html(pages.consent_page(pending.request_id, pending.client_id, user.name, scope.split()))

    @app.post("/id/connect/consent")
    def consent() -> Response:
        with state.lock:
            pending = state.find_pending(request.form.get("request_id"))
            if pending is None or pending.sign_in is None:
                return _refuse(
                    "invalid_request",
                    "This consent page expired or was already answered. Start again from the application.",
                )
            del state.pending[pending.request_id]
        stored = StoredAuthorizationRequest(
            f"{sandbox.base_url}/id/connect/authorize?{urlencode(pending.query)}", pending.query
        )
        grant = _validated_or_error(stored, pending.sign_in)
        if isinstance(grant, Response):
            return grant
        grant_user = pending.sign_in if request.form.get("decision") == "allow" else None
        return server.create_authorization_response(request=stored, grant_user=grant_user, grant=grant)

    @app.post("/id/connect/token")
    def token() -> Response:
        with state.lock:
            response = _missing_client_credentials() or server.create_token_response()
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    def _missing_client_credentials() -> Response | None:
        # auth/flows/client-credentials/service-apps-errors.md: missing client_id or secret is invalid_request.
        form = request.form
        if not form.get("grant_type"):
            return server.handle_error_response(None, InvalidRequestError("The request has no grant_type."))
        if form["grant_type"] not in SUPPORTED_GRANTS or request.authorization:
            return None
        client_id = form.get("client_id")
        if not client_id:
            return server.handle_error_response(None, InvalidRequestError("Missing client_id."))
        application = registry.application(client_id)
        if application is not None and not application.is_public and not form.get("client_secret"):
            return server.handle_error_response(None, InvalidRequestError("Missing client_secret."))
        return None

    @app.get("/id/connect/endsession")
    def end_session() -> Response:
        target = request.args.get("post_logout_redirect_uri")
        if target and any(target in a.logout_redirect_uris for a in registry.trusted_applications):
            state_param = request.args.get("state")
            location = target + (
                ("&" if "?" in target else "?") + urlencode({"state": state_param}) if state_param else ""
            )
            return Response(status=302, headers={"Location": location})
        return _html(pages.signed_out_page())

    from .api import register_api

    register_api(app, sandbox)
    return app
