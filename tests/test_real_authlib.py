"""Authlib's own OAuth 2.0 client against the standalone sandbox over a real socket.

``authlib.integrations.requests_client.OAuth2Session`` (the library the documentation lists for Python,
auth/client-libraries.md) authenticates the way a reader configures it, ``client_secret_basic`` (HTTP
Basic) or ``client_secret_post`` (the secret in the form): Client Credentials as
com.example/nightly-sync, and the Authorization Code exchange with PKCE as com.example/web-portal.
A person signs in on the sandbox's own pages over HTTP in between (tests/fixtures/sign_in_pages.py).
"""

from __future__ import annotations

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fixtures.demo import (
    DAVID,
    DAVID_CUSTOMERS,
    NIGHTLY_SYNC,
    SYNC_BOT_CUSTOMERS,
    WEB_PORTAL,
    StandaloneSandbox,
)
from fixtures.sign_in_pages import authorization_response, sign_in
from joserfc import jwt
from joserfc.jwk import KeySet

pytest_plugins = ["fixtures.real_sandbox"]

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _verified_claims(sandbox: StandaloneSandbox, token: str) -> dict:
    keys = KeySet.import_key_set(httpx.get(f"{sandbox.issuer}/.well-known/openid-configuration/jwks").json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.claims["iss"] == sandbox.issuer
    return decoded.claims


@pytest.mark.parametrize("auth_method", AUTH_METHODS)
def test_client_credentials(standalone_sandbox: StandaloneSandbox, auth_method: str) -> None:
    with OAuth2Session(
        NIGHTLY_SYNC.client_id, NIGHTLY_SYNC.client_secret, token_endpoint_auth_method=auth_method, scope="read"
    ) as session:
        token = session.fetch_token(standalone_sandbox.token_endpoint, grant_type="client_credentials")
        assert token["token_type"].lower() == "bearer" and token["expires_in"] == 3600
        assert "refresh_token" not in token  # RFC 6749 §4.4.3; auth/tokens/token-lifetime.md
        claims = _verified_claims(standalone_sandbox, token["access_token"])
        assert claims["client_id"] == NIGHTLY_SYNC.client_id and claims["client_system_user"] == "sync-bot"
        assert claims["scope"] == ["read"] and "sub" not in claims
        rows = session.get(standalone_sandbox.customers_url, params={"$top": 10})
    assert rows.status_code == 200
    assert [row["Number"] for row in rows.json()["value"]] == SYNC_BOT_CUSTOMERS


@pytest.mark.parametrize("auth_method", AUTH_METHODS)
def test_client_credentials_with_a_wrong_secret_is_invalid_client(
    standalone_sandbox: StandaloneSandbox, auth_method: str
) -> None:
    session = OAuth2Session(NIGHTLY_SYNC.client_id, "not-the-secret", token_endpoint_auth_method=auth_method)
    with session, pytest.raises(OAuthError) as refused:
        session.fetch_token(standalone_sandbox.token_endpoint, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


@pytest.mark.parametrize("auth_method", AUTH_METHODS)
def test_authorization_code_exchange_with_pkce(standalone_sandbox: StandaloneSandbox, auth_method: str) -> None:
    with OAuth2Session(
        WEB_PORTAL.client_id,
        WEB_PORTAL.client_secret,
        token_endpoint_auth_method=auth_method,
        scope=WEB_PORTAL.scope,
        redirect_uri=WEB_PORTAL.redirect_uri,
        code_challenge_method="S256",
    ) as session:
        verifier = "v" * 20 + auth_method.replace("_", "-") + "-" * 10  # 43+ characters (RFC 7636 §4.1)
        url, state = session.create_authorization_url(
            standalone_sandbox.authorization_endpoint, code_verifier=verifier, nonce=f"nonce-{auth_method}"
        )
        assert f"code_challenge={create_s256_code_challenge(verifier)}" in url

        with httpx.Client() as person:
            answer = authorization_response(sign_in(person, person.get(url), *DAVID))
        assert answer.mode == "query" and answer.redirect_uri == WEB_PORTAL.redirect_uri
        assert answer.params["state"] == state

        token = session.fetch_token(
            standalone_sandbox.token_endpoint, authorization_response=answer.url, code_verifier=verifier
        )
        assert token["token_type"].lower() == "bearer" and token["expires_in"] == 3600 and token["refresh_token"]
        access = _verified_claims(standalone_sandbox, token["access_token"])
        assert access["sub"] == "david" and access["client_id"] == WEB_PORTAL.client_id
        identity = _verified_claims(standalone_sandbox, token["id_token"])
        assert identity["aud"] == WEB_PORTAL.client_id and identity["nonce"] == f"nonce-{auth_method}"
        rows = session.get(standalone_sandbox.customers_url, params={"$top": 10})
        assert rows.status_code == 200
        assert [row["Number"] for row in rows.json()["value"]] == DAVID_CUSTOMERS

        # The same session renews with the refresh token and the same client authentication.
        renewed = session.refresh_token(standalone_sandbox.token_endpoint, refresh_token=token["refresh_token"])
        assert renewed["access_token"] != token["access_token"]
        assert renewed["refresh_token"] != token["refresh_token"]  # rotated on every use


@pytest.mark.parametrize("auth_method", AUTH_METHODS)
def test_authorization_code_with_a_wrong_verifier_is_invalid_grant(
    standalone_sandbox: StandaloneSandbox, auth_method: str
) -> None:
    with OAuth2Session(
        WEB_PORTAL.client_id,
        WEB_PORTAL.client_secret,
        token_endpoint_auth_method=auth_method,
        scope="read",
        redirect_uri=WEB_PORTAL.redirect_uri,
        code_challenge_method="S256",
    ) as session:
        url, _ = session.create_authorization_url(standalone_sandbox.authorization_endpoint, code_verifier="a" * 43)
        with httpx.Client() as person:
            answer = authorization_response(sign_in(person, person.get(url), *DAVID))
        with pytest.raises(OAuthError) as refused:
            session.fetch_token(
                standalone_sandbox.token_endpoint, authorization_response=answer.url, code_verifier="b" * 43
            )
    assert refused.value.error == "invalid_grant"
