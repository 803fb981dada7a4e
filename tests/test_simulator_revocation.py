"""The simulator's token verdicts know what only the issuer knows: whether a token was revoked since."""

from __future__ import annotations

from conftest import run_page

from flowguide.sandbox import Sandbox
from flowguide.simulation import Simulation


def _walk(sim: Simulation) -> None:
    while sim.can_next:
        sim.next()


def test_a_token_revoked_by_a_replayed_refresh_token_is_said_revoked() -> None:
    sim = Simulation(Sandbox(), "refresh", mistake="rotated_refresh_token")
    _walk(sim)
    assert sim.run.error is not None and sim.run.error.code == "invalid_grant"
    check = sim.revocation(sim.run.auth.tokens.access_token)
    assert check is not None and check.name == "revoked" and check.passed is False
    assert check.sentence.startswith("The identity service revoked this token: ")


def test_a_token_in_good_standing_is_said_not_revoked() -> None:
    sim = Simulation(Sandbox(), "client_credentials")
    _walk(sim)
    check = sim.revocation(sim.run.service_tokens.access_token)
    assert check is not None and check.passed is True
    assert sim.revocation("not-a-token-of-this-session") is None


def test_the_page_does_not_call_revoked_tokens_valid() -> None:
    at = run_page("simulator", {"flow": "refresh", "mistake": "rotated_refresh_token"})
    while not at.button(key="sim_next").disabled:
        at.button(key="sim_next").click().run()
        assert not at.exception, at.exception
    # The access token's tab (open first) is not valid any more; the ID token (which no one revokes) still is.
    assert not [e.value for e in at.success if e.value.startswith("Valid: every check passed")]
    words = " ".join(str(e.value) for e in [*at.markdown, *at.error, *at.warning, *at.caption])
    assert "revoked this token" in words
    shown = at.session_state["sim_simulation"].current.step
    at.session_state[f"sim_{shown}_tabs"] = "ID token"  # as the reader picks its tab
    at.run()
    valid = [e.value for e in at.success if e.value.startswith("Valid: every check passed")]
    assert len(valid) == 1
