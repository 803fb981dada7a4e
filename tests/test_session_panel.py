"""The simulator's session and licence panel: what it says beside the tokens, moving with the clock.

The pure status (``flowguide.session_status``) is checked against the sandbox's own session table; the
panel (``flowguide.pages.session_view.session_panel``) runs in AppTest as the simulator calls it, and the
two sessions-and-licences mistakes are walked on /simulator itself from their deep links.
"""

from __future__ import annotations

import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest

from flowguide import content
from flowguide.sandbox import Sandbox
from flowguide.sandbox.registry import default_registry
from flowguide.session_status import clock_time, held_tokens, licence_status, sign_out
from flowguide.simulation import Simulation

CATALOGUE = content.mistakes()
SLOTS = default_registry().sessions.license_slots
TWENTY_MINUTES = 20 * 60


def _finished(flow: str, mistake: str | None = None) -> Simulation:
    sim = Simulation(Sandbox(), flow, mistake=mistake)
    sim.go_to(len(sim.steps))
    return sim


def _status(sim: Simulation):
    return licence_status(sim.sandbox, held_tokens(sim), sim.app.client_id)


# --- the status, as data --------------------------------------------------------------------------------


def test_before_the_first_api_call_the_token_holds_no_slot() -> None:
    sim = Simulation(Sandbox(), "authorization_code")
    sim.go_to(sim.steps.index("validate") + 1)  # tokens issued and checked, no API call yet
    status = _status(sim)
    assert status.used == 0 and status.slots == SLOTS
    (token,) = status.tokens
    assert token.part == "app" and token.session is None and "David" in token.holder


def test_after_the_api_call_the_token_has_its_session_and_its_sliding_end() -> None:
    sim = _finished("authorization_code")
    status = _status(sim)
    (token,) = status.tokens
    session = sim.sandbox.state.sessions.open_sessions()[0]
    assert status.used == 1 and token.session is not None
    assert token.session.label == f"Session {session.id}" and token.session.who == "user david"
    assert token.session.closes_at == session.last_call_at + TWENTY_MINUTES and token.session.hard_end is None


def test_the_hybrid_shows_the_users_session_and_the_system_users() -> None:
    status = _status(_finished("hybrid"))
    assert [t.part for t in status.tokens] == ["web app", "service"]
    web, service = (t.session for t in status.tokens)
    assert web is not None and service is not None
    assert (web.who, service.who) == ("user david", "System User sync-bot")
    assert service.hard_end == service.opened_at + 3600 and status.used == 2


def test_the_status_moves_with_the_clock() -> None:
    sim = _finished("client_credentials")
    sim.advance_clock(TWENTY_MINUTES)
    status = _status(sim)
    assert status.used == 0 and status.tokens[0].session is None
    (ended,) = status.ended
    assert ended.because == "20 minutes without an API call" and ended.who == "System User sync-bot"


def test_a_new_run_starts_with_every_slot_free_and_shows_no_earlier_run() -> None:
    first = _finished("hybrid")
    again = Simulation(first.sandbox, "client_credentials")
    status = _status(again)
    assert status.used == 0 and status.ended == () and status.others == ()


def test_token_per_call_shows_the_earlier_tokens_sessions_as_the_same_applications() -> None:
    sim = _finished("client_credentials", "token_per_call")
    status = _status(sim)
    assert status.full and status.used == SLOTS
    assert status.tokens[0].session is None  # the newest token could open none
    assert len(status.others) == SLOTS and all(o.same_app for o in status.others)


def test_licences_in_use_shows_the_other_connections_holding_every_slot() -> None:
    sim = _finished("authorization_code", "licences_in_use")
    status = _status(sim)
    assert status.full and status.tokens[0].session is None
    assert [o.who for o in status.others] == ["System User sync-bot"] * SLOTS
    assert not any(o.same_app for o in status.others)


# --- the panel ------------------------------------------------------------------------------------------


def _panel_script() -> None:
    import streamlit as st

    from flowguide.pages.session_view import session_panel
    from flowguide.sandbox import Sandbox
    from flowguide.simulation import Simulation

    if "sim" not in st.session_state:
        flow, mistake = st.session_state.get("flow", "authorization_code"), st.session_state.get("mistake")
        sim = Simulation(Sandbox(), flow, mistake=mistake)
        sim.go_to(len(sim.steps))
        st.session_state["sim"] = sim
    session_panel(st.session_state["sim"])


def _panel(flow: str, mistake: str | None = None) -> AppTest:
    at = AppTest.from_function(_panel_script, default_timeout=60)
    at.session_state["flow"] = flow
    if mistake:
        at.session_state["mistake"] = mistake
    at.run()
    assert not at.exception, at.exception
    return at


def _words(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown) + "\n" + "\n".join(str(c.value) for c in at.caption)


def _progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_the_panel_shows_the_session_and_the_slots_and_frees_the_slot_after_20_idle_minutes() -> None:
    at = _panel("authorization_code")
    sim: Simulation = at.session_state["sim"]
    session = sim.sandbox.state.sessions.open_sessions()[0]
    assert _progress_text(at).startswith(f"Licence slots in use: 1 of {SLOTS} · sandbox time ")
    words = _words(at)
    assert f"Session {session.id}" in words and "user david" in words
    assert f"closes at **{clock_time(session.expires_at)}**" in words
    at.button(key="sim_clock_twenty").click().run()
    assert _progress_text(at).startswith(f"Licence slots in use: 0 of {SLOTS} ")
    words = _words(at)
    assert "no session yet" in words and "Ended, slot freed" in words and "20 minutes without an API call" in words


def test_the_panel_of_a_service_gives_its_one_hour_limit_and_the_hybrid_note() -> None:
    at = _panel("hybrid")
    service = next(s for s in at.session_state["sim"].sandbox.state.sessions.open_sessions() if s.service)
    words = _words(at)
    assert "System User sync\\-bot" in words
    assert f"(**{clock_time(service.absolute_end)}** at the latest)" in words
    assert "community users" in words


@pytest.mark.parametrize("mistake", ["token_per_call", "licences_in_use"])
def test_the_panel_says_every_slot_is_taken_and_the_token_is_valid(mistake: str) -> None:
    flow = "client_credentials" if mistake == "token_per_call" else "authorization_code"
    at = _panel(flow, mistake)
    assert _progress_text(at).startswith(f"Licence slots in use: {SLOTS} of {SLOTS} · all taken")
    words = _words(at)
    assert "none can open: every licence slot is held. The token itself is valid." in words
    assert ("opened by an earlier token of this app ·" in words) is (mistake == "token_per_call")


# --- the mistakes on /simulator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flow", "mistake", "title"),
    [
        ("client_credentials", "token_per_call", "A new token for every API call"),
        ("authorization_code", "licences_in_use", "Every licence already in use"),
    ],
)
def test_the_deep_link_runs_the_mistake_to_the_licence_refusal(flow: str, mistake: str, title: str) -> None:
    at = run_page("simulator", {"flow": flow, "mistake": mistake, "step": "api_call"})
    assert not at.exception, at.exception
    sim: Simulation = at.session_state["sim_simulation"]
    assert (sim.flow, sim.mistake) == (flow, mistake)
    assert sim.run.error is not None and (sim.run.error.code, sim.run.error.status) == (
        "MaximumLicenseCountExceeded",
        403,
    )
    assert at.selectbox(key="sim_mistake").value == mistake
    errors = "\n".join(str(e.value) for e in at.error)
    assert "HTTP 403 · `MaximumLicenseCountExceeded`: Every licence of this instance is in use" in errors
    why = next(m.value for m in at.markdown if str(m.value).startswith("**Why it happened.**"))
    assert CATALOGUE[mistake].why.split(".")[0] in why and CATALOGUE[mistake].title == title


# --- signing out --------------------------------------------------------------------------------------------


def test_signing_out_ends_the_session_and_the_token_reopens_one() -> None:
    sim = _finished("authorization_code")
    exchange = sign_out(sim)
    assert exchange is not None and exchange.status == 200 and "/id/connect/endsession?id_token_hint=" in exchange.url
    status = _status(sim)
    assert status.used == 0 and status.ended[0].because == "the user signed out"
    # The token is still valid: the next call opens a new session (session-revocation.md, re-activation).
    probe = sim.call_api("web app")
    assert probe is not None and probe.exchange.status == 200 and _status(sim).used == 1


def test_a_run_without_an_id_token_cannot_sign_out() -> None:
    assert sign_out(_finished("client_credentials")) is None


def test_the_panels_sign_out_button_frees_the_slot() -> None:
    at = _panel("authorization_code")
    at.button(key="sim_sign_out").click().run()
    assert _progress_text(at).startswith(f"Licence slots in use: 0 of {SLOTS} ")
    words = _words(at)
    assert "the user signed out" in words and "Signed out: GET /id/connect/endsession" in words
    assert not [b for b in _panel("client_credentials").button if b.key == "sim_sign_out"]  # services time out
