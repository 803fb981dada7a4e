"""A PAT and a SAT walked from issuing to revocation against the standalone sandbox over a real socket.

Driven by software nobody here wrote: ``requests`` and ``curl``. Each documented header
(auth/tokens/reference-access-tokens.md, Usage) reaches the API's 200; after revocation the same
call meets 401 with a Bearer ``invalid_token`` challenge at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import requests

from flowguide.sandbox import Sandbox

CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
PROFILE = "/profile/security/tokens"
MANAGER = "/instance-manager/security/trusted-apps/com.example/nightly-sync/tokens"
HEADERS = ("Authorization", "X-Api-Key", "Api-Key", "X-API-KEY")


def _header(name: str, value: str) -> dict[str, str]:
    return {name: f"Bearer {value}" if name == "Authorization" else value}


def _issue_pat(served: Sandbox) -> requests.Response:
    form = {"trusted_application": "com.example/report-script", "scope": "read", "expiration_time": _far_future(served)}
    return requests.post(served.base_url + PROFILE, auth=("david", "demo"), data=form, timeout=10)


def _far_future(sandbox: Sandbox) -> str:
    from flowguide.sandbox.reference_tokens import iso

    return iso(sandbox.clock.now() + 30 * 24 * 3600)


def _walk(served: Sandbox, issued: dict, auth: tuple[str, str], revoke_path: str, owner_row: str) -> None:
    base = served.base_url
    value = issued["token"]
    for name in HEADERS:
        answer = requests.get(base + CUSTOMERS, headers=_header(name, value), timeout=10)
        assert answer.status_code == 200, (name, answer.text)
        assert owner_row in {row["Number"] for row in answer.json()["value"]}
    revoked = requests.delete(f"{base}{revoke_path}/{issued['id']}", auth=auth, timeout=10)
    assert revoked.status_code == 200 and revoked.json()["revoked"]
    for name in HEADERS:
        refused = requests.get(base + CUSTOMERS, headers=_header(name, value), timeout=10)
        assert refused.status_code == 401
        challenge = refused.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="DomainAPI", error="invalid_token"') and "revoked" in challenge


def test_a_pat_from_the_profile_site_to_revocation_with_requests(served: Sandbox) -> None:
    form = {"trusted_application": "com.example/report-script", "scope": "read", "expiration_time": _far_future(served)}
    issued = requests.post(served.base_url + PROFILE, auth=("david", "demo"), data=form, timeout=10)
    assert issued.status_code == 201 and issued.headers["Cache-Control"] == "no-store"
    assert issued.json()["kind"] == "PAT" and issued.json()["acts_as"] == "david"
    _walk(served, issued.json(), ("david", "demo"), PROFILE, "C-1001")


def test_a_sat_from_the_instance_manager_to_revocation_with_requests(served: Sandbox) -> None:
    form = {"scope": "read update", "expiration_time": _far_future(served), "description": "ETL"}
    issued = requests.post(served.base_url + MANAGER, auth=("anna", "demo"), data=form, timeout=10)
    assert issued.status_code == 201 and issued.json()["kind"] == "SAT"
    assert issued.json()["acts_as"] == "sync-bot" and issued.json()["created_by"] == "anna"
    _walk(served, issued.json(), ("anna", "demo"), MANAGER, "S-3001")


def _curl(*args: str) -> tuple[int, str, str]:
    run = subprocess.run(["curl", "-sS", "-D", "-", *args], capture_output=True, text=True, timeout=30, check=True)
    head, _, body = run.stdout.partition("\n\n")  # text mode turned CRLF into LF
    return int(head.split()[1]), head, body


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("kind", ["PAT", "SAT"])
def test_curl_issues_calls_with_each_header_and_revokes(served: Sandbox, kind: str) -> None:
    base, expiry = served.base_url, _far_future(served)
    if kind == "PAT":
        user, path, extra = "david:demo", PROFILE, ["--data-urlencode", "trusted_application=com.example/report-script"]
    else:
        user, path, extra = "anna:demo", MANAGER, []
    status, _, body = _curl(
        "-u",
        user,
        *extra,
        "--data-urlencode",
        "scope=read",
        "--data-urlencode",
        f"expiration_time={expiry}",
        base + path,
    )
    assert status == 201
    issued = json.loads(body)
    for header in (
        f"Authorization: Bearer {issued['token']}",
        f"X-Api-Key: {issued['token']}",
        f"Api-Key: {issued['token']}",
    ):
        status, _, body = _curl("-H", header, base + CUSTOMERS + "?$top=10")
        assert status == 200 and json.loads(body)["value"], header
    assert _curl("-u", user, "-X", "DELETE", f"{base}{path}/{issued['id']}")[0] == 200
    status, head, _ = _curl("-H", f"X-Api-Key: {issued['token']}", base + CUSTOMERS)
    assert status == 401 and 'error="invalid_token"' in head


def test_last_used_moves_with_each_accepted_call(served: Sandbox) -> None:
    issued = _issue_pat(served).json()
    listed = requests.get(served.base_url + PROFILE, auth=("david", "demo"), timeout=10).json()["tokens"]
    assert next(t for t in listed if t["id"] == issued["id"])["last_used"] is None
    requests.get(served.base_url + CUSTOMERS, headers={"X-Api-Key": issued["token"]}, timeout=10)
    first = served.reference_tokens.find(issued["token"]).last_used_at
    served.clock.advance(120)
    requests.get(served.base_url + CUSTOMERS, headers={"Api-Key": issued["token"]}, timeout=10)
    second = served.reference_tokens.find(issued["token"]).last_used_at
    assert first is not None and second is not None and second >= first + 120
    listed = requests.get(served.base_url + PROFILE, auth=("david", "demo"), timeout=10).json()["tokens"]
    assert next(t for t in listed if t["id"] == issued["id"])["last_used"] is not None


def test_the_store_keeps_only_the_hash_of_the_value(served: Sandbox) -> None:
    value = _issue_pat(served).json()["token"]
    record = served.reference_tokens.find(value)
    assert record is not None
    kept = repr(vars(record)) + repr(list(served.reference_tokens.records))
    assert value not in kept and value[5:] not in kept and value.lower() not in kept
    listed = requests.get(served.base_url + PROFILE, auth=("david", "demo"), timeout=10)
    assert value not in listed.text


def test_a_token_another_sandbox_issued_is_refused(served: Sandbox) -> None:
    other = Sandbox()
    issued = other.http_client().post(
        PROFILE,
        auth=("david", "demo"),
        data={
            "trusted_application": "com.example/report-script",
            "scope": "read",
            "expiration_time": _far_future(other),
        },
    )
    value = issued.json()["token"]
    assert other.http_client().get(CUSTOMERS, headers={"X-Api-Key": value}).status_code == 200
    refused = requests.get(served.base_url + CUSTOMERS, headers={"X-Api-Key": value}, timeout=10)
    assert refused.status_code == 401 and "never issued here" in refused.json()["error_description"]
