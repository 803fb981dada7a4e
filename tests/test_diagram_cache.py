"""Each diagram state is laid out by Graphviz once and then served from memory, never for another state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import run_page

from flowguide import diagrams

FLOW = "authorization_code"
BASE = {
    "diagram_id": FLOW,
    "variant": "web",
    "params": (("scope", "openid, read"),),
    "highlight_step": "consent",
    "outcome": diagrams.outcome_key({"discovery": diagrams.OK, "authorize": diagrams.OK}),
    "focus": True,
    "name": "simulator-focus",
}
# One change per part of the key; each draws a different picture (the step's window shows scope and outcome).
CHANGES = {
    "diagram_id": "client_credentials",
    "variant": "spa",
    "params": (("scope", "openid, update"),),
    "highlight_step": "callback",
    "outcome": diagrams.outcome_key({"authorize": diagrams.OK, "consent": diagrams.failed(302, "access_denied")}),
    "focus": False,
    "name": "walkthrough-focus",
}


@pytest.fixture
def renders(monkeypatch) -> Iterator[list[str]]:
    """Every DOT text handed to Graphviz from now on, with the state cache emptied first."""
    calls: list[str] = []
    real = diagrams.render_svg

    def counting(dot: str, engine: str = "auto") -> str:
        calls.append(dot)
        return real(dot, engine)

    diagrams.state_html.cache_clear()
    monkeypatch.setattr(diagrams, "render_svg", counting)
    yield calls
    diagrams.state_html.cache_clear()


def _html(**changed: object) -> str:
    state = BASE | changed
    return diagrams.state_html(
        state["diagram_id"],
        state["variant"],
        state["params"],
        state["highlight_step"],
        state["outcome"],
        focus=state["focus"],
        name=state["name"],
    )


def test_the_same_state_is_laid_out_once(renders: list[str]) -> None:
    first = _html()
    assert len(renders) == 1
    assert _html() == first
    assert len(renders) == 1  # served from memory: Graphviz was not asked again


def test_the_cached_picture_is_the_one_graphviz_draws(renders: list[str]) -> None:
    spec = diagrams.resolved_spec(FLOW, "web", BASE["params"])
    drawn = diagrams.diagram_html(spec, "consent", dict(BASE["outcome"]), focus=True, name="simulator-focus")
    assert _html() == drawn


@pytest.mark.parametrize("part", list(CHANGES))
def test_every_part_of_the_state_is_in_the_key(renders: list[str], part: str) -> None:
    shown = _html()
    other = _html(**{part: CHANGES[part]})
    assert other != shown
    assert len(renders) == 2  # a state of its own, drawn for itself
    assert _html() == shown  # and the first state still gets its own picture


def test_two_steps_give_two_pictures_each_saying_its_step(renders: list[str]) -> None:
    consent, callback = _html(), _html(highlight_step="callback")
    assert 'data-step="consent"' in consent and 'data-step="callback"' not in consent
    assert 'data-step="callback"' in callback and 'data-step="consent"' not in callback
    assert consent != callback


def test_no_outcome_and_an_empty_one_are_one_state() -> None:
    assert diagrams.outcome_key(None) == diagrams.outcome_key({}) == ()
    ok = diagrams.outcome_key({"b": diagrams.OK, "a": diagrams.failed(400, "invalid_grant")})
    assert [step for step, _ in ok] == ["a", "b"]  # the order a run reached them in does not matter


def test_the_cache_is_bounded() -> None:
    assert diagrams.state_html.cache_info().maxsize == diagrams.STATES_CACHED
    assert diagrams.state_words.cache_info().maxsize == diagrams.STATES_CACHED


def test_a_page_rerun_draws_nothing_again(renders: list[str]) -> None:
    at = run_page("flows", {"flow": FLOW, "step": "token"})
    drawn = len(renders)
    assert drawn >= 2  # the step's picture and the whole diagram
    at.run()
    assert not at.exception
    assert len(renders) == drawn


def test_the_words_follow_the_run(renders: list[str]) -> None:
    plain = diagrams.state_words(FLOW)
    failed = diagrams.state_words(FLOW, outcome=CHANGES["outcome"])
    assert plain != failed
    assert any("(failed)" in line for line in failed)
    assert plain == tuple(diagrams.text_alternative(diagrams.load_spec(FLOW)))
