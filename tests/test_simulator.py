"""/simulator through AppTest: every flow to its end, every mistake to its error, the visitor's own
sign-in and consent, Back and Reset, the clock, masking, bad links, and sessions kept apart."""

from __future__ import annotations

import httpx
import pytest
from conftest import run_page
from drawn_markup import markups

from flowguide import content
from flowguide.client import WEB_PORTAL
from flowguide.pkce import s256_challenge
from flowguide.simulation import FLOW_ORDER, Simulation, pkce_computation, resolve_selection

SIM_KEY = "sim_simulation"


def _sim(at) -> Simulation:
    return at.session_state[SIM_KEY]


def _next(at) -> None:
    at.button(key="sim_next").click().run()
    assert not at.exception, at.exception


def _walk(at, limit: int = 20) -> None:
    """Press Next until it is disabled (the run finished or stopped)."""
    for _ in range(limit):
        if at.button(key="sim_next").disabled:
            return
        _next(at)
    pytest.fail("Next never became disabled")


def _texts(at, kind: str) -> str:
    return "\n".join(str(e.value) for e in at.get(kind))


def _marked_on_the_diagram(at) -> str:
    """The diagram's "this step" words (drawn however the diagram view draws the chart)."""
    return next((m for m in markups(at) if "<strong>This step on the diagram</strong>" in m), "")


# --- pure pieces ---------------------------------------------------------------------------------------


def test_pkce_is_computed_as_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    shown = pkce_computation(verifier, s256_challenge(verifier))
    assert shown.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert shown.sha256.hex().startswith("13d31e961a1ad8ec")
    assert shown.matches and shown.ascii_length == 43
    assert not pkce_computation(verifier, "something-else").matches


@pytest.mark.parametrize(
    ("flow", "mistake", "expected_flow", "expected_mistake", "notice"),
    [
        (None, None, "authorization_code", None, None),
        ("refresh", None, "refresh", None, None),
        ("nope", None, "authorization_code", None, "no flow"),
        ("client_credentials", "nope", "client_credentials", None, "no mistake"),
        ("client_credentials", "state_tampered", "authorization_code", "state_tampered", "switched"),
        (None, "rotated_refresh_token", "refresh", "rotated_refresh_token", None),
    ],
)
def test_query_values_resolve_or_fall_back_with_a_notice(flow, mistake, expected_flow, expected_mistake, notice):
    selection = resolve_selection(flow, mistake)
    assert (selection.flow, selection.mistake) == (expected_flow, expected_mistake)
    assert (selection.notice is None) == (notice is None)
    if notice:
        assert notice in selection.notice


# --- every flow, every mistake ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flow", "choice", "client_id"),
    [(f, None, None) for f in FLOW_ORDER]
    + [
        ("authorization_code", "spa", "com.example/spa"),
        ("authorization_code", "web_form_post", "com.example/web-portal"),
    ],
)
def test_every_flow_runs_to_a_200_from_the_api(flow: str, choice: str | None, client_id: str | None) -> None:
    at = run_page("simulator", {"flow": flow})
    assert not at.exception and not at.warning
    if choice:
        at.selectbox(key="sim_app").select(choice).run()
    _walk(at)
    sim = _sim(at)
    assert sim.succeeded, sim.run.error
    assert sim.app.client_id == (client_id or sim.app.client_id)
    assert "API answered **200 OK**" in _texts(at, "success")
    # The API step itself shows its 200 (in the refresh flow it comes before the refused old refresh token).
    for _ in range(len(sim.steps)):
        if "**200 OK**: the API returned" in _texts(at, "success"):
            break
        at.button(key="sim_back").click().run()
    assert "**200 OK**: the API returned" in _texts(at, "success")
    assert _sim(at).current.step.endswith("api_call")


@pytest.mark.parametrize("mistake", list(content.mistakes()))
def test_every_mistake_meets_its_error_with_why_and_fix(mistake: str) -> None:
    entry = content.mistakes()[mistake]
    at = run_page("simulator", {"flow": entry.flow, "mistake": mistake})
    assert not at.exception
    assert at.selectbox(key="sim_mistake").value == mistake
    # One warning only: the mistake announced, no notice about the link.
    assert len(at.warning) == 1 and entry.title in at.warning[0].value
    _walk(at)
    sim = _sim(at)
    assert sim.current.step == entry.step
    assert f"`{entry.error}`" in _texts(at, "error")
    shown = _texts(at, "markdown")
    assert entry.fix in shown and entry.why in shown
    assert entry.rfc[0].url in shown


def test_choosing_a_mistake_puts_it_in_the_url_and_none_takes_it_out() -> None:
    at = run_page("simulator", {"flow": "client_credentials"})
    at.selectbox(key="sim_mistake").select("wrong_client_secret").run()
    assert at.query_params["mistake"] == "wrong_client_secret"
    assert _sim(at).mistake == "wrong_client_secret"
    at.selectbox(key="sim_mistake").select("none").run()
    assert "mistake" not in at.query_params
    assert _sim(at).mistake is None


def test_a_mistake_of_another_flow_switches_to_its_flow() -> None:
    at = run_page("simulator", {"flow": "client_credentials", "mistake": "code_reused"})
    assert "switched" in at.warning[0].value
    assert at.selectbox(key="sim_flow").value == "authorization_code"
    assert at.query_params["flow"] == "authorization_code"


@pytest.mark.parametrize(("query", "notice"), [({"flow": "oops"}, "no flow"), ({"mistake": "oops"}, "no mistake")])
def test_bad_links_get_a_notice_and_the_default(query: dict[str, str], notice: str) -> None:
    at = run_page("simulator", query)
    assert not at.exception
    assert notice in at.warning[0].value
    assert at.selectbox(key="sim_flow").value == "authorization_code"
    assert at.selectbox(key="sim_mistake").value == "none"


# --- the visitor's part ---------------------------------------------------------------------------------------


def test_visitor_signs_in_with_the_form_and_a_wrong_password_can_be_retried() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    _next(at)
    _next(at)
    assert at.text_input(key="sim_page_username").value == "david"
    at.text_input(key="sim_page_password").input("wrong")
    at.button(key="sim_page_submit").click().run()
    assert "not right" in _texts(at, "error")
    assert not at.button(key="sim_next").disabled
    at.text_input(key="sim_page_password").input("demo")
    at.button(key="sim_page_submit").click().run()
    sim = _sim(at)
    assert sim.current.step == "sign_in" and sim.current.ok
    assert at.button(key="sim_page_allow") is not None


def test_a_user_type_the_application_refuses_is_named_not_blamed_on_the_password() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    _next(at)
    _next(at)
    at.text_input(key="sim_page_username").input("petra")
    at.button(key="sim_page_submit").click().run()
    shown = _texts(at, "error")
    assert "ImpersonateAsCommunityUserAllowed" in shown
    assert "password is not right" not in shown


def test_declining_consent_meets_access_denied_with_the_fix() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    for _ in range(3):
        _next(at)
    at.button(key="sim_page_deny").click().run()
    assert "`access_denied`" in _texts(at, "error")
    assert content.mistakes()["consent_declined"].fix in _texts(at, "markdown")
    assert at.button(key="sim_next").disabled
    assert "mistake" not in at.query_params


def test_back_shows_earlier_results_without_running_again_and_reset_starts_over() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    for _ in range(3):
        _next(at)
    at.button(key="sim_back").click().run()
    assert _sim(at).current.step == "authorize"
    assert "looking back" in _texts(at, "info")
    assert _sim(at).highlight_step == "authorize"
    assert "/connect/authorize" in _marked_on_the_diagram(at)
    _next(at)
    assert len(_sim(at).results) == 3 and _sim(at).current.step == "sign_in"
    sandbox = _sim(at).sandbox
    at.button(key="sim_reset").click().run()
    assert _sim(at).results == [] and _sim(at).sandbox is not sandbox
    assert at.button(key="sim_back").disabled


def test_authorize_step_shows_pkce_and_callback_compares_state() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    _next(at)
    _next(at)
    values = _sim(at).current.values
    codes = [c.value for c in at.code]
    assert values["code_challenge"] in codes
    assert "BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))" in _texts(at, "markdown")
    assert values["code_verifier"] not in "\n".join(codes)
    for _ in range(3):
        _next(at)
    values = _sim(at).current.values
    assert values["state_sent"] == values["state_returned"]
    assert [values["state_sent"]] * 2 == [c for c in (c.value for c in at.code) if c == values["state_sent"]]


def test_tokens_are_masked_until_revealed_and_never_reach_the_url() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    _walk(at)
    sim = _sim(at)
    token = sim.run.auth.tokens.access_token
    at.button(key="sim_back").click().run()  # the validate step: tokens decoded and verified
    assert "Valid: every check passed" in _texts(at, "success")
    assert token not in _texts(at, "code") + _texts(at, "markdown")
    at.button(key="sim_back").click().run()  # the token step: the token response and its exchange
    assert token not in _texts(at, "code") + _texts(at, "markdown") + _texts(at, "table")
    at.toggle(key="sim_reveal").set_value(True).run()
    assert token in _texts(at, "code")
    secrets = sim.secrets()
    assert token in secrets and WEB_PORTAL.client_secret in secrets
    shown_in_url = " ".join(str(at.query_params[k]) for k in at.query_params)
    # The URL names the flow and the step shown (the token step, 6 of 8), nothing more.
    assert {k: at.query_params[k] for k in at.query_params} == {"flow": "authorization_code", "step": "6"}
    assert not any(s in shown_in_url for s in secrets)


def test_moving_the_clock_makes_the_api_answer_401() -> None:
    at = run_page("simulator", {"flow": "client_credentials"})
    assert at.button(key="sim_probe").disabled
    _walk(at)
    at.button(key="sim_probe").click().run()
    assert "**200 OK**" in _texts(at, "success")
    at.button(key="sim_clock_hour").click().run()
    at.button(key="sim_probe").click().run()
    assert "**401 Unauthorized**" in _texts(at, "error")
    assert "invalid_token" in _texts(at, "error")


def test_refresh_flow_shows_the_401_then_the_old_refresh_token_refused() -> None:
    at = run_page("simulator", {"flow": "refresh"})
    _next(at)
    _next(at)
    assert _sim(at).current.step == "expire"
    assert "401" in _texts(at, "info") and "invalid_token" in _texts(at, "info")
    _walk(at)
    assert "HTTP 400" in _texts(at, "info") and "`invalid_grant`" in _texts(at, "info")


def test_hybrid_shows_two_lanes_and_what_each_token_acts_as() -> None:
    at = run_page("simulator", {"flow": "hybrid"})
    _walk(at)
    lanes = _texts(at, "markdown")
    assert "Web app · signs David in" in lanes and "Nightly service · acts as its System User" in lanes
    assert "Has a refresh token" in lanes and "No refresh token" in lanes
    assert "the System User" in lanes and "sub david" in lanes


# --- sessions kept apart ------------------------------------------------------------------------------------------


def test_two_sessions_cannot_redeem_each_others_codes() -> None:
    a = run_page("simulator", {"flow": "authorization_code"})
    b = run_page("simulator", {"flow": "authorization_code"})
    for _ in range(5):
        _next(a)
    code = _sim(a).run.auth.code
    assert code and _sim(a).sandbox is not _sim(b).sandbox
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": WEB_PORTAL.redirect_uri,
        "code_verifier": _sim(a).run.auth.code_verifier,
        "client_id": WEB_PORTAL.client_id,
        "client_secret": WEB_PORTAL.client_secret,
    }
    with _sim(b).sandbox.http_client() as http:
        response = http.post("/id/connect/token", data=form)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # The same code is still good in its own session.
    _next(a)
    assert _sim(a).current.step == "token" and _sim(a).current.ok


def test_sessions_do_not_share_a_run() -> None:
    a = run_page("simulator", {"flow": "client_credentials"})
    b = run_page("simulator", {"flow": "client_credentials"})
    _walk(a)
    assert _sim(b).results == [] and isinstance(_sim(b).run.http, httpx.Client)


def test_a_link_can_name_the_application_and_a_bad_one_falls_back_with_a_notice() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "app": "spa"})
    assert not at.exception and not at.warning
    assert at.selectbox(key="sim_app").value == "spa"
    assert _sim(at).app.client_id == "com.example/spa"
    assert at.query_params["app"] == "spa"
    bad = run_page("simulator", {"flow": "authorization_code", "app": "![x](http://attacker.example/p.png)"})
    assert not bad.exception
    # The bad value is shown inert, in a code span.
    assert "There is no application `![x](http://attacker.example/p.png)`" in bad.warning[0].value
    assert _sim(bad).app.client_id == "com.example/web-portal"
    assert "app" not in bad.query_params
