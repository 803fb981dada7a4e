"""The sandbox's request rules, PKCE and the code grant at their edges, each answer literal (MUTATION.md).

Each test kills mutmut survivors in flowguide/sandbox/request_rules.py, grants/code_challenge.py and
grants/authorization_code.py: a refusal that names the wrong cause, a check that lets a request through.
"""

from __future__ import annotations

import httpx
import pytest
from test_sandbox import (
    LEGACY,
    PORTAL,
    PORTAL_CALLBACK,
    PORTAL_SECRET,
    SPA,
    SPA_CALLBACK,
    SYNC,
    SYNC_SECRET,
    assert_oauth_error,
    authorize_params,
    callback_params,
    parse,
    pkce,
    portal_exchange,
    sign_in_and_consent,
)

from flowguide.sandbox import Sandbox

TOKEN = "/id/connect/token"
# auth/flows/client-credentials/service-apps-errors.md's typical message, then the sandbox's reason.
INVALID_CLIENT = "Invalid client_id or client_secret. "


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


def test_an_authorize_request_without_client_id_says_so_on_the_page(client: httpx.Client) -> None:
    response = client.get("/id/connect/authorize", params={"redirect_uri": PORTAL_CALLBACK, "response_type": "code"})
    assert response.status_code == 400 and "location" not in response.headers
    assert "<p>The request has no client_id.</p>" in response.text


def test_an_expired_code_says_codes_live_five_minutes(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    sb.clock.advance(300)
    body = assert_oauth_error(client.post(TOKEN, data=portal_exchange(code, verifier)), "invalid_grant")
    assert body["error_description"] == "The authorization code expired (codes live 5 minutes)."


HOW = "A client_credentials request sends client_id and client_secret as form fields."


@pytest.mark.parametrize(
    ("data", "auth", "description"),
    [
        ({"client_id": SYNC, "client_secret": SYNC_SECRET}, None, "The request has no grant_type."),
        (
            {"grant_type": "client_credentials", "client_secret": SYNC_SECRET},
            None,
            f"Missing client_id. {HOW}",
        ),
        ({"grant_type": "client_credentials", "client_id": SYNC}, None, f"Missing client_secret. {HOW}"),
        (
            {"grant_type": "client_credentials", "client_secret": SYNC_SECRET},
            (SYNC, SYNC_SECRET),
            "The client authenticates twice: with HTTP Basic and with client_secret in the body. "
            "Use one of them (RFC 6749 section 2.3).",
        ),
        (
            {"grant_type": "client_credentials", "client_id": SYNC, "client_secret": SYNC_SECRET, "scope": ["a", "b"]},
            None,
            "The parameter 'scope' is sent more than once; each parameter may appear only once (RFC 6749 section 3.1).",
        ),
    ],
    ids=["no-grant-type", "no-client-id", "no-secret", "two-authentications", "repeated"],
)
def test_a_malformed_token_request_is_invalid_request_in_its_own_words(
    client: httpx.Client, data: dict, auth: tuple[str, str] | None, description: str
) -> None:
    body = assert_oauth_error(client.post(TOKEN, data=data, auth=auth), "invalid_request")
    assert body["error_description"] == description


@pytest.mark.parametrize(
    ("client_id", "callback", "extra", "description"),
    [
        (SPA, SPA_CALLBACK, {}, "A Public client must send code_challenge (PKCE, S256)."),
        # RFC 7636 §4.3: an omitted method means plain, which the product does not take.
        (PORTAL, PORTAL_CALLBACK, {"code_challenge": "c" * 43}, "code_challenge_method must be S256."),
        (
            PORTAL,
            PORTAL_CALLBACK,
            {"code_challenge": "c" * 43, "code_challenge_method": "plain"},
            "code_challenge_method must be S256.",
        ),
    ],
    ids=["public-without-challenge", "challenge-without-method", "plain"],
)
def test_pkce_refusals_go_back_with_their_sentence(
    client: httpx.Client, client_id: str, callback: str, extra: dict, description: str
) -> None:
    params = authorize_params(client_id, callback, scope="read", **extra)
    back = callback_params(client.get("/id/connect/authorize", params=params), callback)
    assert (back["error"], back["error_description"], back["state"]) == ("invalid_request", description, "xyz")


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"client_id": PORTAL, "response_type": "code"}, "<p>The request has no redirect_uri.</p>"),
        (
            authorize_params(client_id=LEGACY),
            "<p>The Trusted Application &#x27;com.example/legacy-report&#x27; is disabled (IsEnabled = false).</p>",
        ),
    ],
    ids=["no-redirect-uri", "disabled"],
)
def test_authorize_refusals_shown_on_the_page_say_why(client: httpx.Client, params: dict, sentence: str) -> None:
    response = client.get("/id/connect/authorize", params=params)
    assert response.status_code == 400 and "location" not in response.headers
    assert sentence in response.text


@pytest.mark.parametrize(
    ("data", "error", "status", "description"),
    [
        (
            {"grant_type": "client_credentials", "client_id": LEGACY, "client_secret": "legacy-report-secret"},
            "invalid_client",
            401,
            "Invalid client_id or client_secret. The Trusted Application 'com.example/legacy-report' is disabled "
            "(IsEnabled = false).",
        ),
        (
            {"grant_type": "client_credentials", "client_id": SPA},
            "unauthorized_client",
            400,
            "The client is not authorized to use this grant type. A Public client has no secret, so it cannot use "
            "client_credentials; it signs a user in with authorization_code and PKCE.",
        ),
        (
            {"grant_type": "client_credentials", "client_id": PORTAL, "client_secret": PORTAL_SECRET},
            "unauthorized_client",
            400,
            "The client is not authorized to use this grant type. The Trusted Application 'com.example/web-portal' "
            "does not allow client_credentials: SystemUserAllowed is false.",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": SYNC,
                "client_secret": SYNC_SECRET,
                "scope": "read openid offline_access",
            },
            "invalid_scope",
            400,
            "Invalid scope: openid offline_access. It is never issued with client_credentials: no user signs in, "
            "so there is no identity, profile or refresh token.",
        ),
        (
            {
                "grant_type": "authorization_code",
                "code": "made-up",
                "redirect_uri": PORTAL_CALLBACK,
                "client_id": LEGACY,
                "client_secret": "legacy-report-secret",
            },
            "unauthorized_client",
            400,
            "The client is not authorized to use this grant type. The Trusted Application "
            "'com.example/legacy-report' is disabled (IsEnabled = false).",
        ),
        (
            {
                "grant_type": "refresh_token",
                "refresh_token": "made-up",
                "client_id": SYNC,
                "client_secret": SYNC_SECRET,
            },
            "invalid_grant",
            400,
            "Client credentials are invalid or missing. 'com.example/nightly-sync' lets no user sign in, so it never "
            "holds an authorization code or a refresh token; a service asks with grant_type=client_credentials.",
        ),
    ],
    ids=["disabled", "public", "no-system-user", "protocol-scopes", "disabled-code", "service-refresh"],
)
def test_grant_refusals_say_the_documented_message_and_why(
    client: httpx.Client, data: dict, error: str, status: int, description: str
) -> None:
    body = assert_oauth_error(client.post(TOKEN, data=data), error, status)
    assert body["error_description"] == description


def test_a_wrong_password_is_said_in_one_whole_sentence(client: httpx.Client) -> None:
    page = client.get(
        "/id/connect/authorize",
        params=authorize_params(scope="read", code_challenge="c" * 43, code_challenge_method="S256"),
    )
    form = parse(page.text).forms[0]
    again = client.post(form["action"], data={**form["fields"], "username": "david", "password": "nope"})
    assert '<p class="error" role="alert">The user name or the password is not right.</p>' in again.text
