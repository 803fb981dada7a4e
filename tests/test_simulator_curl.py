"""The simulator's curl commands: aimed at the standalone sandbox, which curl can reach, and honest about
which values carry over (the demo registry) and which do not (this session's codes and tokens).

The commands are run for real with curl against `python -m flowguide.sandbox` (the `served` fixture):
the ones that say "Runs as shown" answer 200, and a code from this session is refused there."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from flowguide.pages.exchange_view import STANDALONE_ORIGIN, curl_note, session_bound, standalone_curl
from flowguide.sandbox import Sandbox
from flowguide.simulation import Simulation
from flowguide.transcript import Exchange


def _exchanges(flow: str) -> dict[str, Exchange]:
    sim = Simulation(Sandbox(), flow)
    while sim.can_next:
        sim.next()
    assert sim.succeeded
    return {r.step: r.exchanges[-1] for r in sim.results if r.exchanges}


@pytest.fixture(scope="module")
def client_credentials() -> dict[str, Exchange]:
    return _exchanges("client_credentials")


@pytest.fixture(scope="module")
def authorization_code() -> dict[str, Exchange]:
    return _exchanges("authorization_code")


def _curl(command: str, origin: str) -> str:
    """Run a shown curl command in a shell, as a reader pastes it, against the standalone sandbox at ``origin``."""
    if shutil.which("curl") is None or shutil.which("sh") is None:
        pytest.skip("curl or sh is not installed")
    assert command.startswith("curl ")
    # The fixture's sandbox listens on a free port rather than 8600.
    pasted = command.replace(STANDALONE_ORIGIN, origin) + " --silent --max-time 10"
    return subprocess.run(["sh", "-c", pasted], capture_output=True, text=True, check=True).stdout


def test_the_command_goes_to_the_standalone_sandbox_not_the_in_process_name(client_credentials) -> None:
    command = standalone_curl(client_credentials["token"], reveal=False)
    assert f"{STANDALONE_ORIGIN}/id/connect/token" in command
    assert "sandbox.flowguide.test" not in command


def test_a_request_to_another_host_keeps_its_address() -> None:
    exchange = Exchange("GET", "https://acme.my.erp.net/id/.well-known/openid-configuration", [], "", 200, [], "", 1.0)
    assert "https://acme.my.erp.net/id/.well-known/openid-configuration" in standalone_curl(exchange, reveal=False)


@pytest.mark.parametrize(
    ("flow", "step", "bound"),
    [
        ("client_credentials", "discovery", []),
        ("client_credentials", "token", []),
        ("client_credentials", "api_call", ["the access token"]),
        ("authorization_code", "authorize", []),
        ("authorization_code", "sign_in", ["the sign-in's request_id"]),
        ("authorization_code", "token", ["the authorization code", "the code_verifier (it belongs to that code)"]),
    ],
)
def test_each_request_names_what_only_this_session_issued(request, flow: str, step: str, bound: list[str]) -> None:
    exchange = request.getfixturevalue(flow)[step]
    assert session_bound(exchange) == bound
    note = curl_note(exchange)
    assert "python -m flowguide.sandbox --port 8600" in note and "client ids" in note
    assert note.startswith("Runs as shown") == (not bound)
    assert ("single-use" in note) == (step == "token" and flow == "authorization_code")


def test_a_browser_request_with_a_cookie_says_the_cookie_does_not_carry_over() -> None:
    headers = [("Cookie", "idsrv.session=abc123"), ("Content-Type", "application/x-www-form-urlencoded")]
    exchange = Exchange(
        "POST", "https://sandbox.flowguide.test/id/connect/consent", headers, "decision=allow", 302, [], "", 1.0
    )
    assert session_bound(exchange) == ["the identity service's session cookie"]
    assert curl_note(exchange).startswith("Does not run as shown")


def test_commands_that_say_they_run_as_shown_do(served, client_credentials) -> None:
    origin = served.base_url
    discovery = _curl(standalone_curl(client_credentials["discovery"], reveal=False), origin)
    assert discovery.startswith("HTTP/1.1 200") and '"issuer"' in discovery
    # The demo client secret is the same in every sandbox: revealed, the token request runs as shown.
    token = _curl(standalone_curl(client_credentials["token"], reveal=True), origin)
    assert token.startswith("HTTP/1.1 200") and '"access_token"' in token


def test_a_code_from_this_session_is_refused_by_the_standalone_sandbox(served, authorization_code) -> None:
    answer = _curl(standalone_curl(authorization_code["token"], reveal=True), served.base_url)
    assert answer.startswith("HTTP/1.1 400") and "invalid_grant" in answer
