"""The requests each flow sends, as pure functions of what the application knows.

Authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1), token requests
(RFC 6749 §4.1.3, §4.4.2, §6; §4.3.2 for the password grant the product refuses), and client
authentication (§2.3.1) with Authlib's encoders.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from authlib.oauth2.auth import encode_client_secret_basic, encode_client_secret_post

from flowguide.client.config import ClientConfig
from flowguide.pkce import S256


def authorization_params(
    app: ClientConfig, *, redirect_uri: str, scope: str, state: str, code_challenge: str | None, nonce: str | None
) -> dict[str, str]:
    """The query of the authorization request; PKCE and nonce only when given."""
    params = {
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "response_type": app.response_type,
        "scope": scope,
        "state": state,
    }
    if app.response_mode:
        params["response_mode"] = app.response_mode
    if code_challenge:
        params |= {"code_challenge": code_challenge, "code_challenge_method": S256}
    if nonce:
        params["nonce"] = nonce
    return params


def code_exchange_form(code: str, redirect_uri: str, code_verifier: str) -> dict[str, str]:
    """The code for tokens (RFC 6749 §4.1.3); the verifier proves who started the sign-in (RFC 7636 §4.5)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    return form


def client_credentials_form(scope: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "scope": scope}


def password_form(username: str, password: str, scope: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password, "scope": scope}


def refresh_form(refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token}


def bearer(access_token: str) -> dict[str, str]:
    """The headers of an API call with an access token (RFC 6750 §2.1)."""
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


@dataclass(frozen=True)
class _Credentials:
    client_id: str
    client_secret: str


def client_authentication(
    app: ClientConfig, form: dict[str, str], secret: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The form and headers that authenticate the application (RFC 6749 §2.3.1); a public client names itself."""
    if not (app.confidential and secret):
        return form | {"client_id": app.client_id}, {}
    if app.auth_method == "client_secret_basic":
        # §2.3.1 form-encodes id and secret before Basic; Authlib's encoder does not, so it gets them encoded.
        encoded = _Credentials(quote(app.client_id, safe=""), quote(secret, safe=""))
        _, headers, _ = encode_client_secret_basic(encoded, "POST", "", {}, "")
        return dict(form), headers
    _, _, body = encode_client_secret_post(_Credentials(app.client_id, secret), "POST", "", {}, "")
    return form | dict(parse_qsl(body)), {}
