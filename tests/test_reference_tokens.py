"""Reference tokens in the in-process sandbox: the AccessTokens policy, what the API refuses, and why."""

from __future__ import annotations

import httpx
import pytest

from flowguide.sandbox import Sandbox
from flowguide.sandbox.reference_tokens import MAX_LIFETIME, iso

CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
PROFILE = "/profile/security/tokens"
MANAGER = "/instance-manager/security/trusted-apps/{}/tokens"


@pytest.fixture
def http(sb: Sandbox) -> httpx.Client:
    return sb.http_client()


def _later(sb: Sandbox, seconds: int = 7 * 24 * 3600) -> str:
    return iso(sb.clock.now() + seconds)


def pat(http: httpx.Client, sb: Sandbox, login: str = "david", app: str = "com.example/report-script", **form: str):
    fields = {"trusted_application": app, "scope": "read", "expiration_time": _later(sb)} | form
    return http.post(PROFILE, auth=(login, "demo"), data=fields)


def sat(http: httpx.Client, sb: Sandbox, login: str = "anna", app: str = "com.example/nightly-sync", **form: str):
    fields = {"scope": "read", "expiration_time": _later(sb)} | form
    return http.post(MANAGER.format(app), auth=(login, "demo"), data=fields)


def _refusal(answer: httpx.Response) -> str:
    return answer.json()["error_description"]


def test_policy_none_refuses_a_pat_and_a_sat(http: httpx.Client, sb: Sandbox) -> None:
    for app in ("com.example/web-portal", "com.example/spa", "com.example/legacy-report"):
        assert pat(http, sb, app=app).status_code == 403
        assert pat(http, sb, "anna", app=app).status_code == 403
        refused = sat(http, sb, app=app)
        assert refused.status_code == 403 and "AccessTokens = None" in _refusal(refused)
    assert not sb.reference_tokens.records


def test_administrators_only_refuses_a_pat_from_a_non_administrator(http: httpx.Client, sb: Sandbox) -> None:
    refused = pat(http, sb, app="com.example/nightly-sync")
    assert refused.status_code == 403 and "AdministratorsOnly" in _refusal(refused)
    assert pat(http, sb, "anna", app="com.example/nightly-sync").status_code == 201


def test_authenticated_users_lets_any_signed_in_user_issue_a_pat(http: httpx.Client, sb: Sandbox) -> None:
    assert pat(http, sb, "petra").json()["acts_as"] == "petra"


def test_only_administrators_open_the_instance_manager(http: httpx.Client, sb: Sandbox) -> None:
    refused = sat(http, sb, "david")
    assert refused.status_code == 403 and "administrators" in _refusal(refused)
    assert http.get(MANAGER.format("com.example/nightly-sync"), auth=("david", "demo")).status_code == 403


def test_a_sat_needs_a_system_user(http: httpx.Client, sb: Sandbox) -> None:
    refused = sat(http, sb, app="com.example/report-script")
    assert refused.status_code == 403 and "System User" in _refusal(refused)


def test_the_token_pages_need_a_sign_in(http: httpx.Client, sb: Sandbox) -> None:
    for answer in (http.get(PROFILE), http.post(PROFILE, auth=("david", "wrong"))):
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == 'Basic realm="Profile site"'


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"scope": ""}, "one or more scopes"),
        ({"scope": "openid"}, "may carry read"),
        ({"scope": "update"}, "may carry read"),
        ({"expiration_time": "soon"}, "UTC date-time"),
        ({"expiration_time": "2001-01-01T00:00:00Z"}, "in the future"),
        ({"trusted_application": "com.example/nothing"}, "no Trusted Application"),
        ({"description": "x" * 201}, "over 200"),
    ],
)
def test_a_bad_issuing_form_is_refused_in_one_sentence(http: httpx.Client, sb: Sandbox, form, words) -> None:
    refused = pat(http, sb, **form)
    assert refused.status_code in (400, 404) and words in _refusal(refused)
    assert not sb.reference_tokens.records


def test_an_expiration_over_a_year_away_is_refused(http: httpx.Client, sb: Sandbox) -> None:
    assert pat(http, sb, expiration_time=_later(sb, MAX_LIFETIME + 60)).status_code == 400
    assert pat(http, sb, expiration_time=_later(sb, MAX_LIFETIME - 60)).status_code == 201


def test_an_expired_token_is_refused(http: httpx.Client, sb: Sandbox) -> None:
    value = pat(http, sb, expiration_time=_later(sb, 3600)).json()["token"]
    assert http.get(CUSTOMERS, headers={"X-Api-Key": value}).status_code == 200
    sb.clock.advance(3601)
    refused = http.get(CUSTOMERS, headers={"X-Api-Key": value})
    assert refused.status_code == 401 and "expired" in refused.json()["error_description"]


def test_a_revoked_token_is_refused_at_once(http: httpx.Client, sb: Sandbox) -> None:
    issued = pat(http, sb).json()
    assert http.get(CUSTOMERS, headers={"Api-Key": issued["token"]}).status_code == 200
    # The Instance Manager may revoke a user's PAT too (auth/tokens/reference-access-tokens.md).
    http.delete(f"{MANAGER.format('com.example/report-script')}/{issued['id']}", auth=("anna", "demo"))
    refused = http.get(CUSTOMERS, headers={"Authorization": f"Bearer {issued['token']}"})
    assert refused.status_code == 401 and "revoked" in refused.headers["WWW-Authenticate"]


def test_a_user_revokes_only_their_own_pats(http: httpx.Client, sb: Sandbox) -> None:
    issued = pat(http, sb).json()
    assert http.delete(f"{PROFILE}/{issued['id']}", auth=("petra", "demo")).status_code == 404
    assert http.get(CUSTOMERS, headers={"X-Api-Key": issued["token"]}).status_code == 200


@pytest.mark.parametrize(
    "value",
    ["enrt_", "enrt_1234", "enrt_" + "g" * 64, "enrt_" + "a" * 64, "enrt_" + "A" * 65, "enrt_" + "A" * 63 + " x"],
)
def test_a_malformed_reference_token_is_refused_in_one_sentence(http: httpx.Client, value: str) -> None:
    refused = http.get(CUSTOMERS, headers={"X-Api-Key": value})
    assert refused.status_code == 401
    assert refused.json()["error_description"] == "This is not a reference token: enrt_ and 64 hex digits."


def test_an_unknown_well_formed_token_is_refused(http: httpx.Client) -> None:
    refused = http.get(CUSTOMERS, headers={"Authorization": "Bearer enrt_" + "A" * 64})
    assert refused.status_code == 401 and "never issued here" in refused.json()["error_description"]


def test_one_method_per_request(http: httpx.Client, sb: Sandbox) -> None:
    value = pat(http, sb).json()["token"]
    both = http.get(CUSTOMERS, headers={"Authorization": f"Bearer {value}", "X-Api-Key": value})
    assert both.status_code == 400 and "only one method" in both.json()["error_description"]
    two_keys = http.get(CUSTOMERS, headers={"X-Api-Key": value, "Api-Key": value})
    assert two_keys.status_code == 400


def test_an_api_key_header_takes_only_a_reference_token(http: httpx.Client) -> None:
    refused = http.get(CUSTOMERS, headers={"X-Api-Key": "eyJhbGciOiJSUzI1NiJ9.e30.x"})
    assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["error_description"]


def test_scopes_bind_a_reference_token(http: httpx.Client, sb: Sandbox) -> None:
    value = sat(http, sb, scope="read").json()["token"]
    refused = http.post(CUSTOMERS, headers={"X-Api-Key": value}, json={"Name": "Kept out"})
    assert refused.status_code == 403 and 'scope="update"' in refused.headers["WWW-Authenticate"]
    value = sat(http, sb, scope="read update").json()["token"]
    assert http.post(CUSTOMERS, headers={"X-Api-Key": value}, json={"Name": "Let in"}).status_code == 201


def test_a_pat_sees_its_users_rows_and_a_sat_its_system_users(http: httpx.Client, sb: Sandbox) -> None:
    mine = http.get(CUSTOMERS, headers={"X-Api-Key": pat(http, sb, "petra").json()["token"]}).json()["value"]
    assert {r["Number"] for r in mine} == {"P-2001"}
    service = http.get(CUSTOMERS, headers={"X-Api-Key": sat(http, sb).json()["token"]}).json()["value"]
    assert {r["Number"] for r in service} == {"S-3001", "S-3002"}


def test_a_disabled_application_stops_its_tokens(http: httpx.Client, sb: Sandbox) -> None:
    value = pat(http, sb).json()["token"]
    apps = tuple(
        a.model_copy(update={"IsEnabled": False}) if a.client_id == "com.example/report-script" else a
        for a in sb.registry.trusted_applications
    )
    sb.registry = sb.registry.model_copy(update={"trusted_applications": apps})
    refused = http.get(CUSTOMERS, headers={"X-Api-Key": value})
    assert refused.status_code == 401 and "disabled" in refused.json()["error_description"]


def test_the_issued_value_is_not_logged_or_shown_again(http: httpx.Client, sb: Sandbox) -> None:
    issued = pat(http, sb).json()
    pages = [
        http.get(PROFILE, auth=("david", "demo")),
        http.get(MANAGER.format("com.example/report-script"), auth=("anna", "demo")),
    ]
    assert all(issued["token"] not in p.text for p in pages)
    assert all(issued["id"] in p.text for p in pages)


@pytest.mark.parametrize("header", ["X-Api-Key", "Api-Key", "X-API-KEY", "Authorization"])
def test_the_transcript_masks_the_value_wherever_it_goes(http: httpx.Client, sb: Sandbox, header: str) -> None:
    from flowguide.transcript import send_and_record

    issued = pat(http, sb).json()["token"]
    sent = f"Bearer {issued}" if header == "Authorization" else issued
    _, exchange = send_and_record(http, http.build_request("GET", CUSTOMERS, headers={header: sent}), actor="script")
    assert issued in exchange.secrets()
    for shown in (exchange.render_http(), exchange.to_curl(), exchange.to_curl(multiline=True)):
        assert issued not in shown and issued[:8] + "…(masked)" in shown


def test_browser_scripts_cannot_send_an_api_key_header(http: httpx.Client) -> None:
    preflight = http.options(
        CUSTOMERS,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
    )
    allowed = preflight.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "x-api-key" not in allowed and "api-key" not in allowed.split(", ")
