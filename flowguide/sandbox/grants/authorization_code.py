"""The Authorization Code grant (RFC 6749 §4.1) on the sandbox's code store.

Codes live 5 minutes and are single use; a code used twice is refused and every token issued from
it is revoked (RFC 6749 §4.1.2). Client and redirect URI checks are the client model's. The answer
travels in the response mode the request asked for (query by default; fragment; form_post).
"""

from __future__ import annotations

import secrets

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidGrantError

from ..errors import shown
from ..models import AuthorizationCodeRecord, SandboxClient, SignIn
from ..request_rules import refuse_repeated_parameters
from ..state import AUTHORIZATION_CODE_LIFETIME, SandboxState
from .base import AUTH_METHODS, new_authorization_code, sandbox_state
from .id_tokens import half_hash
from .response_modes import deliver, response_mode_of, validate_response_mode


def record_authorization_code(state: SandboxState, code: str, request: OAuth2Request) -> AuthorizationCodeRecord:
    """Keep a code with what the token endpoint will check and put in the ID token (code and hybrid alike)."""
    data = request.payload.data
    record = AuthorizationCodeRecord(
        code=code,
        client_id=request.client.get_client_id(),
        redirect_uri=request.payload.redirect_uri,
        scope=request.scope,
        sign_in=request.user,
        nonce=data.get("nonce"),
        code_challenge=data.get("code_challenge"),
        code_challenge_method=data.get("code_challenge_method"),
        issued_at=state.clock.now(),
        grant_id=secrets.token_hex(8),
        # The documentation's ID tokens carry s_hash whenever the authorize request sent a state.
        state_hash=half_hash(request.payload.state) if request.payload.state else None,
    )
    state.codes[code] = record
    return record


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    # RFC 6749 §3.1: the same rule as the token endpoint's, for every parameter.
    validate_no_multiple_request_parameter = staticmethod(refuse_repeated_parameters)

    @property
    def state(self) -> SandboxState:
        return sandbox_state(self.server)

    def validate_authorization_request(self) -> str:
        redirect_uri = super().validate_authorization_request()
        try:
            validate_response_mode(self.request)
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri  # the client and redirect URI are trusted by now (RFC 6749 §4.1.2.1)
            raise
        return redirect_uri

    def create_authorization_response(self, redirect_uri: str, grant_user: SignIn | None) -> tuple:
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return deliver(redirect_uri, params, response_mode_of(self.request))

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # The authorize endpoint's redirect_uri check again: a URI taken out of ImpersonateLoginUrl since is refused.
        redirect_uri = self.request.payload.redirect_uri or ""
        if not self.request.client.check_redirect_uri(redirect_uri):
            raise InvalidGrantError(
                f"The redirect_uri {shown(redirect_uri)} is no longer in ImpersonateLoginUrl of "
                f"{self.request.client.get_client_id()!r}."
            )

    def generate_authorization_code(self) -> str:
        return new_authorization_code()

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        record_authorization_code(self.state, code, request)

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
        if self.state.clock.now() >= record.issued_at + AUTHORIZATION_CODE_LIFETIME:
            raise InvalidGrantError("The authorization code expired (codes live 5 minutes).")
        return record

    def delete_authorization_code(self, authorization_code: AuthorizationCodeRecord) -> None:
        authorization_code.used = True  # kept, so that a replay is recognised and answered

    def authenticate_user(self, authorization_code: AuthorizationCodeRecord) -> SignIn:
        return authorization_code.sign_in
