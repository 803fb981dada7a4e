"""/simulator?flow=reference_token: issue a PAT and a SAT, call with each header, see last use, revoke, be refused."""

from __future__ import annotations

import re

import httpx
from conftest import run_page
from drawn_markup import markups
from test_simulator import _next, _sim, _texts, _walk

from flowguide.client import FlowRun
from flowguide.client.run import run_to_end
from flowguide.sandbox import Sandbox

VALUE = re.compile(r"enrt_[0-9A-F]{64}")


def _everything_shown(at) -> str:
    texts = [_texts(at, kind) for kind in ("markdown", "code", "success", "error", "info", "caption")]
    return "\n".join(texts + markups(at))


def test_the_walk_runs_to_the_refusal_with_every_header_and_masks_the_values() -> None:
    at = run_page("simulator", {"flow": "reference_token"})
    assert not at.exception and not at.warning
    _next(at)  # issue_pat
    shown = _everything_shown(at)
    assert "Create user access token" in shown or "Create PAT" in shown
    assert "enrt_" in shown and not VALUE.search(shown), "the value is shown masked only"
    _next(at)  # pat_api_call: one request per header, each shown collapsed and sent once opened
    for number in range(3):
        at.session_state[f"sim_x_pat_api_call_{number}"] = True
    at.run()
    shown = _everything_shown(at)
    for header in ("Authorization: Bearer enrt_", "X-Api-Key: enrt_", "Api-Key: enrt_"):
        assert header in shown, header
    assert "the API returned 3 rows, as david \\(PAT\\)" in _texts(at, "success")
    _next(at)  # last_used
    sim = _sim(at)
    assert sim.current.step == "last_used" and not sim.current.failed()
    assert sim.current.values["last_used"]
    _walk(at)
    sim = _sim(at)
    assert sim.succeeded and [r.step for r in sim.results][-1] == "refused"
    assert sim.results[4].values["acts_as"] == "sync-bot (SAT)"
    assert "`invalid_token`" in _texts(at, "error") or "invalid_token" in _everything_shown(at)
    assert not VALUE.search(_everything_shown(at))
    assert "API answered **200 OK**" in _texts(at, "success")


def test_a_deep_link_replays_to_the_revocation() -> None:
    at = run_page("simulator", {"flow": "reference_token", "step": "revoke"})
    assert not at.exception and not at.warning
    sim = _sim(at)
    assert sim.current.step == "revoke" and sim.position == 6
    assert all(c.passed for c in sim.current.checks)
    assert at.query_params["step"] == "6"


def test_the_walk_runs_against_the_standalone_sandbox_over_a_socket(served: Sandbox) -> None:
    with httpx.Client(base_url=served.base_url) as http:
        run = FlowRun(
            "reference_token", http, issuer=served.issuer, advance_clock=served.clock.advance, clock=served.clock.now
        )
        results = run_to_end(run)
    assert [r.step for r in results][-1] == "refused" and run.error is None
    assert all(not r.failed() for r in results)
    pat = served.reference_tokens.find(run.reference["PAT"]["token"])
    assert pat is not None and pat.revoked_at is not None and pat.last_used_at is not None


def test_the_value_is_shown_once_masked_and_the_list_shows_the_last_use() -> None:
    at = run_page("simulator", {"flow": "reference_token"})
    _next(at)
    assert "**Shown once.**" in _texts(at, "success")
    value = _sim(at).run.reference["PAT"]["token"]
    assert value[:8] + "…(masked)" in _texts(at, "code") and value not in _everything_shown(at)
    at.toggle(key="sim_reveal").set_value(True).run()
    assert value in _texts(at, "code"), "Reveal secrets shows the value, as it shows every other secret"
    at.toggle(key="sim_reveal").set_value(False).run()
    _next(at)
    _next(at)
    listed = at.table[0].value
    assert list(listed["kind"]) == ["PAT"] and list(listed["last_used"])[0] != "never"
