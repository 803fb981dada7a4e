"""The /flows walkthrough through AppTest: deep links, Back and Next, bad links, what each step shows."""

from __future__ import annotations

import re

import pytest
from conftest import run_page
from drawn_markup import markups

from flowguide import content


def _shown_step(at) -> str:
    return at.subheader[0].value


def _current_messages(at) -> list[int]:
    """Numbers of the arrows the diagram highlights (read from the SVGs drawn on the server).

    The step drawn large beside its neighbours and the whole diagram in the expander must agree.
    """
    current = {}
    for view in ("focus", "whole"):
        svg = next(m for m in markups(at) if f'data-diagram="walkthrough-{view}"' in m)
        pattern = rf'id="walkthrough-{view}-msg_(\d+)" class="edge message \w+ current"'
        current[view] = [int(n) for n in re.findall(pattern, svg)]
    assert current["focus"] == current["whole"], current
    return current["whole"]


def test_deep_link_opens_that_step() -> None:
    at = run_page("flows", {"flow": "hybrid", "step": "service_token"})
    assert not at.exception and not at.warning
    assert at.selectbox(key="flows_flow").value == "hybrid"
    assert at.selectbox(key="flows_step").value == "service_token"
    assert _shown_step(at) == "8. Service: ask for its own token"
    assert _current_messages(at) == [17, 18]
    assert dict(at.query_params) == {"flow": "hybrid", "step": "service_token"}


def test_next_and_back_move_one_step_and_keep_the_url_in_step() -> None:
    at = run_page("flows", {"flow": "authorization_code", "step": "sign_in"})
    assert _current_messages(at) == [5, 6]
    at.button(key="flows_next").click().run()
    assert _shown_step(at) == "4. The person consents"
    assert _current_messages(at) == [7, 8, 9]
    assert at.query_params["step"] == "consent"
    at.button(key="flows_back").click().run()
    at.button(key="flows_back").click().run()
    assert _shown_step(at) == "2. Send the browser to the authorize endpoint"
    assert at.query_params["step"] == "authorize"


def test_back_is_disabled_on_the_first_step_and_next_on_the_last() -> None:
    at = run_page("flows", {"flow": "client_credentials"})
    assert at.button(key="flows_back").disabled and not at.button(key="flows_next").disabled
    at = run_page("flows", {"flow": "client_credentials", "step": "api_call"})
    assert at.button(key="flows_next").disabled and not at.button(key="flows_back").disabled


def test_choosing_another_flow_starts_at_its_first_step() -> None:
    at = run_page("flows", {"flow": "hybrid", "step": "user_token"})
    at.selectbox(key="flows_flow").select("refresh").run()
    assert _shown_step(at) == "1. Sign in once with offline_access"
    assert dict(at.query_params) == {"flow": "refresh", "step": "initial_tokens"}


def test_choosing_a_step_jumps_there() -> None:
    at = run_page("flows", {"flow": "refresh"})
    at.selectbox(key="flows_step").select("reuse_refresh").run()
    assert _shown_step(at) == "5. The old refresh token is refused"
    assert at.query_params["step"] == "reuse_refresh"


def test_unknown_flow_gets_a_notice_and_the_default() -> None:
    at = run_page("flows", {"flow": "implicit", "step": "token"})
    assert not at.exception
    assert len(at.warning) == 1 and "implicit" in at.warning[0].value
    assert _shown_step(at) == "1. Read the discovery document"
    assert dict(at.query_params) == {"flow": "authorization_code", "step": "discovery"}


def test_unknown_step_gets_a_notice_and_the_first_step() -> None:
    at = run_page("flows", {"flow": "client_credentials", "step": "consent"})
    assert not at.exception
    assert len(at.warning) == 1 and "consent" in at.warning[0].value
    assert at.selectbox(key="flows_flow").value == "client_credentials"
    assert _shown_step(at) == "1. Read the discovery document"


def test_notice_goes_away_once_the_reader_moves_on() -> None:
    at = run_page("flows", {"flow": "nope"})
    at.button(key="flows_next").click().run()
    assert not at.warning
    assert at.query_params["step"] == "authorize"


@pytest.mark.parametrize("flow", ["authorization_code", "client_credentials", "refresh", "hybrid"])
def test_each_step_shows_its_narrative_parameters_and_links(flow: str) -> None:
    step = content.flows()[flow].steps[-1]
    at = run_page("flows", {"flow": flow, "step": step.id})
    text = "\n".join(m.value for m in at.markdown)
    assert step.narrative in text
    for parameter in step.parameters:
        assert f"`{parameter.name}`" in text
    for link in step.rfc:
        assert link.url in text
    for doc in step.docs:
        assert doc.url in text
    run_live = at.get("page_link")[0].proto
    assert run_live.label == "Run this live"
    assert run_live.page == "simulator" and run_live.query_string == f"flow={flow}"


def test_diagram_comes_with_words_and_exports() -> None:
    at = run_page("flows", {"flow": "client_credentials", "step": "token"})
    expanders = at.get("expander")
    assert [e.proto.label for e in expanders[:2]] == ["The whole diagram", "The diagram in words"]
    # The words inside their own expander, not only in the SVG's label.
    words = "\n".join(m.value for m in expanders[1].markdown)
    assert "data-diagram" not in words
    assert "3. Background service sends a request to ERP.net Identity (/id)" in words
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["DOT", "SVG", "Mermaid"]


def test_the_authorize_step_says_which_way_to_ask_and_links_to_each() -> None:
    at = run_page("flows", {"flow": "authorization_code", "step": "authorize"})
    text = " ".join(m.value for m in at.markdown)
    assert "Which way to ask" in text and "code id_token + form_post" in text
    links = [link.proto for link in at.get("page_link")]
    targets = {(link.page, link.query_string) for link in links}
    assert ("simulator", "flow=authorization_code&app=web_form_post") in targets
    assert ("simulator", "flow=authorization_code&app=spa") in targets
    elsewhere = run_page("flows", {"flow": "authorization_code", "step": "token"})
    assert "Which way to ask" not in " ".join(m.value for m in elsewhere.markdown)
