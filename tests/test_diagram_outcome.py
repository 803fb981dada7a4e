"""A failed step is drawn as failed: each catalogued mistake run for real, its arrow red with the real answer.

The runs go against a real sandbox (no Streamlit): the diagram is drawn from the run's own results, so
the status and error on the arrow are what the identity service answered, and every later step reads
as not reached. An AppTest run checks the simulator's view draws the same thing.
"""

from __future__ import annotations

import re

import pytest
from drawn_markup import markups
from streamlit.testing.v1 import AppTest

from flowguide import diagrams
from flowguide.client import MISTAKE_FLOWS
from flowguide.sandbox import Sandbox
from flowguide.simulation import Simulation

MESSAGE = re.compile(r'<g id="msg_(\d+)" class="edge message (\w+) (\w+)">(.*?)</g>', re.DOTALL)
LABEL = re.compile(r'<g id="label_(\d+)" class="edge label (\w+) (\w+)">(.*?)</g>', re.DOTALL)
TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


def run_to_the_end(flow: str, mistake: str | None = None) -> Simulation:
    sim = Simulation(Sandbox(), flow, None, mistake)
    while sim.can_next and sim.next() is not None:
        pass
    return sim


def drawn(sim: Simulation) -> dict[int, tuple[str, str]]:
    """Each arrow's state and words (its label may sit on a carrier beside it), by number."""
    spec = diagrams.load_spec(sim.flow)
    outcome = diagrams.run_outcome(sim.results, sim.steps, finished=sim.finished)
    svg = diagrams.render_svg(diagrams.to_digraph(spec, sim.highlight_step, outcome).source)
    arrows = {int(n): (state, " ".join(TEXT.findall(body))) for n, _kind, state, body in MESSAGE.findall(svg)}
    for n, _kind, state, body in LABEL.findall(svg):
        assert arrows[int(n)][0] == state
        arrows[int(n)] = (state, " ".join(TEXT.findall(body)))
    return arrows


MISTAKES = sorted(m for m in MISTAKE_FLOWS if m != "consent_declined") + ["consent_declined"]


@pytest.fixture(scope="module", params=MISTAKES)
def mistake_run(request) -> Simulation:
    return run_to_the_end(MISTAKE_FLOWS[request.param], request.param)


def test_the_failing_arrow_is_red_with_the_status_and_error_that_came_back(mistake_run: Simulation) -> None:
    sim = mistake_run
    error = sim.run.error
    assert error is not None, "every catalogued mistake stops its run"
    spec = diagrams.load_spec(sim.flow)
    failing = sim.results[-1]
    numbers = [i for i, m in enumerate(spec.messages, start=1) if m.step == failing.step]
    arrows = drawn(sim)
    assert {arrows[n][0] for n in numbers} == {"failed"}
    answered = error.status in [e.status for e in failing.exchanges]
    words = arrows[numbers[-1]][1]
    assert f"✗ {error.status}" in words if answered else "✗" in words
    assert error.code in words
    if spec.messages[numbers[-1] - 1].kind == "response":
        # The spec's success label is gone: what came back replaces it.
        assert spec.messages[numbers[-1] - 1].label not in words


def test_every_step_after_the_failure_reads_as_not_reached(mistake_run: Simulation) -> None:
    spec = diagrams.load_spec(mistake_run.flow)
    ran = [r.step for r in mistake_run.results]
    arrows = drawn(mistake_run)
    for n, message in enumerate(spec.messages, start=1):
        expected = "unreached" if message.step not in ran else arrows[n][0]
        assert arrows[n][0] == expected
        if message.step in ran[:-1]:
            assert arrows[n][0] in ("done", "current")


@pytest.mark.parametrize(
    ("mistake", "answer"),
    [
        ("wrong_verifier", "✗ 400 invalid_grant"),
        ("wrong_client_secret", "✗ 401 invalid_client"),
        ("rotated_refresh_token", "✗ 400 invalid_grant"),
        ("consent_declined", "✗ 302 error=access_denied"),
        ("state_tampered", "✗ state_mismatch"),
    ],
)
def test_known_mistakes_show_their_answer(mistake: str, answer: str) -> None:
    sim = run_to_the_end(MISTAKE_FLOWS[mistake], mistake)
    failed = [words for state, words in drawn(sim).values() if state == "failed"]
    assert any(answer in words for words in failed)


def test_the_rotated_refresh_token_is_not_drawn_as_a_new_valid_pair() -> None:
    # The second use of the old refresh token revoked the new pair: no "200 new access_token" arrow.
    sim = run_to_the_end("refresh", "rotated_refresh_token")
    words = " ".join(w for _state, w in drawn(sim).values())
    assert "200 new access_token" not in words and "400 invalid_grant" in words


def test_a_run_that_goes_well_has_nothing_failed_or_unreached() -> None:
    sim = run_to_the_end("authorization_code")
    states = {state for state, _words in drawn(sim).values()}
    assert states <= {"done", "current"} and "current" in states


def test_the_refresh_flows_own_expected_errors_are_not_failures() -> None:
    # The expired token's 401 and the old refresh token's 400 are what the refresh flow exists to show.
    sim = run_to_the_end("refresh")
    assert all(state != "failed" for state, _words in drawn(sim).values())


def test_a_run_still_going_marks_nothing_as_not_reached() -> None:
    sim = Simulation(Sandbox(), "authorization_code", None, "wrong_verifier")
    sim.next()
    outcome = diagrams.run_outcome(sim.results, sim.steps, finished=sim.finished)
    assert set(outcome) == {"discovery"} and outcome["discovery"] == diagrams.OK


def test_only_a_plain_status_and_error_token_reach_the_drawing() -> None:
    odd = diagrams.failed(999, '"><script>alert(1)</script>')
    assert (odd.status, odd.code) == (None, "error")
    assert diagrams.failed(400, "invalid_grant").failure == "400 invalid_grant"
    assert diagrams.failed(None, None).failure == "a check failed"


def test_the_words_say_what_failed_and_what_was_not_reached() -> None:
    sim = run_to_the_end("client_credentials", "wrong_client_secret")
    spec = diagrams.load_spec("client_credentials")
    words = diagrams.text_alternative(spec, diagrams.run_outcome(sim.results, sim.steps, finished=True))
    assert words[3] == "4. ERP.net Identity (/id) responds to Background service: 401 invalid_client. (failed)"
    assert words[-1].endswith("(not reached)")


def _simulator_view() -> None:
    """The simulator's diagram call with a run's outcome (flowguide/pages/simulator.py's stepper)."""
    from flowguide.pages import ui
    from flowguide.sandbox import Sandbox
    from flowguide.simulation import Simulation

    sim = Simulation(Sandbox(), "authorization_code", None, "wrong_verifier")
    while sim.can_next and sim.next() is not None:
        pass
    ui.diagram_view(sim.flow, sim.highlight_step, key="simulator", exports=False, **ui.run_diagram(sim))


def test_the_simulators_view_draws_the_failed_arrow_large_and_in_the_whole_diagram() -> None:
    at = AppTest.from_function(_simulator_view, default_timeout=60).run()
    assert not at.exception
    shown = [m for m in markups(at) if "fg-svg" in m]
    assert [re.search(r'data-diagram="([^"]+)"', s).group(1) for s in shown] == ["simulator-focus", "simulator-whole"]
    for svg in shown:
        failed = re.findall(r'class="edge (?:message|label) \w+ failed">(.*?)</g>', svg, re.DOTALL)
        # A focus view wraps the label: its lines are one <text> each.
        assert any("✗ 400 invalid_grant" in " ".join(TEXT.findall(body)) for body in failed)
        assert f'stroke="{diagrams.FAILED}"' in svg
        assert 'class="edge message request unreached"' in svg
    words = next(e for e in at.expander if e.label == "The diagram in words")
    assert "400 invalid_grant. (failed)" in words.markdown[0].value


def _arrows_in_words() -> None:
    """The simulator's words beside its diagram (step_view.arrows_of_step), given the run's outcome."""
    from flowguide.pages import step_view, ui
    from flowguide.sandbox import Sandbox
    from flowguide.simulation import Simulation

    sim = Simulation(Sandbox(), "client_credentials", None, "wrong_client_secret")
    while sim.can_next and sim.next() is not None:
        pass
    step_view.arrows_of_step(sim.flow, sim.highlight_step, **ui.run_diagram(sim))


def test_the_words_beside_the_simulators_diagram_say_what_came_back() -> None:
    at = AppTest.from_function(_arrows_in_words, default_timeout=60).run()
    assert not at.exception
    words = markups(at)[0]  # drawn as HTML from escaped Markdown: what the reader sees
    assert "401 invalid_client. (failed)" in words and "200 access_token" not in words
