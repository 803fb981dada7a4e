"""The sandbox's request rules, PKCE and the code grant at their edges, each answer literal (MUTATION.md).

Each test kills mutmut survivors in flowguide/sandbox/request_rules.py, grants/code_challenge.py and
grants/authorization_code.py: a refusal that names the wrong cause, a check that lets a request through.
"""

from __future__ import annotations

import httpx
import pytest
from test_sandbox import (
    PORTAL,
    PORTAL_CALLBACK,
    PORTAL_SECRET,
    SPA,
    assert_oauth_error,
    authorize_params,
    callback_params,
    pkce,
    portal_exchange,
    sign_in_and_consent,
)

from flowguide.sandbox import Sandbox

TOKEN = "/id/connect/token"
# auth/flows/client-credentials/service-apps-errors.md's typical message, then the sandbox's reason.
INVALID_CLIENT = "Invalid client_id or client_secret. "


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox()


@pytest.fixture
def client(sb: Sandbox) -> httpx.Client:
    return sb.http_client()


def _code_form(**fields: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": "made-up", "redirect_uri": PORTAL_CALLBACK, **fields}


@pytest.mark.parametrize(
    ("data", "auth", "why"),
    [
        (_code_form(), None, "The request names no client_id."),
        (
            _code_form(client_id="com.example/nobody", client_secret="x"),
            None,
            "No Trusted Application has ApplicationUri 'com.example/nobody'.",
        ),
        (_code_form(), ("com.example/nobody", "x"), "No Trusted Application has ApplicationUri 'com.example/nobody'."),
        (
            _code_form(client_id=SPA, client_secret="a-secret"),
            None,
            "'com.example/spa' is a Public client: it has no secret, so it must not send one.",
        ),
        (
            _code_form(client_id=PORTAL),
            None,
            "'com.example/web-portal' is a Confidential client: it must send its client_secret.",
        ),
        (
            _code_form(client_id=PORTAL, client_secret="wrong"),
            None,
            "The client_secret does not match the Trusted Application's ApplicationSecretHash.",
        ),
        (
            _code_form(),
            (PORTAL, "wrong"),
            "The client_secret does not match the Trusted Application's ApplicationSecretHash.",
        ),
    ],
    ids=[
        "no-client-id",
        "unknown-post",
        "unknown-basic",
        "public-with-secret",
        "no-secret",
        "wrong-post",
        "wrong-basic",
    ],
)
def test_invalid_client_names_the_cause_this_request_has(
    client: httpx.Client, data: dict, auth: tuple[str, str] | None, why: str
) -> None:
    body = assert_oauth_error(client.post(TOKEN, data=data, auth=auth), "invalid_client", 401)
    assert body["error_description"] == INVALID_CLIENT + why


def test_a_wrong_verifier_says_pkce_verification_failed(client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    body = assert_oauth_error(client.post(TOKEN, data=portal_exchange(code, verifier[::-1])), "invalid_grant")
    assert body["error_description"] == (
        "PKCE verification failed. The code_verifier does not hash (S256) to the code_challenge sent to the "
        "authorize endpoint."
    )


def test_a_replayed_code_says_why_every_token_of_it_is_refused(client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read offline_access", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    first = client.post(TOKEN, data=portal_exchange(code, verifier)).json()
    replay = assert_oauth_error(client.post(TOKEN, data=portal_exchange(code, verifier)), "invalid_grant")
    assert replay["error_description"] == (
        "The authorization code was already used. Every token issued from it is now revoked."
    )
    api = client.get(
        "/api/domain/odata/Crm_Sales_Customers", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert api.json()["error_description"] == (
        "The access token was revoked: its authorization code was used a second time."
    )
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    body = assert_oauth_error(client.post(TOKEN, data=refresh, auth=(PORTAL, PORTAL_SECRET)), "invalid_grant")
    assert body["error_description"] == (
        "refresh token is expired or invalid. It was revoked: its authorization code was used a second time."
    )
