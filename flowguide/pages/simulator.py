"""/simulator: run a flow for real, one step per Next, against this browser session's own sandbox.

Deep link: ``/simulator?flow=<flow id>&mistake=<mistake id>``; bad values get a notice and fall back.
The URL only ever names the flow and the mistake: codes, verifiers, secrets and tokens live in this
session's memory (st.session_state), never in the URL, a cache or a log.
"""

from __future__ import annotations

import streamlit as st

from flowguide import content, diagrams
from flowguide.client import DEFAULT_AUDIENCE, MISTAKE_APPS, StepResult, UserCredentials
from flowguide.pages import exchange_view as xv
from flowguide.pages import ui
from flowguide.pages.jwt_view import CHECK_ICONS, jwt_view, md_text
from flowguide.pages.session import get_sandbox, reset_sandbox
from flowguide.simulation import (
    APP_CHOICES,
    APP_NAMES,
    CONSENT_STEPS,
    FLOW_ORDER,
    HYBRID_LANES,
    ONE_HOUR,
    SIGN_IN_STEPS,
    Simulation,
    app_for,
    mistakes_for,
    pkce_computation,
    resolve_selection,
)
from flowguide.tokens import verify

SIM_KEY = "sim_simulation"
FLOW_KEY, APP_KEY, MISTAKE_KEY, REVEAL_KEY = "sim_flow", "sim_app", "sim_mistake", "sim_reveal"
PAGE_KEY = "sim_page"
NO_MISTAKE = "none"
LANE_TITLES = {
    "web app": "Web app · signs David in, acts as David",
    "service": "Nightly service · acts as its System User",
}
SCOPE_ABILITIES = {"read": "read rows (GET)", "update": "create and change rows (POST, PATCH)"}


# --- query parameters and choices -------------------------------------------------------------------


def _go(flow: str, mistake: str | None) -> None:
    st.query_params["flow"] = flow
    if mistake:
        st.query_params["mistake"] = mistake
    elif "mistake" in st.query_params:
        del st.query_params["mistake"]


def _flow_chosen() -> None:
    _go(st.session_state[FLOW_KEY], None)


def _mistake_chosen() -> None:
    chosen = st.session_state[MISTAKE_KEY]
    _go(st.query_params.get("flow", st.session_state[FLOW_KEY]), None if chosen == NO_MISTAKE else chosen)


def _simulation(flow: str, client_id: str | None, mistake: str | None) -> Simulation:
    """This session's simulation, started afresh when the visitor chose another flow, app or mistake."""
    sandbox = get_sandbox()
    sim = st.session_state.get(SIM_KEY)
    wanted = (flow, client_id, mistake)
    same = isinstance(sim, Simulation) and (sim.flow, sim.client_id, sim.mistake) == wanted
    if not same or sim.sandbox is not sandbox:
        if isinstance(sim, Simulation):
            sim.close()
        sim = Simulation(sandbox, flow, client_id, mistake)
        st.session_state[SIM_KEY] = sim
    return sim


# --- buttons ---------------------------------------------------------------------------------------------


def _sim() -> Simulation:
    return st.session_state[SIM_KEY]


def _next() -> None:
    credentials = UserCredentials(
        st.session_state.get(f"{PAGE_KEY}_username", "david"), st.session_state.get(f"{PAGE_KEY}_password", "demo")
    )
    _sim().next(credentials, "allow")


def _deny() -> None:
    _sim().next(decision="deny")


def _back() -> None:
    _sim().back()


def _reset() -> None:
    sim = st.session_state.pop(SIM_KEY, None)
    # A fresh sandbox: new keys, a clock back at the present, no codes or tokens from before.
    sandbox = reset_sandbox()
    if isinstance(sim, Simulation):
        sim.close()
        # Reset reruns only the stepper fragment, which needs a simulation to show: the same choice, afresh.
        st.session_state[SIM_KEY] = Simulation(sandbox, sim.flow, sim.client_id, sim.mistake)


def _advance_clock() -> None:
    _sim().advance_clock(ONE_HOUR)


def _probe() -> None:
    sim = _sim()
    sim.call_api("web app" if sim.lane_token("web app") else "service")


# --- views ----------------------------------------------------------------------------------------------


def _token_views(sim: Simulation, tokens: list[tuple[str, str, str]], key: str) -> None:
    """Each JWT decoded, explained and verified against this sandbox's JWKS."""
    tokens = [t for t in tokens if t[1]]
    if not tokens:
        return
    st.markdown("**The tokens, decoded and verified**")
    now = sim.now()
    jwks = sim.sandbox.jwks()
    for tab, (label, token, audience) in zip(st.tabs([t[0] for t in tokens]), tokens, strict=True):
        with tab:
            verification = verify(token, jwks, issuer=sim.sandbox.issuer, audience=audience, now=now)
            jwt_view(
                token,
                key=f"{key}_{label.replace(' ', '_').lower()}",
                now=now,
                verification=verification,
                source="this session's sandbox JWKS",
            )


def _tokens_of(sim: Simulation, values: dict) -> list[tuple[str, str, str]]:
    return [
        ("Access token", values.get("access_token", ""), DEFAULT_AUDIENCE),
        ("ID token", values.get("id_token", ""), sim.app.client_id),
    ]


def _step_view(sim: Simulation, index: int, result: StepResult, reveal: bool) -> None:
    narrative = content.flows()[sim.flow]
    step = narrative.step(result.step)
    assert step is not None  # the client's step ids are the narrative's (checked by the client tests)
    lane = sim.lane_of(result.step)
    st.subheader(f"{index + 1}. {step.title}")
    if lane:
        st.markdown(f":blue-badge[{LANE_TITLES[lane]}]")
    if not sim.at_latest:
        st.info(
            f"You are looking back at step {index + 1}. The sandbox is not rewound: a code already redeemed "
            "stays redeemed. Next moves forward again; Reset starts over.",
            icon=":material/history:",
        )
    st.markdown(step.narrative)
    values = result.values
    if result.error is not None:
        xv.error_view(result.error, sim.mistake_entry())
    if "code_challenge" in values:
        verifier = values.get("code_verifier", "")
        xv.pkce_view(pkce_computation(verifier, values["code_challenge"]) if verifier else None, reveal=reveal)
    if "state_sent" in values:
        xv.state_view(values["state_sent"], values.get("state_returned", ""))
    if values.get("access_token") and "token_type" in values:
        issued_at = values.get("access_token_claims", {}).get("iat", sim.now())  # when this token was made
        xv.token_response_view(values, reveal=reveal, issued_at=issued_at)
        if "validate" not in sim.steps:
            _token_views(sim, _tokens_of(sim, values), f"sim_{result.step}")
    elif values.get("forwarded_from"):
        st.warning(f"No token request: the job got its token from {values['forwarded_from']}.")
    if result.step == "validate":
        tokens = sim.run.service_tokens if sim.flow == "client_credentials" else sim.run.auth.tokens
        _token_views(
            sim,
            [("Access token", tokens.access_token, DEFAULT_AUDIENCE), ("ID token", tokens.id_token, sim.app.client_id)],
            "sim_validate",
        )
    if "rows" in values and result.exchanges:
        claims = sim.lane_claims(lane or ("service" if sim.flow == "client_credentials" else "web app"))
        xv.api_result_view(result.exchanges[-1], values["rows"], xv.who_acts(claims))
    xv.checks_view(result.checks)
    st.markdown("**What crossed the wire**")
    arrived_at = sim.run.auth.location if result.step.endswith("callback") else ""
    xv.exchanges_view(result.exchanges, reveal=reveal, arrived_at=arrived_at)
    xv.parameters_view(step.parameters)
    xv.links_view([(r.ref, r.url) for r in step.rfc] + [(d.title, d.url) for d in step.docs])


def _before_start(sim: Simulation) -> None:
    narrative = content.flows()[sim.flow]
    first = narrative.steps[0]
    st.subheader("Ready")
    st.markdown(
        f"{narrative.summary}\n\nThe application is `{sim.app.client_id}`. Press **Next** to run step 1, "
        f"*{first.title}*: the client sends a real request to your own sandbox identity service and the "
        "exchange appears here."
    )
    mistake = sim.mistake_entry()
    if mistake is not None:
        steps = [s.id for s in narrative.steps]
        at = steps.index(mistake.step) + 1
        st.warning(
            f"**Mistake: {mistake.title}.** {mistake.wrong} Watch step {at}, *{narrative.step(mistake.step).title}*.",
            icon=":material/bug_report:",
        )


def _your_turn(sim: Simulation) -> None:
    """The identity service's page the browser shows now, for the visitor to answer."""
    step = sim.pending_step
    if step in SIGN_IN_STEPS:
        xv.sign_in_page(sim.app.client_id, key=PAGE_KEY, on_submit=_next, problem=sim.awaiting_sign_in_retry)
    elif step in CONSENT_STEPS:
        authorize = next((r for r in sim.results if "scope" in r.values and "state" in r.values), None)
        scope = authorize.values["scope"] if authorize else sim.app.scope
        user = sim.run.user.username
        # Declining is one of the catalogue's mistakes, shown in the Authorization Code flow.
        on_deny = _deny if sim.flow == "authorization_code" else None
        xv.consent_page(sim.app.client_id, user, scope, key=PAGE_KEY, on_allow=_next, on_deny=on_deny)


def _outcome(sim: Simulation) -> None:
    if not (sim.finished and sim.at_latest):
        return
    if sim.succeeded:
        st.success(
            "Done: every step ran against your sandbox and the API answered **200 OK**. "
            "Back shows earlier steps; Reset runs it again with a fresh sandbox.",
            icon=":material/task_alt:",
        )
    elif (error := sim.run.error) is not None:
        stopped = sim.results[-1].step
        title = content.flows()[sim.flow].step(stopped).title
        st.error(
            f"The run stopped at step {len(sim.results)}, *{title}*, with `{error.code}`. Reset to start again.",
            icon=":material/block:",
        )


def _lanes(sim: Simulation) -> None:
    """The hybrid application's two parts side by side: what each holds and may do at the API."""
    done = {r.step: r for r in sim.results}
    for column, (lane, steps) in zip(st.columns(2, border=True), HYBRID_LANES.items(), strict=True):
        with column:
            st.markdown(f"**{LANE_TITLES[lane]}**")
            lines = []
            for step_id in steps:
                title = content.flows()["hybrid"].step(step_id).title.split(": ", 1)[-1]
                title = title[:1].upper() + title[1:]
                result = done.get(step_id)
                mark = CHECK_ICONS[None] if result is None else CHECK_ICONS[result.ok]
                here = " ← shown" if sim.current is not None and sim.current.step == step_id else ""
                lines.append(f"- {mark} {title}{here}")
            st.markdown("\n".join(lines))
            claims = sim.lane_claims(lane)
            if not claims:
                st.caption("No token yet.")
                continue
            granted = claims.get("scope", "")
            scope = " ".join(granted) if isinstance(granted, list) else str(granted)
            abilities = [SCOPE_ABILITIES[s] for s in scope.split() if s in SCOPE_ABILITIES]
            refresh = (
                "Has a refresh token: renews without David"
                if sim.lane_refresh_token(lane)
                else "No refresh token: asks again with its secret when it needs one"
            )
            facts = [
                f"Token acts as **{md_text(xv.who_acts(claims))}**",
                f"May {', '.join(abilities) or 'do nothing at the API'} (scope {md_text(scope)})",
                refresh,
            ]
            api = done.get(steps[-1])
            if api is not None and api.exchanges:
                facts.append(f"API answered **{api.exchanges[-1].status} {api.exchanges[-1].reason}**")
            st.markdown("\n".join(f"- {fact}" for fact in facts))


def _arrows_of_step(flow: str, step: str) -> None:
    """The highlighted arrows in words, readable however small the chart is drawn."""
    spec = diagrams.load_spec(flow)
    words = diagrams.text_alternative(spec)
    mine = [line for line, message in zip(words, spec.messages, strict=True) if message.step == step]
    if mine:
        st.markdown("**This step on the diagram**\n" + "\n".join(f"- {md_text(line)}" for line in mine))


def _clock_panel(sim: Simulation, reveal: bool) -> None:
    with st.container(border=True):
        st.markdown("**Sandbox clock**")
        moved = f" · moved forward {xv._duration(sim.clock_moved)}" if sim.clock_moved else ""
        st.caption(
            f"Sandbox time {xv.moment(sim.now())}{moved}. Access tokens live one hour: move the clock past it "
            "and call the API to see the 401 an app meets; the Refresh tokens flow shows how it recovers."
        )
        has_token = bool(sim.lane_token("web app") or sim.lane_token("service"))
        forward, call = st.columns(2)
        forward.button(
            "Clock +1 hour",
            key="sim_clock_hour",
            icon=":material/update:",
            on_click=_advance_clock,
            help="Move this sandbox's clock forward one hour: codes and tokens age as if it had passed.",
        )
        call.button(
            "Call the API now",
            key="sim_probe",
            icon=":material/send:",
            on_click=_probe,
            disabled=not has_token,
            help="GET the API with the access token the app holds now." if has_token else "No access token yet.",
        )
        if sim.probes:
            probe = sim.probes[-1]
            who = xv.who_acts(sim.lane_claims(probe.lane))
            body = probe.exchange.response_json()
            rows = body.get("value") if isinstance(body, dict) else None
            xv.api_result_view(probe.exchange, rows, who)
            xv.exchange_view(probe.exchange, reveal=reveal)


@st.fragment
def stepper() -> None:
    """Back, Next, Reset and what the current step did; Next reruns only this part of the page."""
    sim = _sim()
    back, forward, counter, reset, reveal_col = st.columns([1, 1, 1.3, 1, 1.6], vertical_alignment="center")
    back.button(
        "Back", key="sim_back", icon=":material/arrow_back:", disabled=not sim.can_back, on_click=_back, width="stretch"
    )
    forward.button(
        "Next",
        key="sim_next",
        icon=":material/arrow_forward:",
        type="primary",
        disabled=not sim.can_next,
        on_click=_next,
        width="stretch",
    )
    shown = sim.viewing + 1
    counter.markdown(f"Step **{shown}** of {len(sim.steps)}" if shown else f"{len(sim.steps)} steps")
    reset.button("Reset", key="sim_reset", icon=":material/restart_alt:", on_click=_reset, width="stretch")
    reveal = reveal_col.toggle(
        "Reveal secrets",
        key=REVEAL_KEY,
        help="Codes, verifiers, secrets and tokens are masked. They never leave this session.",
    )
    _outcome(sim)
    if sim.flow == "hybrid":
        _lanes(sim)
    chart, detail = st.columns([2, 3], gap="medium")
    with chart:
        ui.diagram_view(sim.flow, sim.highlight_step, key="simulator", exports=False)
        _arrows_of_step(sim.flow, sim.highlight_step)
    with detail:
        if sim.at_latest:
            _your_turn(sim)
        if sim.current is None:
            _before_start(sim)
        else:
            _step_view(sim, sim.viewing, sim.current, reveal)
        _clock_panel(sim, reveal)


# --- the page -----------------------------------------------------------------------------------------------

narratives = content.flows()
selection = resolve_selection(st.query_params.get("flow"), st.query_params.get("mistake"))
if selection.notice:
    st.warning(selection.notice, icon=":material/link_off:")
# The URL names the flow and the mistake shown, so it can be shared; nothing else goes in it.
_go(selection.flow, selection.mistake)

st.title("Live simulator")
st.caption(
    "Every step is a real HTTP exchange between an OAuth client and your own sandbox identity service, "
    "which lives in this browser session only."
)
st.session_state[FLOW_KEY] = selection.flow
st.session_state[MISTAKE_KEY] = selection.mistake or NO_MISTAKE
choose_flow, choose_app, choose_mistake = st.columns(3)
choose_flow.selectbox(
    "Flow", FLOW_ORDER, key=FLOW_KEY, on_change=_flow_chosen, format_func=lambda f: narratives[f].title
)
choices = APP_CHOICES.get(selection.flow, ())
forced = app_for(selection.flow, None, selection.mistake)
if choices and selection.mistake not in MISTAKE_APPS:
    client_id = choose_app.selectbox(
        "Application",
        [c.client_id for c in choices],
        key=APP_KEY,
        format_func=lambda c: APP_NAMES.get(c, c),
    )
else:
    client_id = None
    # Text, not a disabled select box: there is no choice to make, and disabled labels are too faint to read.
    choose_app.markdown(
        f"**Application**  \n{APP_NAMES.get(forced.client_id, forced.client_id)}",
        help="This flow or mistake runs with this application.",
    )
options = [NO_MISTAKE] + [m.id for m in mistakes_for(selection.flow)]
titles = {m.id: m.title for m in mistakes_for(selection.flow)} | {NO_MISTAKE: "None: the flow as it should go"}
choose_mistake.selectbox(
    "Make a mistake", options, key=MISTAKE_KEY, on_change=_mistake_chosen, format_func=titles.__getitem__
)

_simulation(selection.flow, client_id, selection.mistake)
stepper()

link_params = {"flow": selection.flow} | ({"mistake": selection.mistake} if selection.mistake else {})
link_title = narratives[selection.flow].title + (
    f": {content.mistakes()[selection.mistake].title}" if selection.mistake else ", run live"
)
ui.link_to_this(link_title, "simulator", link_params)
