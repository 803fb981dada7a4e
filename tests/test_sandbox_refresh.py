"""Refreshing with a narrower scope (RFC 6749 §6), the ID token of a refresh, and the documented refusal.

"The requested scope MUST NOT include any scope not originally granted": a narrower one is allowed.
The access token gets the narrower scope; the refresh token keeps the original grant's, so the
sign-in goes on as before. auth/flows/auth-code/interactive-apps-errors.md gives every refused
refresh token the message "refresh token is expired or invalid". auth/samples/basic-renew-access-token.md
answers a refresh with an id_token (OpenID Connect Core §12.2: the sign-in's sub, sid and auth_time, a
new iat, no nonce).
"""

from __future__ import annotations

import httpx
import jwt
import pytest
from test_sandbox import PORTAL, PORTAL_SECRET, api_get, portal_tokens, verify

from flowguide.sandbox import Sandbox

API_AUDIENCE = ["DomainAPI", "TableAPI", "OLAP", "AppServer", "https://sandbox.flowguide.test/id/resources"]
EVERYTHING = "openid profile read update offline_access"


def refresh(client: httpx.Client, refresh_token: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "client_id": PORTAL, "client_secret": PORTAL_SECRET}
    return client.post("/id/connect/token", data={**data, "refresh_token": refresh_token, **extra})


def test_a_narrower_refresh_narrows_the_access_token_and_keeps_the_sign_in(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client, scope=EVERYTHING)
    narrow = refresh(client, first["refresh_token"], scope="read")
    assert narrow.status_code == 200, narrow.text
    body = narrow.json()
    assert body["scope"] == "read"
    assert verify(sb, body["access_token"], "at+jwt", API_AUDIENCE)["scope"] == ["read"]
    assert body["refresh_token"] != first["refresh_token"]  # rotated as usual

    # The new refresh token still carries the original grant: a refresh without scope gets all of it back.
    again = refresh(client, body["refresh_token"])
    assert again.status_code == 200, again.text
    assert again.json()["scope"] == EVERYTHING and again.json()["refresh_token"]
    assert api_get(client, again.json()["access_token"]).status_code == 200


def test_a_narrower_refresh_without_offline_access_still_rotates(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client, scope=EVERYTHING)
    narrow = refresh(client, first["refresh_token"], scope="openid read")
    assert narrow.status_code == 200 and narrow.json()["refresh_token"]
    assert refresh(client, narrow.json()["refresh_token"]).status_code == 200


def test_a_refresh_may_not_widen_the_grant(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client, scope="openid read offline_access")
    wider = refresh(client, first["refresh_token"], scope="read update")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    assert wider.json()["error_description"] == (
        "Invalid scope: update. A refresh may ask only for scopes of the original sign-in (RFC 6749 section 6)."
    )
    # Refused before anything was issued or rotated: the refresh token still works.
    assert refresh(client, first["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("case", "description"),
    [
        ("made-up", "refresh token is expired or invalid. It is not one this identity service issued to this client."),
        ("expired", "refresh token is expired or invalid. It expired; the user must sign in again."),
        (
            "rotated",
            "refresh token is expired or invalid. It was already used and replaced by a newer one; as a precaution "
            "every token of this sign-in is now revoked.",
        ),
    ],
)
def test_every_refused_refresh_token_says_the_documented_message(
    sb: Sandbox, client: httpx.Client, case: str, description: str
) -> None:
    first = portal_tokens(sb, client)
    token = first["refresh_token"]
    if case == "made-up":
        token = "made-up"
    elif case == "expired":
        sb.clock.advance(30 * 24 * 3600)
    else:
        assert refresh(client, token).status_code == 200
    refused = refresh(client, token)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": description}


def test_a_refresh_with_openid_answers_a_new_id_token_of_the_same_sign_in(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client, scope=EVERYTHING)
    signed_in = verify(sb, first["id_token"], "JWT", PORTAL)
    sb.clock.advance(600)
    body = refresh(client, first["refresh_token"]).json()
    key = jwt.PyJWK(sb.jwks()["keys"][0])
    # The sandbox's clock runs 600 s ahead of the real one that PyJWT reads: allow for it.
    renewed = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=PORTAL, issuer=sb.issuer, leeway=700)
    assert list(renewed) == ["nbf", "exp", "iss", "aud", "iat", "at_hash", "sid", "sub", "auth_time", "idp", "amr"]
    assert renewed["iat"] == signed_in["iat"] + 600 and renewed["exp"] - renewed["iat"] == 300
    for same in ("iss", "aud", "sid", "sub", "auth_time"):
        assert renewed[same] == signed_in[same], same


def test_a_refresh_without_openid_answers_no_id_token(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client, scope=EVERYTHING)
    assert "id_token" not in refresh(client, first["refresh_token"], scope="read").json()
