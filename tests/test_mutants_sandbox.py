"""The sandbox's grants at their edges, with the identity service's answers literal (MUTATION.md).

Each test kills mutmut survivors in flowguide/sandbox/grants/, models.py and request_rules.py: a
family no longer revoked, a log filter that lets a token through, a rule that no longer refuses.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from test_sandbox import (
    PORTAL,
    PORTAL_SECRET,
    api_get,
    assert_oauth_error,
    authorize_params,
    callback_params,
    pkce,
    portal_exchange,
    portal_tokens,
    sign_in_and_consent,
    spa_tokens,
)

from flowguide.sandbox import Sandbox
from flowguide.sandbox.grants import _NoIssuedTokens
from flowguide.tokens import unverified_claims


def _refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "client_id": PORTAL, "client_secret": PORTAL_SECRET}
    return client.post("/id/connect/token", data={**data, "refresh_token": refresh_token})


def test_a_rotated_out_refresh_token_used_again_revokes_its_whole_family(sb: Sandbox, client: httpx.Client) -> None:
    # RFC 9700 §4.14.2: the thief and the client each hold one of the family; both lose it.
    first = portal_tokens(sb, client)
    second = _refresh(client, first["refresh_token"]).json()
    assert api_get(client, second["access_token"]).status_code == 200
    reused = assert_oauth_error(_refresh(client, first["refresh_token"]), "invalid_grant")
    # auth/flows/auth-code/interactive-apps-errors.md: every refused refresh token says "refresh token is
    # expired or invalid" first.
    assert reused["error_description"] == (
        "refresh token is expired or invalid. It was already used and replaced by a newer one; "
        "as a precaution every token of this sign-in is now revoked."
    )
    newest = assert_oauth_error(_refresh(client, second["refresh_token"]), "invalid_grant")
    assert newest["error_description"] == (
        "refresh token is expired or invalid. It was revoked: a rotated-out refresh token was used again."
    )
    assert api_get(client, second["access_token"]).status_code == 401


def test_a_refresh_token_never_issued_or_issued_to_another_client_is_refused(client: httpx.Client) -> None:
    for refresh_token in ("never-issued", spa_tokens(client)["refresh_token"]):
        body = assert_oauth_error(_refresh(client, refresh_token), "invalid_grant")
        assert body["error_description"] == (
            "refresh token is expired or invalid. It is not one this identity service issued to this client."
        )


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("Issue token %r to %r", False),
        ("Grant token %r to %r", False),
        ("Validate token request of %r", True),
        ("grant token", True),
    ],
)
def test_authlib_records_that_print_a_token_are_dropped(message: str, kept: bool) -> None:
    record = logging.LogRecord("authlib", logging.DEBUG, __file__, 1, message, ("t", "c"), None)
    assert _NoIssuedTokens().filter(record) is kept


def test_the_id_token_says_the_person_signed_in_with_a_password(sb: Sandbox, client: httpx.Client) -> None:
    claims = unverified_claims(portal_tokens(sb, client)["id_token"])
    assert claims["amr"] == ["pwd"]
    assert (claims["iss"], claims["aud"]) == (sb.issuer, PORTAL)


@pytest.mark.parametrize(("seconds_later", "usable"), [(299, True), (300, False)])
def test_a_code_lives_exactly_five_minutes(sb: Sandbox, client: httpx.Client, seconds_later: int, usable: bool) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    sb.clock.advance(seconds_later)
    response = client.post("/id/connect/token", data=portal_exchange(code, verifier))
    if usable:
        assert response.status_code == 200, response.text
    else:
        assert "expired" in assert_oauth_error(response, "invalid_grant")["error_description"]


@pytest.mark.parametrize("profile", [True, False])
def test_userinfo_names_the_person_only_with_the_profile_scope(
    sb: Sandbox, client: httpx.Client, profile: bool
) -> None:
    scope = "openid profile read" if profile else "openid read"
    access_token = portal_tokens(sb, client, scope=scope)["access_token"]
    claims = client.get("/id/connect/userinfo", headers={"Authorization": f"Bearer {access_token}"}).json()
    named = {k: claims.get(k) for k in ("name", "email", "user_type")}
    if profile:
        assert all(isinstance(v, str) and v for v in named.values()), named
        assert named["user_type"] == "InternalUser"
    else:
        assert named == {"name": None, "email": None, "user_type": None}
