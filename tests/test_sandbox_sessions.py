"""Sessions and licence slots in the in-process sandbox, walked with its clock (auth/sessions/*.md).

A token opens a session, and takes a slot, on its first API call, not at issue; calls slide the
session's 20 minutes; a Client Credentials session ends an hour after it opened, however busy; a
refreshed token keeps the sign-in's session; end session frees the slot; with every slot held, a call
with a valid token is refused with the documentation's MaximumLicenseCountExceeded.
"""

from __future__ import annotations

import httpx
from test_sandbox import PORTAL, PORTAL_SECRET, api_get, portal_tokens, service_token

from flowguide.sandbox import Sandbox
from flowguide.sandbox.registry import default_registry
from flowguide.sandbox.sessions import IDLE, SIGNED_OUT

POLICY = default_registry().sessions
MINUTE = 60


def service_access_token(client: httpx.Client) -> str:
    response = service_token(client)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def refused_for_licences(response: httpx.Response) -> None:
    """The product's error code, with the sandbox's status and words; never 401 (the token is fine)."""
    assert response.status_code == POLICY.license_error.status == 403, response.text
    assert response.json() == {
        "error": {"code": "MaximumLicenseCountExceeded", "message": POLICY.license_error.message}
    }
    assert "www-authenticate" not in response.headers


def test_the_demo_instance_has_the_small_number_of_slots_the_content_gives(sb: Sandbox) -> None:
    assert sb.state.sessions.slots == POLICY.license_slots == 3
    assert (POLICY.sliding_expiration, POLICY.service_absolute_expiration) == (20 * MINUTE, 60 * MINUTE)


def test_a_token_takes_no_slot_until_its_first_api_call(sb: Sandbox, client: httpx.Client) -> None:
    tokens = [service_access_token(client) for _ in range(POLICY.license_slots + 2)]
    assert sb.state.sessions.used == 0  # holding tokens costs nothing
    assert api_get(client, tokens[0]).status_code == 200
    (session,) = sb.state.sessions.open_sessions()
    assert (session.identity, session.service, session.client_id) == ("sync-bot", True, "com.example/nightly-sync")


def test_the_second_call_with_the_same_token_reuses_its_session(sb: Sandbox, client: httpx.Client) -> None:
    token = portal_tokens(sb, client)["access_token"]
    assert api_get(client, token).status_code == 200
    first = sb.state.sessions.open_sessions()
    assert api_get(client, token).status_code == 200
    assert sb.state.sessions.open_sessions() == first and first[0].calls == 2
    assert (first[0].identity, first[0].service) == ("david", False)


def test_a_call_at_19_minutes_keeps_the_session_and_slides_it(sb: Sandbox, client: httpx.Client) -> None:
    token = portal_tokens(sb, client)["access_token"]
    assert api_get(client, token).status_code == 200
    (session,) = sb.state.sessions.open_sessions()
    opened = session.opened_at
    assert session.expires_at == opened + 20 * MINUTE
    sb.clock.advance(19 * MINUTE)
    assert api_get(client, token).status_code == 200
    assert sb.state.sessions.open_sessions() == [session]
    assert session.expires_at == opened + 39 * MINUTE  # slid: 20 minutes from the last call
    sb.clock.advance(19 * MINUTE)  # 38 minutes after opening, 19 after the last call: still open
    assert sb.state.sessions.open_sessions() == [session]


def test_20_idle_minutes_close_the_session_and_free_its_slot(sb: Sandbox, client: httpx.Client) -> None:
    tokens = [portal_tokens(sb, client)["access_token"] for _ in range(POLICY.license_slots)]
    for token in tokens:
        assert api_get(client, token).status_code == 200
    latecomer = service_access_token(client)
    refused_for_licences(api_get(client, latecomer))
    sb.clock.advance(20 * MINUTE - 1)
    refused_for_licences(api_get(client, latecomer))
    sb.clock.advance(1)
    assert api_get(client, latecomer).status_code == 200
    assert [s.ended_because for s in sb.state.sessions.ended] == [IDLE] * POLICY.license_slots


def test_the_next_user_is_refused_while_every_slot_is_held_and_let_in_when_one_expires(
    sb: Sandbox, client: httpx.Client
) -> None:
    first = portal_tokens(sb, client)["access_token"]
    assert api_get(client, first).status_code == 200
    sb.clock.advance(10 * MINUTE)
    others = [portal_tokens(sb, client)["access_token"] for _ in range(POLICY.license_slots - 1)]
    for token in others:
        assert api_get(client, token).status_code == 200
    newcomer = portal_tokens(sb, client)["access_token"]
    refused_for_licences(api_get(client, newcomer))
    # The users already in go on working: their sessions exist.
    assert api_get(client, others[0]).status_code == 200
    sb.clock.advance(10 * MINUTE)  # the first user has been idle 20 minutes, the others 10
    assert api_get(client, newcomer).status_code == 200
    assert sb.state.sessions.used == POLICY.license_slots
    # The first user's token is still valid: their next call asks for a new session, and none is free.
    refused_for_licences(api_get(client, first))


def test_a_client_credentials_session_ends_after_one_hour_however_busy(sb: Sandbox, client: httpx.Client) -> None:
    token = service_access_token(client)
    assert api_get(client, token).status_code == 200
    (session,) = sb.state.sessions.open_sessions()
    for _ in range(5):  # a call every ten minutes, for fifty minutes
        sb.clock.advance(10 * MINUTE)
        assert api_get(client, token).status_code == 200
    assert session.expires_at == session.opened_at + 60 * MINUTE  # not 50 + 20 minutes
    sb.clock.advance(10 * MINUTE - 1)
    assert sb.state.sessions.open_sessions() == [session]
    sb.clock.advance(1)
    assert sb.state.sessions.used == 0 and session.ended_because == "its one hour as a service"


def test_a_users_busy_session_has_no_hour_limit(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client)
    assert api_get(client, tokens["access_token"]).status_code == 200
    (session,) = sb.state.sessions.open_sessions()
    for _ in range(5):
        sb.clock.advance(10 * MINUTE)
        assert api_get(client, tokens["access_token"]).status_code == 200
    sb.clock.advance(15 * MINUTE)  # 65 minutes after opening, 15 after the last call
    assert sb.state.sessions.open_sessions() == [session]


def test_a_refreshed_access_token_continues_the_same_session(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client)
    assert api_get(client, first["access_token"]).status_code == 200
    (session,) = sb.state.sessions.open_sessions()
    sb.clock.advance(15 * MINUTE)
    data = {"grant_type": "refresh_token", "client_id": PORTAL, "client_secret": PORTAL_SECRET}
    refreshed = client.post("/id/connect/token", data={**data, "refresh_token": first["refresh_token"]}).json()
    assert refreshed["access_token"] != first["access_token"]
    assert api_get(client, refreshed["access_token"]).status_code == 200
    assert sb.state.sessions.open_sessions() == [session] and session.calls == 2  # no second slot


def test_each_new_client_credentials_token_opens_its_own_session(sb: Sandbox, client: httpx.Client) -> None:
    # A token per call: every fresh token's first call opens another session, until none is free.
    for _ in range(POLICY.license_slots):
        assert api_get(client, service_access_token(client)).status_code == 200
    refused_for_licences(api_get(client, service_access_token(client)))
    assert [s.identity for s in sb.state.sessions.open_sessions()] == ["sync-bot"] * POLICY.license_slots


def test_signing_out_at_end_session_frees_the_slot_at_once(sb: Sandbox, client: httpx.Client) -> None:
    signed_in = [portal_tokens(sb, client) for _ in range(POLICY.license_slots)]
    for tokens in signed_in:
        assert api_get(client, tokens["access_token"]).status_code == 200
    latecomer = service_access_token(client)
    refused_for_licences(api_get(client, latecomer))
    answer = client.get("/id/connect/endsession", params={"id_token_hint": signed_in[0]["id_token"]})
    assert answer.status_code == 200
    assert api_get(client, latecomer).status_code == 200
    assert sb.state.sessions.ended[-1].ended_because == SIGNED_OUT


def test_end_session_with_a_hint_it_did_not_sign_frees_nothing(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client)
    assert api_get(client, tokens["access_token"]).status_code == 200
    foreign = portal_tokens(other := Sandbox(), other.http_client())["id_token"]
    for hint in (foreign, "not-a-jwt", tokens["id_token"][:-4] + "AAAA"):
        assert client.get("/id/connect/endsession", params={"id_token_hint": hint}).status_code == 200
        assert sb.state.sessions.used == 1


def test_revoking_the_tokens_does_not_free_the_slot(sb: Sandbox, client: httpx.Client) -> None:
    # auth/sessions/overview.md: "Revoking a token does not immediately free a license".
    tokens = portal_tokens(sb, client)
    assert api_get(client, tokens["access_token"]).status_code == 200
    claims = sb.state.access_tokens
    grant = next(iter(claims.values())).grant_id
    assert grant is not None and sb.state.revoke_grant(grant, "a test") >= 1
    assert api_get(client, tokens["access_token"]).status_code == 401
    assert sb.state.sessions.used == 1


def test_a_refused_token_opens_no_session(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client, scope="openid read")
    create = client.post(
        "/api/domain/odata/Crm_Sales_Customers",
        json={"Name": "X"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert create.status_code == 403 and create.json()["error"] == "insufficient_scope"
    assert api_get(client, "not-a-token").status_code == 401
    assert sb.state.sessions.used == 0


def test_the_metadata_document_is_an_api_call_too(sb: Sandbox, client: httpx.Client) -> None:
    token = service_access_token(client)
    answer = client.get("/api/domain/odata/$metadata", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and sb.state.sessions.used == 1
