"""The sandbox's authorization server: Authlib's, wired to one sandbox's grants, tokens and rules.

Authlib validates the protocol (RFC 6749 grants, RFC 7636 PKCE, OpenID Connect Core ID tokens, the
hybrid ``code id_token`` and userinfo); this server adds the product's policy where Authlib leaves a
hook: which client is asked for (Trusted Applications), the request rules of ``request_rules`` before
a grant runs, the product's error messages (RFC 6749 §5.2 status codes), and errors that go back to
the application in the response mode the request asked for.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Payload
from authlib.oauth2.rfc6749.errors import InvalidClientError, UnsupportedGrantTypeError, UnsupportedResponseTypeError
from flask import Request, Response
from flask import request as flask_request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from .access_tokens import AccessTokenIssuer
from .errors import INVALID_CLIENT, UNSUPPORTED_GRANT_TYPE, UNSUPPORTED_RESPONSE_TYPE, bare, documented
from .grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    S256CodeChallenge,
    SandboxOpenIDCode,
    SandboxOpenIDHybridGrant,
    SandboxOpenIDRefresh,
)
from .grants.response_modes import deliver, response_mode_of
from .models import SandboxClient
from .request_rules import (
    validate_authorization_client,
    validate_token_endpoint_request,
    why_client_authentication_failed,
)
from .userinfo import SandboxUserInfoEndpoint

if TYPE_CHECKING:
    from . import Sandbox


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


# A host werkzeug's IRI would give back unchanged: lower-case labels (no IDNA "xn--") and a short port.
_PLAIN_HOST = re.compile(r"[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*(?::[1-9][0-9]{0,3})?")


def host_url(request: Request) -> str:
    """``request.host_url`` (scheme://host/), without werkzeug's IRI round trip when the host is plain."""
    host, scheme = request.host, request.scheme
    if scheme in ("http", "https") and _PLAIN_HOST.fullmatch(host) and "xn--" not in host:
        return f"{scheme}://{host}/"
    return request.host_url


class _FlaskPayload(FlaskOAuth2Payload):
    """Authlib's payload over the request's parameters, looked up once (werkzeug makes them once per request)."""

    @cached_property
    def data(self) -> CombinedMultiDict:  # type: ignore[override]
        return self._request.values


class _FlaskRequest(FlaskOAuth2Request):
    """Authlib's request over Flask's, whose full address is made only when something reads it.

    werkzeug makes ``request.url`` as an IRI, unquoting the whole query (an authorize request's is
    long); Authlib checks the address only to refuse plain http, which its scheme and host decide.
    """

    def __init__(self, request: Request) -> None:
        self._request = request
        OAuth2Request.__init__(self, method=request.method, uri=host_url(request))
        # Given to __init__, the headers would be read through once only to be tested for being empty.
        self.headers = request.headers
        self.payload = _FlaskPayload(request)

    @property  # type: ignore[override]
    def uri(self) -> str:
        return self._request.url

    @uri.setter
    def uri(self, value: str) -> None:
        # OAuth2Request.__init__ stores the address it checked (scheme and host); the full one is the request's.
        return


class SandboxAuthorizationServer(AuthorizationServer):
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.tokens = AccessTokenIssuer(sandbox)
        super().__init__(query_client=self.query_sandbox_client, save_token=self.tokens.save)
        self.register_token_generator("default", self.tokens.generate)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), SandboxOpenIDCode(sandbox)])
        self.register_grant(SandboxOpenIDHybridGrant, [S256CodeChallenge(required=True)])
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(RefreshTokenGrant, [SandboxOpenIDRefresh(sandbox)])
        self.register_endpoint(SandboxUserInfoEndpoint(sandbox))

    def query_sandbox_client(self, client_id: str) -> SandboxClient | None:
        """Authlib's query_client: the Trusted Application whose ApplicationUri is the client_id."""
        app = self.sandbox.registry.application(client_id)
        return SandboxClient(app, self.sandbox.registry) if app else None

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        # The request itself, not Flask's proxy to it: Authlib reads its parameters dozens of times a request.
        return _FlaskRequest(flask_request._get_current_object())  # type: ignore[attr-defined]

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        # RFC 6749 §4.1.2.1: the client and redirect URI are checked before any answer could redirect.
        validate_authorization_client(request, self.sandbox.registry)
        try:
            return super().get_authorization_grant(request)
        except UnsupportedResponseTypeError as error:
            # Authlib's description is the bare response type; say what is refused and what is offered instead.
            error.description = documented(
                UNSUPPORTED_RESPONSE_TYPE.format(response_type=bare(request.payload.response_type or "")),
                "The supported response types are code and code id_token; the implicit flow is not offered.",
            )
            raise

    def handle_error_response(self, request: OAuth2Request | None, error: OAuth2Error) -> Response:
        if error.redirect_uri and request is not None:
            # RFC 6749 §4.1.2.1: back to the trusted redirect URI, in the request's response mode (form_post too).
            return self.handle_response(*deliver(error.redirect_uri, error.get_body(), response_mode_of(request)))
        return super().handle_error_response(request, error)

    def create_token_response(self, request: Any = None) -> Response:
        oauth_request = self.create_oauth2_request(request)
        try:
            validate_token_endpoint_request(oauth_request, self.sandbox.registry)
        except OAuth2Error as error:
            return self.handle_error_response(oauth_request, error)
        return super().create_token_response(oauth_request)

    def authenticate_client(self, request: OAuth2Request, methods: list[str], endpoint: str = "token") -> Any:
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            # Authlib's message lists its methods; the documented message and which cause this request has instead.
            error.status_code = 401  # one answer whichever way the client authenticated (RFC 6749 §5.2)
            error.description = documented(
                INVALID_CLIENT, why_client_authentication_failed(request, self.sandbox.registry)
            )
            raise

    def get_token_grant(self, request: OAuth2Request) -> Any:
        try:
            return super().get_token_grant(request)
        except UnsupportedGrantTypeError as error:
            # auth/flows/client-credentials/service-apps-errors.md: "Unsupported grant type: password".
            error.description = documented(
                UNSUPPORTED_GRANT_TYPE.format(grant_type=bare(request.payload.grant_type or "")),
                "The supported grants are authorization_code, client_credentials and refresh_token.",
            )
            raise
