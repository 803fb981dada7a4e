"""/connect's flows, run by the simulator's client through the guard, against two real providers on loopback.

``oidc-provider`` (panva/node-oidc-provider from npm, tests/oidc/) is an OpenID provider no one in this
project wrote; the standalone sandbox is ours. For each, the test completes the sign-in through the
provider's own HTML pages with plain form posts, as the visitor would in their own browser tab, and
hands the URL it lands on back to the client, as the visitor pastes it.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from flowguide import tokens
from flowguide.client import NIGHTLY_SYNC, SPA, WEB_PORTAL, ClientConfig, parse_page
from flowguide.connect import connect_http, explain_error, fetch_provider, make_run
from flowguide.sandbox.__main__ import build_server

OIDC_DIR = Path(__file__).resolve().parent / "oidc"


@dataclass(frozen=True)
class Setup:
    """A running provider and the applications registered with it (the values its own config holds)."""

    name: str
    base_url: str
    service: ClientConfig
    web: ClientConfig
    spa: ClientConfig
    username: str
    password: str


def _node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are needed to run oidc-provider in CI")
        pytest.skip("node/npm not installed: the tests against oidc-provider are skipped")
    return node, npm


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[Setup]:
    """oidc-provider on a free loopback port, installed from tests/oidc/package-lock.json when missing."""
    node, npm = _node_tools()
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            [npm, "ci", "--prefix", str(OIDC_DIR), "--no-audit", "--no-fund"],
            check=True,
            timeout=300,
            capture_output=True,
        )
    proc = subprocess.Popen(
        [node, "server.mjs", "0"], cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        issuer = _wait_for_listening(proc)
        yield Setup(
            "oidc-provider",
            issuer,
            service=ClientConfig("cc-service", "Confidential", "cc-service-secret", scope="read"),
            web=ClientConfig(
                "web-app", "Confidential", "web-app-secret", "https://app.example.test/callback", "openid profile read"
            ),
            spa=ClientConfig("spa", "Public", None, "https://spa.example.test/callback", "openid read"),
            username="ada",
            password="any password (the dev login accepts every one)",
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_listening(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = proc.stdout.readline()
            if line.startswith("listening "):
                return line.split()[1]
            if not line:
                break
    pytest.fail(f"oidc-provider did not start (exit code {proc.poll()})")


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[Setup]:
    sandbox, server = build_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Setup("sandbox", sandbox.base_url, NIGHTLY_SYNC, WEB_PORTAL, SPA, "david", "demo")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["oidc-provider", "sandbox"])
def setup(request: pytest.FixtureRequest) -> Setup:
    return request.getfixturevalue("oidc_provider" if request.param == "oidc-provider" else "sandbox_server")


def sign_in_in_browser(authorization_url: str, setup: Setup, redirect_uri: str, *, cancel: bool = False) -> str:
    """What the visitor does in their own tab: open the URL, sign in, consent; the URL they land on."""
    with httpx.Client(timeout=10) as browser:
        response = browser.get(authorization_url)
        for _ in range(12):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(redirect_uri):
                    return target
                response = browser.get(target)
                continue
            assert response.status_code == 200, response.text[:500]
            page = parse_page(response.text)
            form = page.form_with_input("password") or next(iter(page.forms), None)
            assert form is not None, f"no form on {response.url}"
            fields = dict(form.fields)
            if "password" in form.input_types.values():
                login = next(n for n, t in form.input_types.items() if t != "password" and t != "hidden")
                password = next(n for n, t in form.input_types.items() if t == "password")
                fields |= {login: setup.username, password: setup.password}
            else:
                # A consent page: allow, or cancel (oidc-provider's abort link, the sandbox's deny button).
                names = dict(form.buttons)
                if "decision" in names:
                    fields["decision"] = "deny" if cancel else "allow"
                elif cancel:
                    # The page's "[ Cancel ]" link: /interaction/{uid}/abort beside the page's own URL.
                    response = browser.get(str(response.url).split("?")[0].rstrip("/") + "/abort")
                    continue
            response = browser.post(urljoin(str(response.url), form.action), data=fields)
    raise AssertionError("the sign-in never came back to the redirect URI")


def test_client_credentials(setup: Setup) -> None:
    provider = fetch_provider(setup.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "client_credentials", setup.service, http)
        assert run.discover().ok
        token = run.client_credentials_token()
        assert token.error is None, token.error
        assert token.values["token_type"].lower() == "bearer"
        validated = run.validate()
        assert validated.ok, [c for c in validated.checks if not c.passed]
    # The page's own verification against the JWKS fetched when connecting agrees.
    verification = tokens.verify(run.tokens.access_token, provider.jwks, provider.issuer, "DomainAPI")
    assert verification.valid, verification.failures
    assert all(e.url.startswith(setup.base_url) for e in run.exchanges)


def test_client_credentials_wrong_secret_is_explained(setup: Setup) -> None:
    provider = fetch_provider(setup.base_url, allow_private=True)
    wrong = ClientConfig(setup.service.client_id, "Confidential", "not-the-secret", scope=setup.service.scope)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "client_credentials", wrong, http)
        run.discover()
        result = run.client_credentials_token()
    assert result.error is not None and result.error.code == "invalid_client"
    assert result.error.status in (400, 401)
    explained = explain_error(result.error.code, "client_credentials", result.error.status)
    assert explained is not None and "secret" in explained.cause


@pytest.mark.parametrize("kind", ["web", "spa"])
def test_authorization_code_with_pkce_and_refresh(setup: Setup, kind: str) -> None:
    app = setup.web if kind == "web" else setup.spa
    provider = fetch_provider(setup.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "authorization_code", app, http)
        assert run.discover().ok
        start = run.authorization_request()
        url = start.values["authorization_url"]
        query = dict(parse_qsl(urlsplit(url).query))
        assert query["code_challenge_method"] == "S256"
        assert query["state"] == start.values["state"] and query["redirect_uri"] == app.redirect_uri
        assert "code_verifier" not in query
        assert start.exchanges == []  # the visitor's browser opens it, not the server

        landed = sign_in_in_browser(url, setup, app.redirect_uri or "")
        callback = run.accept_callback(landed)
        assert callback.ok, callback.checks
        token = run.redeem_code()
        assert token.error is None, token.error
        asked_openid = "openid" in app.scope.split()
        assert bool(token.values.get("id_token")) == asked_openid
        validated = run.validate()
        assert validated.ok, [c for c in validated.checks if not c.passed]
        nonce_checked = any(c.name == "ID token: nonce" and c.passed for c in validated.checks)
        assert nonce_checked == asked_openid

        # Both providers give the confidential web app a refresh token; the sandbox's SPA gets none.
        if kind == "web":
            assert token.values.get("refresh_token")
        if token.values.get("refresh_token"):
            first_access = run.tokens.access_token
            refreshed = run.refresh()
            assert refreshed.error is None, refreshed.error
            assert run.tokens.access_token and run.tokens.access_token != first_access
        # The client never sent the secret of a public client.
        forms = [e.form or {} for e in run.exchanges]
        assert any("client_secret" in f for f in forms) == (kind == "web")


def test_tampered_state_stops_before_the_code_is_used(setup: Setup) -> None:
    provider = fetch_provider(setup.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "authorization_code", setup.web, http)
        run.discover()
        url = run.authorization_request().values["authorization_url"]
        landed = sign_in_in_browser(url, setup, setup.web.redirect_uri or "")
        forged = landed.replace(run.auth.state, "someone-elses-state")
        callback = run.accept_callback(forged)
    assert callback.error is not None and callback.error.code == "state_mismatch"
    assert not callback.exchanges


def test_cancelled_sign_in_comes_back_as_the_providers_error(setup: Setup) -> None:
    provider = fetch_provider(setup.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "authorization_code", setup.web, http)
        run.discover()
        url = run.authorization_request().values["authorization_url"]
        landed = sign_in_in_browser(url, setup, setup.web.redirect_uri or "", cancel=True)
        callback = run.accept_callback(landed)
    assert callback.error is not None and callback.error.code == "access_denied"


def test_a_code_redeemed_twice_is_refused_and_explained(setup: Setup) -> None:
    provider = fetch_provider(setup.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "authorization_code", setup.web, http)
        run.discover()
        url = run.authorization_request().values["authorization_url"]
        run.accept_callback(sign_in_in_browser(url, setup, setup.web.redirect_uri or ""))
        assert run.redeem_code().error is None
        again = run.redeem_code()
    assert again.error is not None and again.error.code == "invalid_grant"
    explained = explain_error("invalid_grant", "authorization_code")
    assert explained is not None and "only once" in explained.fix


def test_a_dropped_offline_access_is_said(oidc_provider: Setup) -> None:
    """oidc-provider lists only the API's scopes in the token response: offline_access is not among them."""
    from dataclasses import replace

    from flowguide.connect_results import dropped

    app = replace(oidc_provider.web, scope="openid offline_access read")
    provider = fetch_provider(oidc_provider.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        run = make_run(provider, "authorization_code", app, http)
        run.discover()
        url = run.authorization_request().values["authorization_url"]
        run.accept_callback(sign_in_in_browser(url, oidc_provider, app.redirect_uri or ""))
        token = run.redeem_code()
    assert token.error is None, token.error
    assert (run.tokens.scope, bool(run.tokens.refresh_token)) == ("read", True)
    said = dropped(app.scope, run.tokens.scope, run.tokens.refresh_token)
    assert said == [
        "You asked for offline_access and a refresh token came back, but the scope granted (read) leaves "
        "offline_access out: some providers list only the API's scopes there. Try the refresh before counting on it."
    ]
