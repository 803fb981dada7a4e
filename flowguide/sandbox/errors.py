"""The product's error codes that RFC 6749 §4.1.2.1 and §5.2 do not name, its documented messages, and
how a description quotes a value.

One class per error code, as Authlib has them; ``shown`` and ``bare`` keep a value the request carried
inside the characters RFC 6749 §5.2 allows in ``error_description``. Each refusal the product's error
tables give a "Typical Message" for starts its description with that message, then says why.
"""

from __future__ import annotations

from urllib.parse import quote

from authlib.oauth2 import OAuth2Error

# RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E; "%" stays encoded so it reads unambiguously.
_ALLOWED_AS_IS = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\%')

# The "Typical Message" column of auth/flows/auth-code/interactive-apps-errors.md ...
PKCE_VERIFICATION_FAILED = "PKCE verification failed"
REFRESH_TOKEN_INVALID = "refresh token is expired or invalid"
# ... and of auth/flows/client-credentials/service-apps-errors.md.
INVALID_CLIENT = "Invalid client_id or client_secret"
UNAUTHORIZED_GRANT_TYPE = "The client is not authorized to use this grant type"
CLIENT_CREDENTIALS_INVALID = "Client credentials are invalid or missing"
INVALID_SCOPE = "Invalid scope: {scope}"
UNSUPPORTED_GRANT_TYPE = "Unsupported grant type: {grant_type}"
# Not in either table: the same shape as the grant type message, for the authorize endpoint.
UNSUPPORTED_RESPONSE_TYPE = "Unsupported response type: {response_type}"
MISSING_CLIENT_ID = "Missing client_id"
MISSING_CLIENT_SECRET = "Missing client_secret"
# auth/security-best-practices.md: every authentication and token endpoint requires HTTPS (RFC 6749 §3.1, §3.2).
HTTPS_REQUIRED = (
    "HTTPS is required: this endpoint answers plain http only on loopback (localhost, 127.0.0.1, ::1). "
    "Reach it over https."
)


def bare(value: str) -> str:
    """A value from the request as it is, except characters RFC 6749 §5.2 forbids, which are percent-encoded."""
    return quote(value, safe=_ALLOWED_AS_IS)


def shown(value: str) -> str:
    """A value from the request, quoted for an error_description; other characters are percent-encoded."""
    return "'" + bare(value) + "'"


def documented(message: str, why: str) -> str:
    """The documented message first, then the sandbox's reason, as one error_description."""
    return f"{message}. {why}"


class InvalidRedirectUriError(OAuth2Error):
    """The redirect_uri is not one of the Trusted Application's ImpersonateLoginUrl entries, so the
    identity service shows the error and redirects nowhere (RFC 6749 §4.1.2.1;
    ``auth/flows/auth-code/interactive-apps-errors.md``)."""

    error = "invalid_redirect_uri"
