"""/simulator: run a flow for real, one step per Next, against this browser session's own sandbox.

Deep link: ``/simulator?flow=<flow id>&mistake=<mistake id>``; bad values get a notice and fall back.
The URL only ever names the flow and the mistake: codes, verifiers, secrets and tokens live in this
session's memory (st.session_state), never in the URL, a cache or a log.
"""

from __future__ import annotations

import streamlit as st

from flowguide import content
from flowguide.client import MISTAKE_APPS, UserCredentials
from flowguide.pages import exchange_view as xv
from flowguide.pages import step_view as views
from flowguide.pages import ui
from flowguide.pages.session import get_sandbox, reset_sandbox
from flowguide.simulation import (
    APP_CHOICES,
    APP_NAMES,
    CONSENT_STEPS,
    FLOW_ORDER,
    ONE_HOUR,
    SIGN_IN_STEPS,
    Simulation,
    app_for,
    mistakes_for,
    resolve_selection,
)
from flowguide.tokens import duration

SIM_KEY = "sim_simulation"
FLOW_KEY, APP_KEY, MISTAKE_KEY, REVEAL_KEY = "sim_flow", "sim_app", "sim_mistake", "sim_reveal"
PAGE_KEY = "sim_page"
NO_MISTAKE = "none"


# --- query parameters and choices -------------------------------------------------------------------


def _go(flow: str, mistake: str | None, choice: str | None = None) -> None:
    st.query_params["flow"] = flow
    for name, value in (("mistake", mistake), ("app", choice)):
        if value:
            st.query_params[name] = value
        elif name in st.query_params:
            del st.query_params[name]


def _flow_chosen() -> None:
    _go(st.session_state[FLOW_KEY], None)


def _mistake_chosen() -> None:
    chosen = st.session_state[MISTAKE_KEY]
    _go(st.query_params.get("flow", st.session_state[FLOW_KEY]), None if chosen == NO_MISTAKE else chosen)


def _app_chosen() -> None:
    _go(st.query_params.get("flow", st.session_state[FLOW_KEY]), None, st.session_state[APP_KEY])


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


def _clock_panel(sim: Simulation, reveal: bool) -> None:
    with st.container(border=True):
        st.markdown("**Sandbox clock**")
        moved = f" · moved forward {duration(sim.clock_moved)}" if sim.clock_moved else ""
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
    views.outcome(sim)
    if sim.flow == "hybrid":
        views.lanes(sim)
    chart, detail = st.columns([2, 3], gap="medium")
    with chart:
        ui.diagram_view(sim.flow, sim.highlight_step, key="simulator", exports=False)
        views.arrows_of_step(sim.flow, sim.highlight_step)
    with detail:
        if sim.at_latest:
            _your_turn(sim)
        if sim.current is None:
            views.before_start(sim)
        else:
            views.step_view(sim, sim.viewing, sim.current, reveal)
        _clock_panel(sim, reveal)


# --- the page -----------------------------------------------------------------------------------------------

narratives = content.flows()
selection = resolve_selection(st.query_params.get("flow"), st.query_params.get("mistake"), st.query_params.get("app"))
if selection.notice:
    st.warning(selection.notice, icon=":material/link_off:")
# The URL names the flow, the mistake and the application shown, so it can be shared; nothing else goes in it.
_go(selection.flow, selection.mistake, selection.choice)

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
choices = APP_CHOICES.get(selection.flow, {})
forced = app_for(selection.flow, None, selection.mistake)
if choices and selection.mistake not in MISTAKE_APPS:
    if selection.choice:
        st.session_state[APP_KEY] = selection.choice
    elif st.session_state.get(APP_KEY) not in choices:
        st.session_state.pop(APP_KEY, None)
    client_id = choose_app.selectbox(
        "Application",
        list(choices),
        key=APP_KEY,
        on_change=_app_chosen,
        format_func=lambda c: choices[c].label,
        help=" ".join(f"**{c.label}**: {c.when}" for c in choices.values()),
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
link_params |= {"app": selection.choice} if selection.choice else {}
link_title = narratives[selection.flow].title + (
    f": {content.mistakes()[selection.mistake].title}" if selection.mistake else ", run live"
)
ui.link_to_this(link_title, "simulator", link_params)
