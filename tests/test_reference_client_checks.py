"""The walk's client checks against an identity service that gets reference tokens wrong (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx

from flowguide.client import FlowRun
from flowguide.client.reference_steps import issue_pat, last_used, refused, revoke
from flowguide.client.results import StepResult

BASE = "https://bad.example"


def _run(handler) -> FlowRun:
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    return FlowRun("reference_token", http, issuer=f"{BASE}/id", clock=lambda: 1_800_000_000)


def _json(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **headers}
    )


def test_an_issued_value_that_is_not_a_reference_token_or_is_cached_fails_its_checks() -> None:
    run = _run(lambda request: _json(201, {"token": "abc", "id": "1", "kind": "PAT", "acts_as": ""}))
    r = StepResult("reference_token", "issue_pat")
    issue_pat(run, r)
    assert set(r.failed()) == {
        "the value is enrt_ and 64 hex digits",
        "shown once: the answer is not cached",
        "the PAT acts as ",
    }


def test_a_list_that_shows_the_value_or_no_last_use_fails_its_checks() -> None:
    value = "enrt_" + "A" * 64
    run = _run(lambda request: _json(200, {"tokens": [{"id": "1", "token": value, "last_used": None}]}))
    run.reference["PAT"] = {"token": value, "id": "1", "sent_at": "2027-01-15T08:00:00Z"}
    r = StepResult("reference_token", "last_used")
    last_used(run, r)
    assert set(r.failed()) == {"the list never shows the value", "last used: the script's latest call"}


def test_a_revocation_that_did_not_happen_or_a_refusal_without_a_challenge_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return _json(200, {"revoked": None})
        return _json(401, {"error": "invalid_token"})

    run = _run(handler)
    run.reference = {kind: {"token": "enrt_" + "B" * 64, "id": kind} for kind in ("PAT", "SAT")}
    r = StepResult("reference_token", "revoke")
    revoke(run, r)
    assert set(r.failed()) == {"the PAT is revoked", "the SAT is revoked"}
    r = StepResult("reference_token", "refused")
    refused(run, r)
    assert "the PAT's refusal is a Bearer challenge" in r.failed()
