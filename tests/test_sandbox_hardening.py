"""Hostile requests and a long-running sandbox: bodies are capped, hostile JSON is a 400, and memory is bounded."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from werkzeug.test import EnvironBuilder, run_wsgi_app

from flowguide.sandbox import Sandbox, state
from flowguide.sandbox.models import AccessTokenRecord
from flowguide.sandbox.stores import SWEEP_INTERVAL, ExpiringStore

CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
TOKEN = "/id/connect/token"
SYNC_FORM = {
    "grant_type": "client_credentials",
    "client_id": "com.example/nightly-sync",
    "client_secret": "nightly-sync-secret",
}
SPA = "com.example/spa"
SPA_CALLBACK = "http://localhost:5173/callback"
TOO_LARGE = "The request body is over the sandbox's limit of 65536 bytes (64 KiB)."
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def service_token(client: httpx.Client) -> str:
    response = client.post(TOKEN, data=SYNC_FORM)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def post_json(client: httpx.Client, token: str, body: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return client.post(CUSTOMERS, content=body, headers=headers)


def odata_error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


def spa_sign_in(client: httpx.Client) -> str:
    """The SPA's authorize, sign-in and consent as a browser does them; returns the code."""
    params = {
        "client_id": SPA,
        "redirect_uri": SPA_CALLBACK,
        "response_type": "code",
        "scope": "read offline_access",
        "state": "s-1",
        "code_challenge": create_s256_code_challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    page = client.get("/id/connect/authorize", params=params)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    client.post("/id/account/login", data={"request_id": request_id, "username": "david", "password": "demo"})
    redirect = client.post("/id/connect/consent", data={"request_id": request_id, "decision": "allow"})
    return parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]


def spa_exchange(client: httpx.Client, code: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CALLBACK, "client_id": SPA}
    return client.post(TOKEN, data={**data, "code_verifier": VERIFIER})


# --- hostile JSON --------------------------------------------------------------------------------------


def test_json_nested_past_the_parsers_stack_is_a_400_in_the_apis_shape(client: httpx.Client) -> None:
    response = post_json(client, service_token(client), b"[" * 60_000)
    assert odata_error(response) == (
        400,
        "BadRequest",
        "The body is not JSON the API can read (malformed, or nested too deeply).",
    )


def test_malformed_json_is_the_same_400(client: httpx.Client) -> None:
    response = post_json(client, service_token(client), b'{"Name": "Unclosed')
    assert odata_error(response)[:2] == (400, "BadRequest")


def test_a_hundred_thousand_brackets_are_over_the_body_limit(client: httpx.Client) -> None:
    response = post_json(client, service_token(client), b"[" * 100_000)
    assert odata_error(response) == (413, "PayloadTooLarge", TOO_LARGE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Name": "Ok", "Number": [[["deep"]]]}, "Number must be text."),
        ({"Name": "Ok", "City": {"a": 1}}, "City must be text."),
        ({"Name": "Ok", "Number": 42}, "Number must be text."),
        ({"Name": "N" * 201}, "Name is over 200 characters."),
        ({"Name": "Ok", "City": "C" * 201}, "City is over 200 characters."),
    ],
)
def test_a_property_that_is_not_short_text_is_a_400(client: httpx.Client, body: dict, message: str) -> None:
    response = post_json(client, service_token(client), json.dumps(body).encode())
    assert odata_error(response) == (400, "BadRequest", message)


def test_text_of_the_longest_allowed_length_is_kept(client: httpx.Client) -> None:
    response = post_json(client, service_token(client), json.dumps({"Name": "N" * 200, "City": "C" * 200}).encode())
    assert response.status_code == 201
    assert (len(response.json()["Name"]), response.json()["City"]) == (200, "C" * 200)


# --- body limit ----------------------------------------------------------------------------------------


def test_a_token_request_over_64_kib_is_a_413(client: httpx.Client) -> None:
    padding = "x=" + "a" * 65_536
    response = client.post(
        TOKEN, content=padding.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.json() == {"error": "invalid_request", "error_description": TOO_LARGE}


def test_a_request_of_exactly_64_kib_is_read(client: httpx.Client) -> None:
    form = "grant_type=client_credentials&client_id=com.example%2Fnightly-sync&client_secret=nightly-sync-secret&x="
    body = (form + "a" * (65_536 - len(form))).encode()
    response = client.post(TOKEN, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert len(body) == 65_536 and response.status_code == 200


def test_a_body_over_64_kib_is_refused_even_where_the_endpoint_would_not_read_it(client: httpx.Client) -> None:
    response = client.request("GET", "/id/.well-known/openid-configuration", content=b"a" * 65_537)
    assert response.status_code == 413
    assert response.json() == {"error": "invalid_request", "error_description": TOO_LARGE}


def test_a_sign_in_form_over_64_kib_is_a_413(client: httpx.Client) -> None:
    response = client.post("/id/account/login", data={"request_id": "r", "username": "u" * 70_000})
    assert response.status_code == 413


def test_a_413_is_readable_by_an_allowed_browser_origin(client: httpx.Client) -> None:
    body = b"x=" + b"a" * 70_000
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://localhost:5173"}
    response = client.post(TOKEN, content=body, headers=headers)
    assert (response.status_code, response.headers["access-control-allow-origin"]) == (413, "http://localhost:5173")


def _chunked(sb: Sandbox, path: str, body: bytes) -> tuple[str, bytes]:
    """A body streamed without Content-Length, as a chunked upload reaches the app through a WSGI server."""
    builder = EnvironBuilder(
        path=path, method="POST", input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded"
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    app_iter, status, _headers = run_wsgi_app(sb.wsgi_app, environ)
    return status, b"".join(app_iter)


def test_a_chunked_body_over_64_kib_is_a_413_not_cut_short(sb: Sandbox) -> None:
    form = b"grant_type=client_credentials&client_id=com.example%2Fnightly-sync&client_secret=nightly-sync-secret&x="
    status, body = _chunked(sb, TOKEN, form + b"a" * (65_537 - len(form)))
    assert status == "413 REQUEST ENTITY TOO LARGE"
    assert json.loads(body) == {"error": "invalid_request", "error_description": TOO_LARGE}
    status, body = _chunked(sb, TOKEN, form + b"a" * (65_536 - len(form)))
    assert status == "200 OK" and "access_token" in json.loads(body)


# --- rows ------------------------------------------------------------------------------------------------


def seeded(sb: Sandbox, owner: str) -> list[str]:
    """The numbers of an owner's rows in content/sandbox.yaml (its content may grow; the cap is on added rows)."""
    return [row.Number for row in sb.registry.customers if row.owner == owner]


def test_the_rows_a_sandbox_keeps_stay_at_the_cap(sb: Sandbox, client: httpx.Client) -> None:
    token = service_token(client)
    for n in range(505):
        assert (
            post_json(client, token, json.dumps({"Name": f"Row {n}", "Number": f"R-{n}"}).encode()).status_code == 201
        )
    rows = client.get(CUSTOMERS, headers={"Authorization": f"Bearer {token}"}).json()["value"]
    assert state.MAX_ADDED_ROWS == 500
    assert len(sb.state.added_rows) == 500
    # The five oldest added rows went; the seeded rows stay.
    assert [row["Number"] for row in rows] == [*seeded(sb, "sync-bot"), *(f"R-{n}" for n in range(5, 505))]


def test_rows_dropped_are_the_oldest_added_whoever_added_them(sb: Sandbox) -> None:
    for n in range(state.MAX_ADDED_ROWS):
        sb.state.add_customer("sync-bot", {"Id": f"s-{n}", "Number": f"S-{n}"})
    sb.state.add_customer("david", {"Id": "d-0", "Number": "D-0"})
    sync_rows = [r["Number"] for r in sb.state.customers["sync-bot"]]
    assert sync_rows == [*seeded(sb, "sync-bot"), *(f"S-{n}" for n in range(1, 500))]
    assert [r["Number"] for r in sb.state.customers["david"]] == [*seeded(sb, "david"), "D-0"]


# --- codes, tokens and sign-ins --------------------------------------------------------------------------


def test_access_tokens_beyond_the_cap_drop_the_oldest(sb: Sandbox) -> None:
    tokens = sb.state.access_tokens
    far = sb.clock.now() + 10**6
    for n in range(state.MAX_ACCESS_TOKENS + 3):
        tokens[f"jti-{n}"] = AccessTokenRecord(f"jti-{n}", "c", None, far)
    assert state.MAX_ACCESS_TOKENS == 10_000
    assert len(tokens) == 10_000
    assert "jti-2" not in tokens and "jti-3" in tokens and "jti-10002" in tokens


def test_pending_sign_ins_beyond_the_cap_drop_the_oldest(sb: Sandbox) -> None:
    first = sb.state.add_pending([("client_id", SPA)], SPA, "read")
    for _ in range(state.MAX_PENDING_SIGN_INS):
        sb.state.add_pending([("client_id", SPA)], SPA, "read")
    assert len(sb.state.pending) == 1_000
    assert sb.state.find_pending(first.request_id) is None


def test_codes_beyond_the_cap_drop_the_oldest(sb: Sandbox, client: httpx.Client) -> None:
    code = spa_sign_in(client)
    record = sb.state.codes[code]
    for n in range(state.MAX_CODES):
        sb.state.codes[f"c-{n}"] = record
    assert len(sb.state.codes) == 1_000 and code not in sb.state.codes
    assert spa_exchange(client, code).json()["error"] == "invalid_grant"


def test_expired_access_tokens_are_swept_and_an_expired_one_is_still_refused_as_expired(
    sb: Sandbox, client: httpx.Client
) -> None:
    old = service_token(client)
    sb.clock.advance(3600 + SWEEP_INTERVAL)
    service_token(client)  # a write sweeps the store
    assert len(sb.state.access_tokens) == 1
    refused = client.get(CUSTOMERS, headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401
    assert refused.json()["error_description"] == "The access token expired 60 s ago (tokens live 1 hour)."


def test_a_used_code_is_remembered_for_an_hour_so_a_late_replay_still_revokes(
    sb: Sandbox, client: httpx.Client
) -> None:
    code = spa_sign_in(client)
    issued = spa_exchange(client, code).json()
    sb.clock.advance(3000)
    spa_sign_in(client)  # a new code: its write sweeps the code store
    replay = spa_exchange(client, code).json()
    # Recognised as a replay, not as an unknown code (the grant owns the exact words).
    assert replay["error"] == "invalid_grant" and "already used" in replay["error_description"]
    refreshed = client.post(
        TOKEN, data={"grant_type": "refresh_token", "client_id": SPA, "refresh_token": issued["refresh_token"]}
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_an_expired_refresh_token_is_refused_as_expired_for_a_day_then_forgotten(
    sb: Sandbox, client: httpx.Client
) -> None:
    refresh_token = spa_exchange(client, spa_sign_in(client)).json()["refresh_token"]
    data = {"grant_type": "refresh_token", "client_id": SPA, "refresh_token": refresh_token}
    sb.clock.advance(24 * 3600 + 3600)
    spa_exchange(client, spa_sign_in(client))  # a new refresh token: its write sweeps the store
    # Refused as expired, not as unknown (the grant owns the exact words).
    refused = client.post(TOKEN, data=data).json()
    assert refused["error"] == "invalid_grant" and "expired" in refused["error_description"]
    sb.clock.advance(24 * 3600)
    spa_exchange(client, spa_sign_in(client))
    assert refresh_token not in sb.state.refresh_tokens


def test_a_sign_in_page_left_open_past_600_seconds_is_refused(sb: Sandbox, client: httpx.Client) -> None:
    pending = sb.state.add_pending([("client_id", SPA)], SPA, "read")
    sb.clock.advance(601)
    response = client.post(
        "/id/account/login", data={"request_id": pending.request_id, "username": "david", "password": "demo"}
    )
    assert response.status_code == 400
    assert "This sign-in page expired or was already used." in response.text
    assert pending.request_id not in sb.state.pending


def test_an_expiring_store_sweeps_once_a_minute_and_keeps_at_most_its_limit(sb: Sandbox) -> None:
    store: ExpiringStore[int] = ExpiringStore(3, lambda until: until, sb.clock, sb.state.lock)
    now = sb.clock.now()
    store["a"], store["b"] = now + 10, now + 1000
    sb.clock.advance(SWEEP_INTERVAL - 1)
    store["c"] = now + 1000
    assert list(store) == ["a", "b", "c"]  # not yet a minute: no sweep
    sb.clock.advance(1)
    store["d"] = now + 1000
    assert list(store) == ["b", "c", "d"]  # "a" expired and swept
    store["e"] = now + 1000
    assert list(store) == ["c", "d", "e"]  # the oldest added goes beyond the limit
