"""The reference-token walk's steps: issue a PAT and a SAT, call the API in each documented header, revoke.

No OAuth flow runs (auth/tokens/reference-access-tokens.md): the Profile site and the Instance Manager issue
the tokens by hand, the API looks them up on every call. The sandbox's pages take the sign-in as HTTP Basic.
What a run holds of its tokens is ``run.reference``: per kind, the value issued and its id.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

from flowguide.client.back_channel import API_ENTITY, api_url, expect_refusal
from flowguide.client.config import demo_user
from flowguide.client.responses import error_of
from flowguide.client.results import StepError
from flowguide.sandbox.reference_tokens import iso

if TYPE_CHECKING:
    from flowguide.client.results import StepResult
    from flowguide.client.run import FlowRun

PROFILE_PATH = "/profile/security/tokens"
MANAGER_PATH = "/instance-manager/security/trusted-apps/{}/tokens"
# The Trusted Application the walk's SAT is for: it has a System User and AccessTokens = AdministratorsOnly.
SAT_APPLICATION = "com.example/nightly-sync"
ADMINISTRATOR = "anna"
LIFETIME = 30 * 24 * 3600
# Seconds between the calls in each header, so the last-used time visibly moves.
BETWEEN_CALLS = 60
# auth/tokens/reference-access-tokens.md, Usage: the three ways to send it.
HEADERS = ("Authorization", "X-Api-Key", "Api-Key")
VALUE = re.compile(r"enrt_[0-9A-F]{64}")


def _instance(run: FlowRun) -> str:
    return run.issuer.rstrip("/").removesuffix("/id")


def _basic(login: str, password: str) -> dict[str, str]:
    """The sandbox's sign-in to its Profile site and Instance Manager (its choice): HTTP Basic (RFC 7617)."""
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode("ascii")}


def header(name: str, value: str) -> dict[str, str]:
    """The one header a reference token travels in."""
    return {name: f"Bearer {value}" if name == "Authorization" else value}


def _issue(run: FlowRun, r: StepResult, kind: str, url: str, actor: str, login: dict[str, str], form: dict) -> None:
    form = {"scope": "read", "expiration_time": iso(int(run.clock()) + LIFETIME)} | form
    _, ex = run.send(r, "POST", url, actor, f"Create {kind}", data=form, headers=login)
    body = ex.response_json()
    if ex.status != 201 or not isinstance(body, dict):
        r.error = error_of(ex) or StepError("refused", ex.reason, ex.status)
        return
    value = str(body.get("token", ""))
    r.check("the value is enrt_ and 64 hex digits", VALUE.fullmatch(value) is not None, "opaque, not a JWT")
    r.check("shown once: the answer is not cached", ex.response_header("cache-control") == "no-store", "no-store")
    r.check(f"the {kind} acts as {body.get('acts_as')}", bool(body.get("acts_as")), str(body.get("kind", "")))
    run.reference[kind] = {"token": value, "id": str(body.get("id", "")), "acts_as": str(body.get("acts_as", ""))}
    r.values |= {"reference_token": value, "kind": kind, "acts_as": body.get("acts_as", "")}


def issue_pat(run: FlowRun, r: StepResult) -> None:
    user = run.user
    form = {"trusted_application": run.app.client_id, "description": "Weekly report script"}
    _issue(run, r, "PAT", _instance(run) + PROFILE_PATH, "person", _basic(user.username, user.password), form)


def issue_sat(run: FlowRun, r: StepResult) -> None:
    admin = demo_user(ADMINISTRATOR)
    url = _instance(run) + MANAGER_PATH.format(SAT_APPLICATION)
    form = {"scope": "read update", "description": "Nightly ETL"}
    _issue(run, r, "SAT", url, "administrator", _basic(admin.username, admin.password), form)


def _calls(run: FlowRun, r: StepResult, kind: str, actor: str) -> None:
    held = run.reference.get(kind, {})
    if not run.wait(r, run.mistake.wait_before_api_call(run, service=kind == "SAT")):
        return
    for i, name in enumerate(run.mistake.reference_headers(HEADERS)):
        if i and not run.wait(r, BETWEEN_CALLS):
            return
        headers: dict[str, str] = {}
        for part in name.split("+"):
            headers |= header(part, held.get("token", ""))
        held["sent_at"] = iso(int(run.clock()))  # ISO text in UTC sorts as time does
        _, ex = run.send(r, "GET", api_url(run), actor, f"GET {API_ENTITY} ({name})", headers=headers)
        if (err := error_of(ex)) is not None:
            r.error = err
            return
        body = ex.response_json()
        rows: Any = body.get("value", []) if isinstance(body, dict) else None
        r.check(f"{name}: the API answered with rows", isinstance(rows, list), f"{len(rows or [])} rows")
        r.values["rows"] = rows
    r.values["acts_as"] = f"{held.get('acts_as', '')} ({kind})"


def pat_api_call(run: FlowRun, r: StepResult) -> None:
    _calls(run, r, "PAT", "script")


def sat_api_call(run: FlowRun, r: StepResult) -> None:
    _calls(run, r, "SAT", "service")


def last_used(run: FlowRun, r: StepResult) -> None:
    user = run.user
    url = _instance(run) + PROFILE_PATH
    _, ex = run.send(r, "GET", url, "person", "List my tokens", headers=_basic(user.username, user.password))
    body = ex.response_json()
    listed = body.get("tokens", []) if isinstance(body, dict) else []
    mine = next((t for t in listed if isinstance(t, dict) and t.get("id") == run.reference["PAT"]["id"]), {})
    r.check("the list never shows the value", run.reference["PAT"]["token"] not in ex.response_body, "id only")
    used, last_call = str(mine.get("last_used") or ""), run.reference["PAT"].get("sent_at", "")
    r.check("last used: the script's latest call", bool(used) and used >= last_call, used or "never")
    r.values["last_used"] = mine.get("last_used")


def revoke(run: FlowRun, r: StepResult) -> None:
    user, admin = run.user, demo_user(ADMINISTRATOR)
    pat_url = f"{_instance(run)}{PROFILE_PATH}/{run.reference['PAT']['id']}"
    sat_url = f"{_instance(run)}{MANAGER_PATH.format(SAT_APPLICATION)}/{run.reference['SAT']['id']}"
    for url, actor, login, kind in (
        (pat_url, "person", _basic(user.username, user.password), "PAT"),
        (sat_url, "administrator", _basic(admin.username, admin.password), "SAT"),
    ):
        _, ex = run.send(r, "DELETE", url, actor, f"Revoke the {kind}", headers=login)
        body = ex.response_json()
        r.check(f"the {kind} is revoked", ex.status == 200 and isinstance(body, dict) and bool(body.get("revoked")))


def refused(run: FlowRun, r: StepResult) -> None:
    for kind, name, actor in (("PAT", "Authorization", "script"), ("SAT", "X-Api-Key", "service")):
        token = run.reference[kind]["token"]
        _, ex = run.send(
            r, "GET", api_url(run), actor, f"GET {API_ENTITY} (revoked {kind})", headers=header(name, token)
        )
        expect_refusal(r, ex, (401, "invalid_token"))
        if r.error is not None and not r.error.expected:
            return
        challenge = ex.response_header("www-authenticate") or ""
        r.check(
            f"the {kind}'s refusal is a Bearer challenge", challenge.startswith("Bearer ") and "revoked" in challenge
        )
