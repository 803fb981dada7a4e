"""Plain http off loopback, over a real socket with `requests`, against ``python -m flowguide.sandbox``.

RFC 6749 §3.1 and §3.2 require TLS at the authorize and token endpoints, and the product requires HTTPS
for every authentication and token endpoint (``auth/security-best-practices.md``). Authlib decides from
the address the request reached, its scheme and ``Host``, so a loopback bind asked for another host
(``Host: 192.0.2.10:8600``, or a name) is plain http off loopback, as a remote client's request would be.
The answer is a short ``invalid_request``, never a 500 and never a stack trace in the log.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from test_sandbox import PORTAL, PORTAL_CALLBACK, parse
from test_sandbox_cli import SYNC_FORM, Lines, served

from flowguide.sandbox.errors import HTTPS_REQUIRED

REMOTE_HOSTS = ["192.0.2.10:8600", "sandbox.example.com", "[2001:db8::1]:8600"]
REFUSED = {"error": "invalid_request", "error_description": HTTPS_REQUIRED}
AUTHORIZE_QUERY = {
    "client_id": PORTAL,
    "redirect_uri": PORTAL_CALLBACK,
    "response_type": "code",
    "scope": "openid",
    "state": "s1",
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[str, Lines]]:
    with served() as (base, _out, err):
        yield base, err


def logged_without_traceback(err: Lines, method: str, path: str, status: int) -> None:
    """The request's log line shows its status, and nothing logged since the last check holds a stack trace."""
    first = len(err.seen)
    line = err.until(lambda line: f" {method} {path} " in line)
    logged = err.seen[first:]
    assert line.endswith(f" {method} {path} {status}"), logged
    assert not any("Traceback" in seen or "Error" in seen for seen in logged), logged


@pytest.mark.parametrize("host", REMOTE_HOSTS)
def test_the_token_endpoint_refuses_plain_http_off_loopback_as_json(sandbox: tuple[str, Lines], host: str) -> None:
    base, err = sandbox
    answer = requests.post(f"{base}/id/connect/token", data=SYNC_FORM, headers={"Host": host}, timeout=10)
    assert (answer.status_code, answer.headers["Content-Type"]) == (400, "application/json")
    assert answer.json() == REFUSED
    assert answer.headers["Cache-Control"] == "no-store" and "access_token" not in answer.text
    logged_without_traceback(err, "POST", "/id/connect/token", 400)


@pytest.mark.parametrize("host", REMOTE_HOSTS)
def test_the_authorize_endpoint_refuses_plain_http_off_loopback_with_a_page(
    sandbox: tuple[str, Lines], host: str
) -> None:
    base, err = sandbox
    answer = requests.get(
        f"{base}/id/connect/authorize",
        params=AUTHORIZE_QUERY,
        headers={"Host": host},
        allow_redirects=False,
        timeout=10,
    )
    # Nothing was validated, so nothing redirects to the redirect URI: the user reads why on the page.
    assert (answer.status_code, "Location" in answer.headers) == (400, False)
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<code>invalid_request</code>" in answer.text and HTTPS_REQUIRED in answer.text
    logged_without_traceback(err, "GET", "/id/connect/authorize", 400)


def test_userinfo_refuses_plain_http_off_loopback_as_json(sandbox: tuple[str, Lines]) -> None:
    base, err = sandbox
    answer = requests.get(f"{base}/id/connect/userinfo", headers={"Host": REMOTE_HOSTS[0]}, timeout=10)
    assert (answer.status_code, answer.json()) == (400, REFUSED)
    logged_without_traceback(err, "GET", "/id/connect/userinfo", 400)


@pytest.mark.parametrize("host", [None, "localhost:8600", "127.0.0.1:8600", "[::1]:8600"])
def test_plain_http_on_loopback_is_still_served(sandbox: tuple[str, Lines], host: str | None) -> None:
    base, err = sandbox
    headers = {"Host": host} if host else {}
    answer = requests.post(f"{base}/id/connect/token", data=SYNC_FORM, headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer", answer.text
    page = requests.get(f"{base}/id/connect/authorize", params=AUTHORIZE_QUERY, headers=headers, timeout=10)
    assert page.status_code == 200 and 'name="password"' in page.text
    logged_without_traceback(err, "GET", "/id/connect/authorize", 200)


def test_consent_under_a_plain_http_issuer_off_loopback_is_refused_with_a_page() -> None:
    # Consent replays the authorize request at the issuer's address, which here is plain http off loopback.
    with served("--issuer", "http://sandbox.example.com/id") as (base, _out, err):
        browser = requests.Session()
        page = browser.get(f"{base}/id/connect/authorize", params=AUTHORIZE_QUERY, timeout=10)
        login = parse(page.text).forms[0]
        fields = {**login["fields"], "username": "david", "password": "demo"}
        consent = parse(browser.post(base + login["action"], data=fields, timeout=10).text).forms[0]
        answer = browser.post(
            base + consent["action"], data={**consent["fields"], "decision": "allow"}, allow_redirects=False
        )
        assert (answer.status_code, "Location" in answer.headers) == (400, False)
        assert "<code>invalid_request</code>" in answer.text and HTTPS_REQUIRED in answer.text
        logged_without_traceback(err, "POST", "/id/connect/consent", 400)
