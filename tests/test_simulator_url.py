"""/simulator keeps the step in its URL: a link or a reload replays the walk to it, Next and Back move it,
bad values fall back to the start with a notice, and the diagram marks no step before one has run."""

from __future__ import annotations

import pytest
from conftest import run_page
from drawn_markup import markups

from flowguide.client import FLOW_STEPS, UserCredentials
from flowguide.pages.ui import link_to_this_key
from flowguide.sandbox import Sandbox
from flowguide.simulation import Simulation, resolve_step

SIM_KEY = "sim_simulation"
AC_STEPS = tuple(FLOW_STEPS["authorization_code"])


def _sim(at) -> Simulation:
    return at.session_state[SIM_KEY]


def _query(at) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


def _press(at, key: str) -> None:
    at.button(key=key).click().run()
    assert not at.exception, at.exception


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0), ("", 0), ("1", 1), ("5", 5), ("8", 8), ("callback", 5), ("token", 6), ("api_call", 8)],
)
def test_a_step_is_a_number_from_1_or_a_step_id(value: str | None, expected: int) -> None:
    assert resolve_step(value, AC_STEPS) == (expected, None)


@pytest.mark.parametrize("value", ["0", "9", "-1", "+3", " 3", "3.0", "1e1", "٣", "Token", "x" * 500, "<b>2</b>"])
def test_a_step_that_is_not_one_falls_back_to_the_start_with_a_notice(value: str) -> None:
    position, notice = resolve_step(value, AC_STEPS)
    assert position == 0 and notice is not None and "There is no step" in notice
    # The value is shown short and inert (a code span of at most 40 characters).
    assert len(notice) < 160 and "<b>" not in notice.replace("`<b>2</b>`", "")


def test_a_link_to_step_5_replays_the_walk_to_the_callback() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "step": "5"})
    assert not at.exception and not at.warning and not at.info
    sim = _sim(at)
    # Steps 1 to 5 ran against this session's sandbox, signing in as David and allowing.
    assert [r.step for r in sim.results] == list(AC_STEPS[:5]) and all(r.ok for r in sim.results)
    assert sim.position == 5 and sim.at_latest and sim.run.auth.code
    assert at.subheader[0].value.startswith("5. ")
    assert _query(at) == {"flow": "authorization_code", "step": "5"}


def test_a_step_id_in_the_link_lands_on_that_step_and_the_url_counts_it() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "step": "token"})
    assert not at.exception and not at.warning
    assert _sim(at).current.step == "token" and _sim(at).current.ok
    assert _query(at) == {"flow": "authorization_code", "step": "6"}


@pytest.mark.parametrize("value", ["0", "42", "nope", "![x](http://attacker.example/p.png)"])
def test_a_bad_step_in_the_link_shows_a_notice_and_starts_at_the_start(value: str) -> None:
    at = run_page("simulator", {"flow": "client_credentials", "step": value})
    assert not at.exception
    assert len(at.warning) == 1 and "There is no step" in at.warning[0].value
    # The bad value is shown inert, in a code span, never as Markdown.
    assert "](http" not in at.warning[0].value.replace(f"`{value}`", "")
    assert _sim(at).position == 0 and _sim(at).results == []
    assert _query(at) == {"flow": "client_credentials"}
    assert at.subheader[0].value == "Ready"


def test_next_and_back_move_the_step_in_the_url_and_reset_takes_it_out() -> None:
    at = run_page("simulator", {"flow": "client_credentials"})
    assert "step" not in at.query_params
    _press(at, "sim_next")
    assert at.query_params["step"] == "1"
    _press(at, "sim_next")
    assert at.query_params["step"] == "2"
    _press(at, "sim_back")
    assert at.query_params["step"] == "1" and not _sim(at).at_latest
    _press(at, "sim_back")
    assert "step" not in at.query_params
    _press(at, "sim_next_below")  # the button after the step's content moves the same way
    assert at.query_params["step"] == "1"
    _press(at, "sim_reset")
    assert "step" not in at.query_params and _sim(at).results == []


def test_the_sign_in_form_moves_the_step_in_the_url() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "step": "2"})
    _press(at, "sim_page_submit")
    assert at.query_params["step"] == "3" and _sim(at).current.step == "sign_in"
    _press(at, "sim_page_allow")
    assert at.query_params["step"] == "4"


def test_a_link_past_where_a_mistake_stops_the_run_lands_where_it_stopped() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "mistake": "wrong_verifier", "step": "8"})
    assert not at.exception
    assert "stops at step 6" in at.info[0].value
    assert _sim(at).current.step == "token" and _sim(at).finished
    assert _query(at) == {"flow": "authorization_code", "mistake": "wrong_verifier", "step": "6"}


def test_choosing_another_flow_starts_it_at_its_start() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "step": "3"})
    at.selectbox(key="sim_flow").select("client_credentials").run()
    assert _query(at) == {"flow": "client_credentials"}
    assert _sim(at).flow == "client_credentials" and _sim(at).position == 0


def test_without_a_step_in_the_url_the_visitor_keeps_their_place() -> None:
    """Coming back from another page (the menu drops the query) keeps the run where it was."""
    at = run_page("simulator", {"flow": "authorization_code", "step": "4"})
    at.switch_page("flowguide/pages/flows.py").run()
    at.query_params.clear()
    at.switch_page("flowguide/pages/simulator.py").run()
    assert not at.exception
    assert _sim(at).position == 4 and at.query_params["step"] == "4"


def _diagram_marks(at) -> tuple[bool, str]:
    """Whether the legend speaks of "this step", and the words under "This step on the diagram"."""
    legend = any("this step" in c.value for c in at.caption)
    words = next((m for m in markups(at) if "<strong>This step on the diagram</strong>" in m), "")
    return legend, words


def test_ready_marks_no_step_on_the_diagram_and_a_step_marks_itself() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    assert _sim(at).highlight_step is None
    assert _diagram_marks(at) == (False, "")
    _press(at, "sim_next")
    assert _sim(at).highlight_step == "discovery"
    legend, words = _diagram_marks(at)
    # The web portal is drawn as the web-app variant: a server that keeps the secret.
    assert legend and "1. Web app (server) sends a request" in words


def test_link_to_this_names_the_step_shown() -> None:
    at = run_page("simulator", {"flow": "client_credentials", "step": "2"})
    at.session_state[link_to_this_key("simulator")] = True  # sent once "Link to this" is opened
    at.run()
    codes = [c.value for c in at.code]
    assert "http://localhost:8501/simulator?flow=client_credentials&step=2" in codes
    assert any(c.startswith("[Client Credentials, run live, step 2:") for c in codes), codes


def test_a_replay_stops_at_a_refused_sign_in_without_asking_again() -> None:
    sim = Simulation(Sandbox(), "authorization_code")
    sim.run.user = UserCredentials("david", "not-the-password")
    calls: list[int] = []
    step_once = sim.next
    sim.next = lambda *a, **k: calls.append(1) or step_once(*a, **k)  # type: ignore[method-assign]
    assert sim.go_to(8) == 3
    assert sim.awaiting_sign_in_retry and len(calls) == 3


def test_a_lone_exchange_opens_unless_it_answered_with_a_whole_html_page() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "step": "2"})
    authorize = [e for e in at.expander if "GET /id/connect/authorize" in e.label]
    assert len(authorize) == 1 and not authorize[0].proto.expanded
    at = run_page("simulator", {"flow": "authorization_code", "step": "6"})
    token = [e for e in at.expander if "POST /id/connect/token" in e.label]
    assert len(token) == 1 and token[0].proto.expanded
