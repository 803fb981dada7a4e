"""The simulator's times follow the sandbox clock, however it was moved."""

from __future__ import annotations

from conftest import run_page
from html_tables import html_tables

from flowguide.client import unverified_claims
from flowguide.pages.exchange_view import moment


def all_text(at) -> str:
    tables = [str(t.value.to_dict()) for t in at.table] + [str(t) for t in html_tables(at)]
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + tables)


def test_token_lifetime_counts_from_its_own_iat_after_the_clock_moved() -> None:
    at = run_page("simulator", {"flow": "client_credentials"})
    at.button(key="sim_clock_hour").click().run()
    at.button(key="sim_next").click().run()
    at.button(key="sim_next").click().run()
    sim = at.session_state["sim_simulation"]
    iat = unverified_claims(sim.run.service_tokens.access_token)["iat"]
    text = all_text(at)
    assert f"until {moment(iat + 3600)}" in text
    assert "moved forward" in text


def test_moves_the_flow_makes_itself_show_on_the_clock_panel() -> None:
    at = run_page("simulator", {"flow": "refresh"})
    for _ in range(2):  # initial tokens, then the expiry the flow brings about by moving the clock
        at.button(key="sim_next").click().run()
    sim = at.session_state["sim_simulation"]
    assert sim.clock_moved > 3600
    assert "moved forward" in all_text(at)
