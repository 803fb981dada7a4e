"""Hostile input through AppTest: every page's query parameters and text fields, fuzzed.

No exception may reach the visitor; each bad value gets its short notice; nothing else changes.
"""

from __future__ import annotations

import re

import pytest
from conftest import run_page
from html_tables import html_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowguide import content, outbound
from flowguide.client import FLOW_STEPS
from flowguide.guide import guide_content, parse_answers
from flowguide.tokens import decode

SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text a hostile link or paste might carry: Markdown, HTML, control characters, very long values.
nasty = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "**bold**",
            "`",
            "\x00\x1b[31m",
            "a" * 5000,
            "../../etc/passwd",
            "%00",
            "yes ",
            "YES",
            "authorization_code\n",
        ]
    ),
)
QUESTION_IDS = [q.id for q in guide_content().questions]
NO_DOTS = (
    "This has no dots, so it is not a JWT: it looks like an opaque (reference) token, "
    "which only the server that issued it can read."
)


def assert_clean(at) -> None:
    """No exception, and hostile text in a notice only inside a code span, where it is shown, not obeyed."""
    assert not at.exception, at.exception[0].message if at.exception else ""
    for element in list(at.warning) + list(at.error) + list(at.info):
        outside_code = re.sub(r"(`+).*?\1", "", element.value, flags=re.S)
        assert "<script" not in outside_code and "](javascript:" not in outside_code, element.value


@SLOW
@given(st.dictionaries(st.one_of(st.sampled_from(QUESTION_IDS), st.text(min_size=1, max_size=12)), nasty, max_size=5))
def test_guide_query_parameters(params: dict[str, str]) -> None:
    at = run_page("guide", params)
    assert_clean(at)
    expected = parse_answers(params).notices
    assert len(at.warning) >= len(expected)


@SLOW
@given(st.fixed_dictionaries({"flow": st.one_of(st.sampled_from(sorted(FLOW_STEPS)), nasty), "step": nasty}))
def test_walkthrough_query_parameters(params: dict[str, str]) -> None:
    at = run_page("flows", params)
    assert_clean(at)
    flow_ok = params["flow"] in FLOW_STEPS
    step_ok = flow_ok and params["step"] in FLOW_STEPS[params["flow"]]
    assert bool(at.warning) == (not (flow_ok and (step_ok or params["step"] == ""))) or not flow_ok
    shown_flow, shown_step = at.query_params["flow"], at.query_params["step"]
    assert shown_flow in FLOW_STEPS and shown_step in FLOW_STEPS[shown_flow]


@SLOW
@given(
    st.fixed_dictionaries(
        {
            "flow": st.one_of(st.sampled_from(sorted(FLOW_STEPS)), nasty),
            "mistake": st.one_of(st.sampled_from(sorted(content.mistakes())), nasty),
        }
    )
)
def test_simulator_query_parameters(params: dict[str, str]) -> None:
    at = run_page("simulator", params)
    assert_clean(at)
    bad_flow = params["flow"] not in FLOW_STEPS and params["flow"] != ""
    bad_mistake = params["mistake"] not in content.mistakes() and params["mistake"] != ""
    if bad_flow or bad_mistake:
        assert at.warning, "a bad flow or mistake gets a notice"
    assert at.query_params.get("flow") in FLOW_STEPS


@SLOW
@given(
    st.dictionaries(
        st.sampled_from(["token", "access_token", "id_token", "jwt", "refresh_token", "other"]),
        nasty,
        min_size=1,
        max_size=3,
    )
)
def test_token_inspector_drops_tokens_from_the_url(params: dict[str, str]) -> None:
    at = run_page("tokens", params)
    assert_clean(at)
    for name in params:
        if name != "other":
            assert name not in at.query_params
    if set(params) - {"other"}:
        assert any("URL" in w.value or "url" in w.value for w in at.warning)


def inspected(text: str):
    """Paste ``text`` into the token box and press Inspect, as a visitor would; the rerun has finished."""
    at = run_page("tokens")
    at.text_area(key="tokens_input").input(text)
    next(b for b in at.button if b.label == "Inspect").click()
    at.run()
    assert_clean(at)
    # Inspect really ran: what was pasted is the token the page now shows.
    assert "tokens_current" in at.session_state, "the form was not submitted"
    assert at.session_state["tokens_current"] == text
    return at


@SLOW
@given(nasty)
def test_token_inspector_pasted_text(text: str) -> None:
    at = inspected(text)
    decoded = decode(text)
    if decoded.ok:
        assert html_tables(at), "a token that decodes is shown field by field"
    else:
        # One short sentence says what is wrong with it, and nothing else is shown.
        assert [e.value for e in at.error] == [decoded.problem]
        assert len(decoded.problem) < 200 and "Traceback" not in decoded.problem
        assert not at.table and not html_tables(at)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste a token first: the box is empty."),
        (" ", "Paste a token first: the box is empty."),
        ("<script>alert(1)</script>", NO_DOTS),
        ("[x](javascript:alert(1))", NO_DOTS),
        ("a" * 5000, NO_DOTS),
        (
            "../../etc/passwd",
            "This has five parts, so it is an encrypted JWT (JWE): only the holder of the decryption key can read it.",
        ),
        ("a.b.c", "The header is not valid base64url (only letters, digits, - and _ may appear)."),
        ("e30.W10.sig", "The payload is JSON but not an object (it must be {...})."),
    ],
)
def test_token_inspector_says_what_is_wrong_with_a_paste(text: str, message: str) -> None:
    at = inspected(text)
    assert [e.value for e in at.error] == [message]
    assert not at.table and not html_tables(at)


@SLOW
@given(st.fixed_dictionaries({"signin": nasty, "unattended": nasty, "client": nasty}))
def test_review_query_parameters(params: dict[str, str]) -> None:
    at = run_page("review", params)
    assert_clean(at)
    assert len(at.warning) >= len(parse_answers(params).notices)


@pytest.fixture
def no_dns(monkeypatch):
    """No name resolves and private addresses are refused: nothing the fuzz types leaves this machine."""

    def refuse(host: str, port: int) -> list[str]:
        raise outbound.NameNotFound(f"The name {host} could not be found.")

    monkeypatch.setattr(outbound, "resolve", refuse)
    monkeypatch.setenv("FLOWGUIDE_ALLOW_PRIVATE", "0")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
    ],  # the patch is the same each time
)
@given(instance=nasty, flow=nasty)
def test_connect_instance_url_and_flow(no_dns, instance: str, flow: str) -> None:
    at = run_page("connect", {"flow": flow})
    assert_clean(at)
    at.text_input(key="connect_instance").input(instance)
    at.button[0].click().run()
    assert_clean(at)
    assert at.error, "a URL that cannot be fetched gets one clear sentence"
    assert all(len(e.value) < 600 and "Traceback" not in e.value for e in at.error)
