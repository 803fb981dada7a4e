"""The curl commands /connect shows run as shown: each one, pasted into a shell, gets the status the
client got, from the standalone sandbox (``python -m flowguide.sandbox``, one process per session).

A code is single-use, so its command, run again after the client redeemed it, is refused, as the note
under it says.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from fixtures.demo import NIGHTLY_SYNC, StandaloneSandbox

from flowguide.client import ClientConfig
from flowguide.connect import connect_http, fetch_provider, make_run
from flowguide.connect_results import curl_note
from flowguide.transcript import Exchange

pytest_plugins = ["fixtures.real_sandbox"]

SERVICE = ClientConfig(NIGHTLY_SYNC.client_id, "Confidential", NIGHTLY_SYNC.client_secret, None, "read")


@pytest.fixture(scope="module")
def shell_curl() -> str:
    found = shutil.which("curl")
    if found is None:
        pytest.skip("curl is not installed (apt-get install curl): the rendered commands cannot be run")
    return found


def _run_in_shell(command: str) -> tuple[int, str]:
    """The command as a reader pastes it into sh; the status of the answer, and its body."""
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30, check=True)
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), body


def _same_when_run(exchange: Exchange) -> tuple[int, str]:
    single = _run_in_shell(exchange.to_curl(reveal=True))
    multiline = _run_in_shell(exchange.to_curl(reveal=True, multiline=True))
    assert single[0] == multiline[0] == exchange.status, exchange.to_curl(reveal=True)
    return single


def test_a_token_request_and_an_api_call_run_as_shown(shell_curl: str, standalone_sandbox: StandaloneSandbox) -> None:
    provider = fetch_provider(standalone_sandbox.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "client_credentials", SERVICE, http)
        run.discover()
        token = run.client_credentials_token()
        metadata = run.call_api(f"{standalone_sandbox.base_url}/api/domain/odata/$metadata")
        customers = run.call_api(f"{standalone_sandbox.customers_url}?$top=1")
    assert token.error is None and token.exchanges[0].status == 200
    _, body = _same_when_run(token.exchanges[0])
    assert json.loads(body)["token_type"] == "Bearer"
    _, body = _same_when_run(metadata.exchanges[0])
    assert '<EntitySet Name="Crm_Sales_Customers"' in body
    _, body = _same_when_run(customers.exchanges[0])
    assert len(json.loads(body)["value"]) == 1


def test_a_refused_request_is_refused_the_same_way(shell_curl: str, standalone_sandbox: StandaloneSandbox) -> None:
    provider = fetch_provider(standalone_sandbox.base_url, allow_private=True)
    wrong = ClientConfig(SERVICE.client_id, "Confidential", "not-the-secret", None, "read", "client_secret_basic")
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "client_credentials", wrong, http)
        run.discover()
        refused = run.client_credentials_token()
    assert refused.error is not None and refused.error.code == "invalid_client"
    status, body = _same_when_run(refused.exchanges[0])
    assert status == 401 and json.loads(body)["error"] == "invalid_client"


def test_a_redeemed_codes_command_is_refused_as_its_note_says(
    shell_curl: str, standalone_sandbox: StandaloneSandbox
) -> None:
    from test_connect_flows import Setup, sign_in_in_browser

    from flowguide.client import WEB_PORTAL

    setup = Setup("sandbox", standalone_sandbox.base_url, SERVICE, WEB_PORTAL, WEB_PORTAL, "david", "demo")
    provider = fetch_provider(standalone_sandbox.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "authorization_code", WEB_PORTAL, http)
        run.discover()
        url = run.authorization_request().values["authorization_url"]
        run.accept_callback(sign_in_in_browser(url, setup, WEB_PORTAL.redirect_uri or ""))
        redeemed = run.redeem_code()
    exchange = redeemed.exchanges[0]
    assert exchange.status == 200
    status, body = _run_in_shell(exchange.to_curl(reveal=True))
    assert status == 400 and json.loads(body)["error"] == "invalid_grant"
    assert "single-use" in curl_note(exchange)
