"""Reference tokens and licence slots at their edges, each answer literal (MUTATION.md).

Each test kills mutmut survivors in flowguide/sandbox/reference_tokens.py and sessions.py: a row of
the tokens page with another shape, a valid token forgotten before it expires, a session that ends at
no time or for the wrong reason.
"""

from __future__ import annotations

import re

import httpx
import pytest
from test_reference_tokens import CUSTOMERS, MANAGER, PROFILE, pat

from flowguide.sandbox import Sandbox
from flowguide.sandbox.reference_tokens import iso
from flowguide.sandbox.sessions import SessionTable

SYNC_APP = "com.example/nightly-sync"
NEVER_ISSUED = (
    "This instance holds no reference token with this value: it was never issued here "
    "(a reference token works only on the instance that issued it), or it is long expired."
)


@pytest.fixture
def sb() -> Sandbox:
    sandbox = Sandbox()
    # Stopped at a whole second, so the boundaries below fall where the test puts them, however slow the machine.
    clock, stopped_at = sandbox.clock, sandbox.clock.now()
    clock.now = lambda: stopped_at + clock.offset  # type: ignore[method-assign]
    return sandbox


@pytest.fixture
def http(sb: Sandbox) -> httpx.Client:
    return sb.http_client()


def _call(http: httpx.Client, value: str) -> httpx.Response:
    return http.get(CUSTOMERS, headers={"X-Api-Key": value})


def test_the_tokens_page_row_names_every_field_and_never_the_value(http: httpx.Client, sb: Sandbox) -> None:
    issued_at = sb.clock.now()
    fields = {"scope": "read update", "description": " nightly export ", "expiration_time": iso(issued_at + 7200)}
    issued = pat(http, sb, "anna", app=SYNC_APP, **fields).json()
    value = issued.pop("token")
    row = {k: v for k, v in issued.items() if k not in ("id", "note")}
    assert row == {
        "kind": "PAT",
        "trusted_application": SYNC_APP,
        "acts_as": "anna",
        "created_by": "anna",
        "description": "nightly export",
        "scope": "read update",
        "created": iso(issued_at),
        "expiration_time": iso(issued_at + 7200),
        "last_used": None,
        "revoked": None,
    }
    sb.clock.advance(60)
    assert _call(http, value).status_code == 200
    sb.clock.advance(60)
    revoked = http.delete(f"{PROFILE}/{issued['id']}", auth=("anna", "demo")).json()
    assert (revoked["last_used"], revoked["revoked"]) == (iso(issued_at + 60), iso(issued_at + 120))
    (listed,) = http.get(MANAGER.format(SYNC_APP), auth=("anna", "demo")).json()["tokens"]
    assert listed == revoked and value not in str(listed)


def test_revoking_a_token_not_on_the_page_is_a_404_in_one_sentence(http: httpx.Client, sb: Sandbox) -> None:
    issued = pat(http, sb).json()
    refused = http.delete(f"{PROFILE}/{issued['id']}", auth=("petra", "demo"))
    assert refused.status_code == 404
    assert refused.json() == {"error": "not_found", "error_description": "There is no token with this id on this page."}


def test_an_unreadable_expiration_is_invalid_request(http: httpx.Client, sb: Sandbox) -> None:
    refused = pat(http, sb, expiration_time="soon")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_request",
        "error_description": "expiration_time must be a UTC date-time such as 2027-01-31T00:00:00Z.",
    }


def test_a_record_is_kept_until_a_day_after_expiry_then_forgotten(http: httpx.Client, sb: Sandbox) -> None:
    start = sb.clock.now()
    value = pat(http, sb, expiration_time=iso(start + 3600)).json()["token"]
    # Issuing another token sweeps the store (at most once a minute): a valid token must survive the sweep.
    sb.clock.advance(120)
    pat(http, sb)
    assert _call(http, value).status_code == 200
    sb.clock.advance(3600 + 24 * 3600 - 120 - 1)  # one second before the day after expiry is over
    pat(http, sb)
    assert _call(http, value).json()["error_description"] == f"The reference token expired at {iso(start + 3600)}."
    sb.clock.advance(120)
    pat(http, sb)
    assert _call(http, value).json()["error_description"] == NEVER_ISSUED


def _table(sb: Sandbox) -> SessionTable:
    return sb.state.sessions


def test_a_service_session_whose_idle_end_is_its_hour_ends_for_its_hour(sb: Sandbox) -> None:
    table = _table(sb)
    opened = sb.clock.now()
    service = {"jti": "t-1", "client_system_user": "sync-bot", "client_id": SYNC_APP}
    table.use(service)
    for _ in range(3):  # calls 800 s apart keep it open; the last one slides the idle end to exactly the hour
        sb.clock.advance(800)
        table.use(service)
    sb.clock.advance(1199)
    assert len(table.open_sessions()) == 1
    sb.clock.advance(1)
    assert table.open_sessions() == []
    ended = table.ended[-1]
    assert (ended.ended_at, ended.ended_because) == (opened + 3600, "its one hour as a service")


def test_signing_out_ends_the_session_now_and_says_so(sb: Sandbox) -> None:
    table = _table(sb)
    table.use({"sid": "S1", "sub": "david", "client_id": "com.example/web-portal"})
    sb.clock.advance(30)
    ended = table.end_sign_in("S1")
    assert ended is not None and (ended.ended_at, ended.ended_because) == (sb.clock.now(), "the user signed out")
    assert table.end_sign_in("S1") is None


def test_end_all_frees_every_slot_at_once_and_session_of_finds_a_tokens_session(sb: Sandbox) -> None:
    table = _table(sb)
    user = {"sid": "S1", "sub": "david", "client_id": "com.example/web-portal"}
    service = {"jti": "t-1", "client_system_user": "sync-bot", "client_id": SYNC_APP}
    opened = table.use(user)
    table.use(service)
    assert table.session_of(user) is opened and table.session_of({"sub": "david"}) is None
    sb.clock.advance(5)
    table.end_all("a new run started in the simulator")
    assert table.used == 0 and table.session_of(user) is None
    assert [(s.key, s.ended_at, s.ended_because) for s in table.ended] == [
        ("S1", sb.clock.now(), "a new run started in the simulator"),
        ("t-1", sb.clock.now(), "a new run started in the simulator"),
    ]


def _issue(http: httpx.Client, **fields: str) -> httpx.Response:
    return http.post(PROFILE, auth=("anna", "demo"), data={"trusted_application": SYNC_APP, **fields})


@pytest.mark.parametrize(
    ("fields", "status", "error", "description"),
    [
        ({"expiration_time": "+1d"}, 400, "invalid_request", "Choose one or more scopes: read update."),
        (
            {"scope": "read offline_access"},
            400,
            "invalid_request",
            f"A reference token for {SYNC_APP} may carry read update.",
        ),
        (
            {"scope": "read"},
            400,
            "invalid_request",
            "expiration_time must be a UTC date-time such as 2027-01-31T00:00:00Z.",
        ),
        ({"scope": "read", "expiration_time": "+0s"}, 400, "invalid_request", "expiration_time must be in the future."),
        (
            {"scope": "read", "expiration_time": "+31536001s"},
            400,
            "invalid_request",
            "expiration_time is more than a year away (the sandbox's limit).",
        ),
        (
            {"scope": "read", "expiration_time": "+1d", "description": "d" * 201},
            400,
            "invalid_request",
            "The description is over 200 characters.",
        ),
        (
            {"scope": "read", "expiration_time": "+1d", "trusted_application": "com.example/nothing"},
            404,
            "not_found",
            "There is no Trusted Application with this ApplicationUri.",
        ),
    ],
    ids=[
        "no-scope",
        "scope-not-allowed",
        "no-expiration",
        "expires-now",
        "a-year-and-a-second",
        "long-description",
        "no-app",
    ],
)
def test_a_refused_issuing_form_answers_its_code_and_sentence(
    http: httpx.Client, sb: Sandbox, fields: dict, status: int, error: str, description: str
) -> None:
    expiration = fields.get("expiration_time", "")
    if expiration.startswith("+"):  # relative to the stopped clock: +1d, +0s, +31536001s
        seconds = int(expiration[1:-1]) * (86400 if expiration.endswith("d") else 1)
        fields = {**fields, "expiration_time": iso(sb.clock.now() + seconds)}
    refused = _issue(http, **fields)
    assert refused.status_code == status
    assert refused.json() == {"error": error, "error_description": description}
    assert not sb.reference_tokens.records


def test_the_edges_that_are_still_allowed(http: httpx.Client, sb: Sandbox) -> None:
    now = sb.clock.now()
    a_year = _issue(http, scope="read", expiration_time=iso(now + 365 * 24 * 3600), description="d" * 200)
    assert a_year.status_code == 201 and a_year.json()["description"] == "d" * 200
    assert _issue(http, scope="read", expiration_time=iso(now + 1)).json()["description"] == ""


def test_a_date_without_a_zone_is_utc_wherever_the_sandbox_runs(
    http: httpx.Client, sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        day = iso(sb.clock.now() + 3 * 86400)[:10]
        issued = _issue(http, scope="read", expiration_time=day).json()
        timed = _issue(http, scope="read", expiration_time=f"{day}T06:30:00").json()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert issued["expiration_time"] == f"{day}T00:00:00Z"
    assert timed["expiration_time"] == f"{day}T06:30:00Z"


def test_a_token_is_refused_at_its_expiry_second_exactly(http: httpx.Client, sb: Sandbox) -> None:
    expires = sb.clock.now() + 600
    value = _issue(http, scope="read", expiration_time=iso(expires)).json()["token"]
    sb.clock.advance(599)
    assert _call(http, value).status_code == 200
    sb.clock.advance(1)
    refused = _call(http, value)
    assert refused.status_code == 401
    assert refused.json()["error_description"] == f"The reference token expired at {iso(expires)}."


def test_a_value_never_issued_here_is_refused_in_the_full_sentence(http: httpx.Client) -> None:
    refused = _call(http, "enrt_" + "A" * 64)
    assert refused.status_code == 401 and refused.json()["error_description"] == NEVER_ISSUED


def test_a_system_user_switched_off_refuses_a_sat_though_one_is_named(sb: Sandbox) -> None:
    from flowguide.sandbox.reference_tokens import sat_refusal
    from flowguide.sandbox.registry import TrustedApplication

    app = sb.registry.application(SYNC_APP)
    assert app is not None and sat_refusal(app) is None
    # A valid registration: the administrator switched SystemUserAllowed off and left the SystemUser's name in.
    off = TrustedApplication.model_validate({**app.model_dump(), "SystemUserAllowed": False})
    assert off.SystemUser == "sync-bot"
    assert sat_refusal(off) == (
        f"{SYNC_APP} has no System User (SystemUserAllowed = false): a SAT acts as the System User."
    )


def test_policy_refusals_are_forbidden_and_a_sat_is_listed_as_one(http: httpx.Client, sb: Sandbox) -> None:
    refused = http.post(
        PROFILE,
        auth=("david", "demo"),
        data={"trusted_application": SYNC_APP, "scope": "read", "expiration_time": iso(sb.clock.now() + 60)},
    )
    assert (refused.status_code, refused.json()) == (
        403,
        {
            "error": "forbidden",
            "error_description": f"{SYNC_APP} has AccessTokens = AdministratorsOnly: "
            "only an administrator may issue a PAT for it.",
        },
    )
    report = "com.example/report-script"
    fields = {"scope": "read", "expiration_time": iso(sb.clock.now() + 60)}
    no_user = http.post(MANAGER.format(report), auth=("anna", "demo"), data=fields)
    assert (no_user.status_code, no_user.json()["error"]) == (403, "forbidden")
    issued = http.post(MANAGER.format(SYNC_APP), auth=("anna", "demo"), data=fields).json()
    assert (issued["kind"], issued["acts_as"], issued["created_by"]) == ("SAT", "sync-bot", "anna")
    assert re.fullmatch(r"[0-9A-F]{12}", issued["id"]) and re.fullmatch(r"enrt_[0-9A-F]{64}", issued["token"])


def test_a_session_has_an_eight_digit_id_and_the_table_keeps_the_last_50_ended(sb: Sandbox) -> None:
    table = _table(sb)
    for n in range(51):
        session = table.use({"jti": f"t-{n}", "client_system_user": "sync-bot", "client_id": SYNC_APP})
        assert session is not None and re.fullmatch(r"[0-9A-F]{8}", session.id)
        table.end_all("a new run started in the simulator")
    assert len(table.ended) == 50 and table.ended[0].key == "t-1"


def test_a_sandbox_given_its_own_number_of_slots_keeps_it() -> None:
    assert Sandbox(license_slots=7).state.sessions.slots == 7
    assert Sandbox().state.sessions.slots == 3  # content/sandbox.yaml's license_slots
