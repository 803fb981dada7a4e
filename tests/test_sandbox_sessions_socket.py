"""Sessions and licence slots over a real socket, with `requests`, against the standalone sandbox.

The sandbox of ``python -m flowguide.sandbox`` (``build_server``) serves on a loopback port in a thread,
so the test can move its clock; the command itself is also run with ``--license-slots``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from test_sandbox import PORTAL, PORTAL_CALLBACK, PORTAL_SECRET, parse
from test_sandbox_cli import SYNC_FORM, run_cli, served

from flowguide.sandbox import Sandbox
from flowguide.sandbox.__main__ import build_server
from flowguide.sandbox.registry import default_registry

CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
SLOTS = 2
MINUTE = 60
LICENSE_ERROR = default_registry().sessions.license_error


@pytest.fixture
def standalone(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, str]]:
    """A standalone sandbox with two licence slots on a free loopback port; only its object moves the clock."""
    sandbox, server = build_server("127.0.0.1", 0, license_slots=SLOTS)
    # Its clock is wall seconds plus an offset: a wall second ticking mid-test moved every boundary a second.
    still = int(time.time())
    monkeypatch.setattr(sandbox.clock, "now", lambda: still + sandbox.clock.offset)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sandbox, sandbox.base_url
    finally:
        server.shutdown()
        server.server_close()


def sign_in(base: str) -> dict:
    """David signs in to the web portal (Authorization Code with PKCE) in a browser of his own."""
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    query = {
        "client_id": PORTAL,
        "redirect_uri": PORTAL_CALLBACK,
        "response_type": "code",
        "scope": "openid profile read offline_access",
        "state": secrets.token_urlsafe(8),
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    login = parse(browser.get(f"{base}/id/connect/authorize", params=query, timeout=10).text).forms[0]
    fields = {**login["fields"], "username": "david", "password": "demo"}
    consent = parse(browser.post(base + login["action"], data=fields, timeout=10).text).forms[0]
    back = browser.post(
        base + consent["action"], data={**consent["fields"], "decision": "allow"}, allow_redirects=False
    )
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": PORTAL_CALLBACK,
        "code_verifier": verifier,
    }
    answer = requests.post(f"{base}/id/connect/token", data=form, auth=(PORTAL, PORTAL_SECRET), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def service_token(base: str) -> str:
    return requests.post(f"{base}/id/connect/token", data=SYNC_FORM, timeout=10).json()["access_token"]


def call(base: str, token: str) -> requests.Response:
    return requests.get(f"{base}{CUSTOMERS}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def assert_no_licence(response: requests.Response) -> None:
    assert response.status_code == LICENSE_ERROR.status, response.text
    assert response.json()["error"] == {"code": "MaximumLicenseCountExceeded", "message": LICENSE_ERROR.message}


def test_a_session_through_licence_exhaustion_and_the_20_minute_release(standalone: tuple[Sandbox, str]) -> None:
    sandbox, base = standalone
    sessions = sandbox.state.sessions
    alice, bob, carol = (sign_in(base) for _ in range(3))
    assert sessions.used == 0  # issued, not yet used: no slot taken
    assert call(base, alice["access_token"]).status_code == 200  # first call opens a session
    assert call(base, alice["access_token"]).status_code == 200  # the second reuses it
    assert sessions.used == 1
    assert call(base, bob["access_token"]).status_code == 200
    assert_no_licence(call(base, carol["access_token"]))  # two slots, both held: a valid token is refused

    sandbox.clock.advance(19 * MINUTE)
    assert call(base, alice["access_token"]).status_code == 200  # at 19 minutes: kept alive, slid
    sandbox.clock.advance(1 * MINUTE)  # bob idle 20 minutes: his slot is free; alice idle 1 minute
    assert call(base, carol["access_token"]).status_code == 200
    assert sorted(s.identity for s in sessions.open_sessions()) == ["david", "david"]

    # A refresh keeps alice's session: no third slot is needed for her new access token.
    data = {"grant_type": "refresh_token", "refresh_token": alice["refresh_token"]}
    refreshed = requests.post(f"{base}/id/connect/token", data=data, auth=(PORTAL, PORTAL_SECRET), timeout=10).json()
    assert call(base, refreshed["access_token"]).status_code == 200
    # bob comes back with his still-valid token: a new session is needed, and none is free.
    assert_no_licence(call(base, bob["access_token"]))


def test_a_client_credentials_session_is_capped_at_one_hour(standalone: tuple[Sandbox, str]) -> None:
    sandbox, base = standalone
    service = service_token(base)
    person = sign_in(base)
    assert call(base, service).status_code == 200
    assert call(base, person["access_token"]).status_code == 200
    newcomer = sign_in(base)
    for _ in range(5):  # both busy every ten minutes
        sandbox.clock.advance(10 * MINUTE)
        assert call(base, service).status_code == 200
        assert call(base, person["access_token"]).status_code == 200
        assert_no_licence(call(base, newcomer["access_token"]))
    sandbox.clock.advance(10 * MINUTE - 1)
    assert_no_licence(call(base, sign_in(base)["access_token"]))
    sandbox.clock.advance(1)  # one hour since the service's session opened: it is closed, busy or not
    assert call(base, sign_in(base)["access_token"]).status_code == 200


def test_end_session_over_the_socket_frees_the_slot(standalone: tuple[Sandbox, str]) -> None:
    _sandbox, base = standalone
    first, second = sign_in(base), sign_in(base)
    assert call(base, first["access_token"]).status_code == 200
    assert call(base, second["access_token"]).status_code == 200
    latecomer = service_token(base)
    assert_no_licence(call(base, latecomer))
    signed_out = requests.get(f"{base}/id/connect/endsession", params={"id_token_hint": first["id_token"]}, timeout=10)
    assert signed_out.status_code == 200
    assert call(base, latecomer).status_code == 200


def test_the_command_takes_a_licence_count() -> None:
    with served("--license-slots", "1") as (base, out, _err):
        assert out.until(lambda line: line.startswith("Licence slots: ")).startswith("Licence slots: 1 ")
        first, second = service_token(base), service_token(base)
        assert call(base, first).status_code == 200
        assert_no_licence(call(base, second))


def test_the_command_serves_its_many_slots_by_default() -> None:
    with served() as (base, out, _err):
        slots = default_registry().sessions.standalone_license_slots
        assert out.until(lambda line: line.startswith("Licence slots: ")).startswith(f"Licence slots: {slots} ")
        for _ in range(default_registry().sessions.license_slots + 1):
            assert call(base, service_token(base)).status_code == 200


@pytest.mark.parametrize("value", ["0", "-1", "many", "10001"])
def test_a_licence_count_that_is_not_one_is_refused_in_one_line(value: str) -> None:
    result = run_cli("--license-slots", value)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"python -m flowguide.sandbox: error: argument --license-slots: {value!r} is not a number of "
        "licence slots (1 to 10000)"
    )
