"""The userinfo endpoint (OpenID Connect Core §5.3): the signed-in person's claims, for an access token with ``openid``.

The documentation's ID tokens carry no profile claims; a client that wants the person's name and email
asks here (as the documentation's ASP.NET samples do with ``GetClaimsFromUserInfoEndpoint``). The access
token is checked as a resource server would (RFC 6750 §3; RFC 9068 §4): signed here, ``at+jwt``, this
issuer, the identity service's own audience, inside its lifetime, issued and not revoked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from authlib.oidc.core import UserInfoEndpoint
from joserfc import jwt
from joserfc.errors import JoseError

from .access_tokens import resources_audience

if TYPE_CHECKING:
    from . import Sandbox

Answer = tuple[int, Any, list[tuple[str, str]]]


class UserInfoAccessToken:
    """The claims of an access token this sandbox signed, for Authlib's scope check."""

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims

    def get_scope(self) -> str:
        return " ".join(self.claims.get("scope", []))


class UserInfoTokenValidator(BearerTokenValidator):
    """RFC 6750 bearer tokens for the identity service itself: its audience is ``{issuer}/resources``."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox

    def authenticate_token(self, token_string: str) -> UserInfoAccessToken:
        sb = self.sandbox
        try:
            token = jwt.decode(token_string, sb.signing_key, algorithms=["RS256"])
        except (JoseError, ValueError):
            raise InvalidTokenError(
                "The access token's signature does not verify with this identity service's keys."
            ) from None
        if str(token.header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise InvalidTokenError("This JWT is not an access token (typ is not at+jwt).")
        aud = token.claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if token.claims.get("iss") != sb.issuer or resources_audience(sb.issuer) not in audiences:
            raise InvalidTokenError(f"The token was not issued by {sb.issuer} for its own resources.")
        return UserInfoAccessToken(token.claims)

    def validate_token(self, token: UserInfoAccessToken, scopes: list[str] | None, request: Any) -> None:
        now = self.sandbox.clock.now()
        if not token.claims.get("nbf", 0) <= now < token.claims.get("exp", 0):
            raise InvalidTokenError("The access token is expired or not valid yet.")
        record = self.sandbox.state.access_tokens.get(token.claims.get("jti", ""))
        if record is None or record.revoked_because:
            raise InvalidTokenError("The access token was revoked, or this sandbox never issued it.")
        if self.scope_insufficient(token.get_scope(), scopes):
            raise InsufficientScopeError("The userinfo endpoint needs a signed-in user's access token with openid.")


def bearer_refusal(error: OAuth2Error) -> Answer:
    """RFC 6750 §3: a WWW-Authenticate Bearer challenge with every refusal; none with no error code for no token."""
    if isinstance(error, MissingAuthorizationError | UnsupportedTokenTypeError):
        description = "The request has no bearer access token: send Authorization: Bearer <access token>."
        return 401, {"error_description": description}, [*default_json_headers, ("WWW-Authenticate", "Bearer")]
    description = error.get_error_description()
    challenge = f'Bearer error="{error.error}", error_description="{description}"'
    if isinstance(error, InsufficientScopeError):
        challenge += ', scope="openid"'
    body = {"error": error.error, "error_description": description}
    return error.status_code, body, [*default_json_headers, ("WWW-Authenticate", challenge)]


class SandboxUserInfoEndpoint(UserInfoEndpoint):
    """Authlib's userinfo endpoint over the sandbox's registry: ``sub``, and the profile with ``profile``."""

    def __init__(self, sandbox: Sandbox) -> None:
        protector = ResourceProtector()
        protector.register_token_validator(UserInfoTokenValidator(sandbox))
        super().__init__(resource_protector=protector)
        self.sandbox = sandbox

    def __call__(self, request: OAuth2Request) -> Answer:
        try:
            token = self.resource_protector.acquire_token(["openid"])
        except OAuth2Error as error:
            return bearer_refusal(error)
        return 200, self.generate_user_info(token.claims["sub"], token.get_scope()), default_json_headers

    def generate_user_info(self, user: str, scope: str) -> dict[str, Any]:
        """OpenID Connect Core §5.4: openid gives sub; profile adds the person's name, email and kind."""
        person = self.sandbox.registry.user(user)
        info: dict[str, Any] = {"sub": user}
        if person is not None and "profile" in scope.split():
            info |= {
                "name": person.name,
                "email": person.email,
                "email_verified": person.email_verified,  # OpenID Connect Core §5.1: a JSON boolean
                "locale": person.locale,
                "user_type": person.user_type,
            }
        return info
