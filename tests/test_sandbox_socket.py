"""The standalone sandbox over a real loopback socket, driven by an unmodified third-party client.

requests-oauthlib builds the authorize URL (with PKCE S256), parses the callback, exchanges the code
and runs Client Credentials; plain httpx plays the browser in between (sign-in and consent forms).
"""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import jwt
import pytest
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from flowguide.sandbox import Sandbox


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib insists on https; the registered callbacks are the documented http://localhost ones.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _verify(sandbox: Sandbox, token: str) -> dict:
    jwks = httpx.get(f"{sandbox.issuer}/.well-known/openid-configuration/jwks").json()
    key = jwt.PyJWK(jwks["keys"][0])
    return jwt.decode(token, key, algorithms=["RS256"], audience="DomainAPI", issuer=sandbox.issuer)


def test_discovery_over_the_socket_names_the_bound_issuer(served: Sandbox) -> None:
    meta = httpx.get(f"{served.issuer}/.well-known/openid-configuration").json()
    assert meta["issuer"] == served.issuer and served.issuer.startswith("http://127.0.0.1:")


def test_requests_oauthlib_client_credentials(served: Sandbox) -> None:
    session = OAuth2Session(client=BackendApplicationClient(client_id="com.example/nightly-sync"))
    token = session.fetch_token(
        f"{served.issuer}/connect/token", client_id="com.example/nightly-sync", client_secret="nightly-sync-secret"
    )
    assert _verify(served, token["access_token"])["client_system_user"] == "sync-bot"
    rows = session.get(f"{served.base_url}/api/domain/odata/Crm_Sales_Customers", params={"$top": 1})
    assert rows.status_code == 200 and len(rows.json()["value"]) == 1


def test_requests_oauthlib_authorization_code_with_pkce(served: Sandbox) -> None:
    callback = "http://localhost:8501/callback"
    session = OAuth2Session(
        "com.example/web-portal", redirect_uri=callback, scope=["openid", "read", "offline_access"], pkce="S256"
    )
    url, state = session.authorization_url(f"{served.issuer}/connect/authorize", nonce="n-42")
    assert "code_challenge_method=S256" in url

    with httpx.Client(base_url=served.base_url) as browser:
        page = browser.get(url)
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
        browser.post("/id/account/login", data={"request_id": request_id, "username": "david", "password": "demo"})
        redirect = browser.post("/id/connect/consent", data={"request_id": request_id, "decision": "allow"})
    assert redirect.status_code == 302

    token = session.fetch_token(
        f"{served.issuer}/connect/token",
        authorization_response=redirect.headers["location"],
        client_secret="web-portal-secret",
    )
    assert token["refresh_token"] and _verify(served, token["access_token"])["sub"] == "david"
    assert jwt.decode(token["id_token"], options={"verify_signature": False})["nonce"] == "n-42"
    rows = session.get(f"{served.base_url}/api/domain/odata/Crm_Sales_Customers")
    assert [r["Number"] for r in rows.json()["value"]] == ["C-1001", "C-1002", "C-1003"]


def test_token_endpoint_over_the_socket_refuses_a_repeated_parameter_and_two_authentications(served: Sandbox) -> None:
    token_url = f"{served.issuer}/connect/token"
    form = "grant_type=client_credentials&client_id=com.example%2Fnightly-sync&client_secret=nightly-sync-secret"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert httpx.post(token_url, content=form, headers=headers).status_code == 200
    twice = httpx.post(token_url, content=form + "&grant_type=client_credentials", headers=headers)
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"
    both = httpx.post(
        token_url, content=form, headers=headers, auth=("com.example/nightly-sync", "nightly-sync-secret")
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


def test_command_line_prints_the_discovery_url_and_logs_no_query_strings() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowguide.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        discovery = re.search(r"http://127\.0\.0\.1:\d+/id/\.well-known/openid-configuration", "".join(lines))
        assert discovery
        base = discovery.group(0).split("/id/")[0]
        page = httpx.get(
            f"{base}/id/connect/authorize",
            params={
                "client_id": "com.example/web-portal",
                "redirect_uri": "http://localhost:8501/callback",
                "response_type": "code",
                "state": "state-not-for-logs",
                "code_challenge": "c" * 43,
                "code_challenge_method": "S256",
            },
        )
        assert page.status_code == 200
    finally:
        proc.terminate()
        _, log = proc.communicate(timeout=10)
    assert "GET /id/connect/authorize 200" in log
    assert "state-not-for-logs" not in log and "code_challenge" not in log
    for secret in ("web-portal-secret", "nightly-sync-secret", "legacy-report-secret"):
        assert secret not in "".join(lines)
