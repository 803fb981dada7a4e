"""OpenID Connect's hybrid ``code id_token`` (OpenID Connect Core §3.3), the documentation's samples' sign-in.

The authorize endpoint answers with a code and an ID token that binds it (``c_hash``); ``nonce`` is
required (§3.3.2.11). The answer travels in the fragment by default, or posted in a form (``form_post``),
never in the query (OAuth 2.0 Multiple Response Type Encoding Practices §5). The code is redeemed at
the token endpoint by the Authorization Code grant, like any other.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants.authorization_code import validate_code_authorization_request
from authlib.oidc.core.grants import OpenIDHybridGrant
from authlib.oidc.core.grants.util import is_openid_scope

from ..models import AuthorizationCodeRecord, SignIn
from ..request_rules import refuse_repeated_parameters
from .authorization_code import record_authorization_code
from .base import new_authorization_code, sandbox_state
from .id_tokens import id_token_claims, sign_id_token
from .response_modes import deliver, response_mode_of, validate_response_mode


class SandboxOpenIDHybridGrant(OpenIDHybridGrant):
    RESPONSE_TYPES = {"code id_token"}  # the product's discovery lists it; "code token" and the rest are not offered

    # RFC 6749 §3.1: the same rule as the code grant's, for every parameter.
    validate_no_multiple_request_parameter = staticmethod(refuse_repeated_parameters)

    def exists_nonce(self, nonce: str, request: object) -> bool:
        return False  # the product does not refuse a nonce used in an earlier sign-in

    def validate_authorization_request(self) -> str:
        redirect_uri = validate_code_authorization_request(self)
        try:
            validate_response_mode(self.request)
            if not is_openid_scope(self.request.scope):
                raise InvalidScopeError("response_type code id_token signs a user in: the scope must include openid.")
            if not self.request.payload.data.get("nonce"):
                # OpenID Connect Core §3.3.2.11: nonce is REQUIRED when an ID token comes from the authorize endpoint.
                raise InvalidRequestError("response_type code id_token needs a nonce (OpenID Connect Core 3.3.2.11).")
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def generate_authorization_code(self) -> str:
        return new_authorization_code()

    def save_authorization_code(self, code: str, request: object) -> AuthorizationCodeRecord:
        return record_authorization_code(sandbox_state(self.server), code, self.request)

    def create_authorization_response(self, redirect_uri: str, grant_user: SignIn | None) -> tuple:
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        record = self.save_authorization_code(code, self.request)
        sandbox = self.server.sandbox
        claims = id_token_claims(
            sandbox,
            record.client_id,
            grant_user,
            nonce=record.nonce,
            state_hash=record.state_hash,
            code=code,
        )
        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        params.append(("id_token", sign_id_token(sandbox, claims)))
        return deliver(redirect_uri, params, response_mode_of(self.request))
