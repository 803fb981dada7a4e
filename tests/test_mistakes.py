"""Every mistake in the catalogue, made for real against the sandbox, meets its error at its step."""

from __future__ import annotations

import pytest

from flowguide import content
from flowguide.client import MISTAKE_FLOWS, FlowRun, run_to_end
from flowguide.sandbox import Sandbox

CATALOGUE = content.mistakes()


def _make(mistake_id: str) -> FlowRun:
    mistake = CATALOGUE[mistake_id]
    run = FlowRun.for_sandbox(Sandbox(), mistake.flow, mistake=mistake_id)
    run_to_end(run)
    return run


def test_the_catalogue_and_the_client_know_the_same_mistakes() -> None:
    assert {m.id: m.flow for m in CATALOGUE.values()} == MISTAKE_FLOWS


def test_the_catalogue_covers_the_issues_list() -> None:
    errors = {(m.flow, m.error) for m in CATALOGUE.values()}
    for needed in [
        ("authorization_code", "state_mismatch"),
        ("authorization_code", "invalid_redirect_uri"),
        ("authorization_code", "access_denied"),
        ("client_credentials", "invalid_client"),
        ("client_credentials", "unsupported_grant_type"),
        ("refresh", "invalid_grant"),
        ("hybrid", "invalid_token"),
    ]:
        assert needed in errors


@pytest.mark.parametrize("mistake_id", sorted(CATALOGUE))
def test_each_mistake_meets_its_error_at_its_step(mistake_id: str) -> None:
    mistake = CATALOGUE[mistake_id]
    run = _make(mistake_id)
    stopped_at = run.results[-1]
    assert stopped_at.step == mistake.step
    assert run.error is stopped_at.error
    assert (stopped_at.error.code, stopped_at.error.status) == (mistake.error, mistake.status)
    assert stopped_at.error.description, "the reader is told why"


@pytest.mark.parametrize("mistake_id", sorted(m for m in CATALOGUE if CATALOGUE[m].error != "state_mismatch"))
def test_the_error_comes_from_the_sandbox_not_from_the_client(mistake_id: str) -> None:
    mistake = CATALOGUE[mistake_id]
    answered = [
        e
        for e in _make(mistake_id).results[-1].exchanges
        if e.status == mistake.status
        and mistake.error in e.response_body + (e.location or "") + (e.response_header("www-authenticate") or "")
    ]
    assert answered, "the sandbox's own response carries the error"


def test_state_mismatch_is_the_clients_own_check_and_the_code_is_not_redeemed() -> None:
    run = _make("state_tampered")
    callback = run.results[-1]
    assert callback.exchanges == []
    assert [c.name for c in callback.checks if not c.passed] == ["state matches the one sent"]
    assert not any(e.url.endswith("/connect/token") for e in run.exchanges)


def test_a_replayed_code_revokes_the_tokens_it_issued() -> None:
    token_step = _make("code_reused").results[-1]
    first, second, api = token_step.exchanges
    assert first.status == 200 and second.status == 400
    assert first.form["code"] == second.form["code"]
    assert api.status == 401
    assert all(c.passed for c in token_step.checks)


def test_a_mismatched_redirect_uri_is_never_redirected_to() -> None:
    authorize = _make("redirect_uri_case").results[-1]
    (exchange,) = authorize.exchanges
    assert exchange.location is None
    assert "/Callback" in exchange.query["redirect_uri"]


def test_missing_pkce_sends_no_challenge() -> None:
    (exchange,) = _make("missing_pkce").results[-1].exchanges
    assert "code_challenge" not in exchange.query
    assert exchange.query["client_id"] == "com.example/spa"


def test_a_forwarded_user_token_is_davids_and_expired_by_night() -> None:
    run = _make("forwarded_user_token")
    by_step = {r.step: r for r in run.results}
    assert by_step["service_token"].exchanges == []
    david = by_step["user_token"].values["access_token"]
    assert by_step["service_api_call"].exchanges[0].request_header("authorization") == f"Bearer {david}"
    assert by_step["service_api_call"].values["clock_advanced_seconds"] > 3600
