"""Rules about a request's shape that hold before any grant reads it: RFC 6749 §2.3, §3.1, §3.2, §4.1.2.1.

Each rule raises the Authlib error for its RFC code; the authorization server calls them at the
authorize endpoint (never redirecting before the client and redirect URI are known) and at the token
endpoint (one of each parameter, one way to authenticate the client). Where the product's error tables
give a code and a message, the rule answers with them (``auth/flows/*/...-errors.md``).
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, UnauthorizedClientError
from authlib.oauth2.rfc6749.util import extract_basic_authorization

from .errors import MISSING_CLIENT_ID, MISSING_CLIENT_SECRET, InvalidRedirectUriError, documented, shown
from .models import SandboxClient
from .registry import RegistryFile


def refuse_repeated_parameters(request: OAuth2Request) -> None:
    """RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be included more than once"."""
    repeated = [name for name, values in request.payload.datalist.items() if len(values) > 1]
    if repeated:
        raise InvalidRequestError(
            f"The parameter {shown(repeated[0])} is sent more than once; each parameter may appear only once "
            "(RFC 6749 section 3.1)."
        )


def validate_authorization_client(request: OAuth2Request, registry: RegistryFile) -> None:
    """The client and its redirect URI, checked before anything could be sent to it (RFC 6749 §4.1.2.1)."""
    client_id = request.payload.client_id
    redirect_uri = request.payload.redirect_uri
    if not client_id:
        raise InvalidRequestError("The request has no client_id.")
    application = registry.application(client_id)
    # auth/flows/auth-code/interactive-apps-errors.md: a disabled or missing Trusted Application is unauthorized_client.
    if application is None:
        raise UnauthorizedClientError(
            description=f"No Trusted Application has ApplicationUri {shown(client_id)} on this instance."
        )
    client = SandboxClient(application, registry)
    if not application.IsEnabled:
        raise UnauthorizedClientError(description=client.disabled)
    if not redirect_uri:
        raise InvalidRequestError("The request has no redirect_uri.")
    if not client.check_redirect_uri(redirect_uri):
        raise InvalidRedirectUriError(
            description=f"The redirect_uri {shown(redirect_uri)} does not exactly match (case-sensitively) any "
            f"URI in ImpersonateLoginUrl of {client_id!r}, so the sandbox will not send anything to it."
        )


def validate_token_endpoint_request(request: OAuth2Request, registry: RegistryFile) -> None:
    """What makes a token request invalid_request before its grant is chosen (RFC 6749 §2.3, §3.2)."""
    refuse_repeated_parameters(request)
    data = request.payload.data
    if not data.get("grant_type"):
        raise InvalidRequestError("The request has no grant_type.")
    basic_client_id, _ = extract_basic_authorization(request.headers)
    if basic_client_id and data.get("client_secret"):
        # RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
        raise InvalidRequestError(
            "The client authenticates twice: with HTTP Basic and with client_secret in the body. "
            "Use one of them (RFC 6749 section 2.3)."
        )
    if data["grant_type"] != "client_credentials" or basic_client_id:
        # Authlib answers unsupported_grant_type or authenticates the client: in the interactive flow's requests
        # missing credentials are invalid_client (auth/flows/auth-code/interactive-apps-errors.md).
        return
    # auth/flows/client-credentials/service-apps-errors.md: a missing client_id or secret is invalid_request.
    how = "A client_credentials request sends client_id and client_secret as form fields."
    client_id = data.get("client_id")
    if not client_id:
        raise InvalidRequestError(documented(MISSING_CLIENT_ID, how))
    application = registry.application(client_id)
    if application is not None and not application.is_public and not data.get("client_secret"):
        raise InvalidRequestError(documented(MISSING_CLIENT_SECRET, how))


def why_client_authentication_failed(request: OAuth2Request, registry: RegistryFile) -> str:
    """Which of invalid_client's causes this request has (RFC 6749 §5.2; interactive-apps-errors.md)."""
    basic_client_id, basic_secret = extract_basic_authorization(request.headers)
    client_id = basic_client_id or request.payload.client_id
    secret = basic_secret or request.payload.data.get("client_secret")
    application = registry.application(client_id)
    if not client_id:
        return "The request names no client_id."
    if application is None:
        return f"No Trusted Application has ApplicationUri {shown(client_id)}."
    if application.is_public and secret:
        return f"{client_id!r} is a Public client: it has no secret, so it must not send one."
    if not secret:
        return f"{client_id!r} is a Confidential client: it must send its client_secret."
    return "The client_secret does not match the Trusted Application's ApplicationSecretHash."
