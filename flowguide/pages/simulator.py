"""/simulator: run a flow for real, one step per Next, against this browser session's own sandbox.

Deep link: ``/simulator?flow=<flow id>&mistake=<mistake id>&app=<choice>&step=<number or step id>``;
on load the walk is replayed to ``step`` against a fresh sandbox, and the URL follows the visitor's
Next and Back, so a reload keeps the place. Bad values get a notice and fall back. The URL only ever
names the flow, the mistake, the application and the step: codes, verifiers, secrets and tokens live
in this session's memory (st.session_state), never in the URL, a cache or a log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from flowguide import content
from flowguide.client import MISTAKE_APPS, UserCredentials
from flowguide.pages import exchange_view as xv
from flowguide.pages import step_view as views
from flowguide.pages import ui
from flowguide.pages.session import get_sandbox, reset_sandbox
from flowguide.pages.session_view import ClockPart, session_panel
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
    resolve_step,
)
from flowguide.tokens import duration

SIM_KEY = "sim_simulation"
FLOW_KEY, APP_KEY, MISTAKE_KEY, REVEAL_KEY = "sim_flow", "sim_app", "sim_mistake", "sim_reveal"
PAGE_KEY = "sim_page"
NO_MISTAKE = "none"
# The header Streamlit draws over the page is 3.75rem tall; embedded, there is none. The bar's wrapper is
# what sticks (the bar fills it); its ancestors take the app's background, so the bar hides what scrolls under it.
# Beside the step the diagram fits its column: a sticky panel that scrolls sideways would hide lifelines.
# The column stops sticking where its row ends, 10rem above the page's end: short enough, it stays whole.
LAYOUT_CSS = """<style>
[data-testid='stLayoutWrapper']:has(> .st-key-sim_controls){position:sticky;top:%(top)s;z-index:20;
  background-color:inherit;padding:.35rem 0;border-bottom:1px solid rgba(128,128,128,.35)}
[data-testid='stApp'] :has(.st-key-sim_controls){background-color:inherit}
@media (min-width:640px){
  [data-testid='stColumn']:has(.st-key-sim_side){position:sticky;top:calc(%(top)s + 4rem);align-self:flex-start;
    max-height:calc(100vh - %(top)s - 14rem);overflow-y:auto}
}
</style>"""


# --- query parameters and choices -------------------------------------------------------------------


def _go(flow: str, mistake: str | None, choice: str | None = None) -> None:
    st.query_params["flow"] = flow
    for name, value in (("mistake", mistake), ("app", choice)):
        if value:
            st.query_params[name] = value
        elif name in st.query_params:
            del st.query_params[name]


def _mark_position(sim: Simulation) -> None:
    """The URL names the step shown (a number, as the page counts), so a reload comes back to it."""
    if sim.position:
        st.query_params["step"] = str(sim.position)
    elif "step" in st.query_params:
        del st.query_params["step"]


def _start_over(flow: str, mistake: str | None, choice: str | None = None) -> None:
    # Another flow, mistake or application is a new run: it starts at its beginning.
    _go(flow, mistake, choice)
    if "step" in st.query_params:
        del st.query_params["step"]


def _flow_chosen() -> None:
    _start_over(st.session_state[FLOW_KEY], None)


def _mistake_chosen() -> None:
    chosen = st.session_state[MISTAKE_KEY]
    _start_over(st.query_params.get("flow", st.session_state[FLOW_KEY]), None if chosen == NO_MISTAKE else chosen)


def _app_chosen() -> None:
    _start_over(st.query_params.get("flow", st.session_state[FLOW_KEY]), None, st.session_state[APP_KEY])


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


def _follow_the_url(sim: Simulation) -> None:
    """Replay the walk to the step the URL names (a link, a reload); without one, stay where the visitor is."""
    wanted, notice = resolve_step(st.query_params.get("step"), sim.steps)
    if notice:
        st.warning(notice, icon=":material/link_off:")
        sim.go_to(0)
    elif "step" in st.query_params and wanted != sim.position:
        reached = sim.go_to(wanted)
        if reached < wanted:
            st.info(f"This run stops at step {reached}, before step {wanted}; here is where it stopped.")
    _mark_position(sim)


# --- buttons ---------------------------------------------------------------------------------------------


def _sim() -> Simulation:
    return st.session_state[SIM_KEY]


def _next() -> None:
    credentials = UserCredentials(
        st.session_state.get(f"{PAGE_KEY}_username", "david"), st.session_state.get(f"{PAGE_KEY}_password", "demo")
    )
    _sim().next(credentials, "allow")
    _mark_position(_sim())


def _deny() -> None:
    _sim().next(decision="deny")
    _mark_position(_sim())


def _back() -> None:
    _sim().back()
    _mark_position(_sim())


def _reset() -> None:
    sim = st.session_state.pop(SIM_KEY, None)
    # A fresh sandbox: new keys, a clock back at the present, no codes or tokens from before.
    sandbox = reset_sandbox()
    if isinstance(sim, Simulation):
        sim.close()
        # Reset reruns only the stepper fragment, which needs a simulation to show: the same choice, afresh.
        st.session_state[SIM_KEY] = Simulation(sandbox, sim.flow, sim.client_id, sim.mistake)
    if "step" in st.query_params:
        del st.query_params["step"]


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


def _what_comes_next(sim: Simulation) -> None:
    """After the step: how the run ended, or the next step and, when it is the person's, their page."""
    if sim.finished and sim.at_latest:
        st.divider()
        views.outcome(sim)
        return
    number = sim.upcoming or sim.position
    title = content.flows()[sim.flow].steps[number - 1].title
    # The rule above it in the same element: one element fewer for every Next to send and draw.
    st.markdown(f"---\n\n**What comes next:** step {number} of {len(sim.steps)}, *{title}*")
    if sim.pending_step in SIGN_IN_STEPS | CONSENT_STEPS:
        _your_turn(sim)
        return
    verb = "Show" if not sim.at_latest else "Run"
    st.button(f"{verb} step {number}", key="sim_next_below", icon=":material/arrow_forward:", on_click=_next)


def _clock_head(sim: Simulation) -> None:
    st.markdown("**Sandbox clock**")
    moved = f" · moved forward {duration(sim.clock_moved)}" if sim.clock_moved else ""
    st.caption(
        f"Sandbox time {xv.moment(sim.now())}{moved}. Access tokens live one hour: move the clock past it "
        "and call the API to see the 401 an app meets; the Refresh tokens flow shows how it recovers."
    )


def _clock_buttons(sim: Simulation, row: Any) -> None:
    has_token = bool(sim.lane_token("web app") or sim.lane_token("service"))
    row.button(
        "Clock +1 hour",
        key="sim_clock_hour",
        icon=":material/update:",
        on_click=_advance_clock,
        help="Move this sandbox's clock forward one hour: codes and tokens age as if it had passed.",
    )
    row.button(
        "Call the API now",
        key="sim_probe",
        icon=":material/send:",
        on_click=_probe,
        disabled=not has_token,
        help="GET the API with the access token the app holds now." if has_token else "No access token yet.",
    )


def _probe_result(sim: Simulation, reveal: bool) -> None:
    if sim.probes:
        probe = sim.probes[-1]
        who = xv.who_acts(sim.lane_claims(probe.lane))
        body = probe.exchange.response_json()
        rows = body.get("value") if isinstance(body, dict) else None
        xv.api_result_view(probe.exchange, rows, who)
        xv.exchange_view(probe.exchange, reveal=reveal, key="sim_x_probe")


def _clock_panel(sim: Simulation, reveal: bool) -> None:
    """The sandbox clock, sessions and licence slots: one box, one row of buttons."""
    clock = ClockPart(
        head=lambda: _clock_head(sim),
        buttons=lambda row: _clock_buttons(sim, row),
        tail=lambda: _probe_result(sim, reveal),
    )
    session_panel(sim, reveal, clock=clock)


def _controls(sim: Simulation) -> bool:
    """Back, Next, where the walk is, Reset and Reveal, in one compact bar that stays in view; returns Reveal."""
    with st.container(key="sim_controls", horizontal=True, vertical_alignment="center", gap="small"):
        st.button("Back", key="sim_back", icon=":material/arrow_back:", disabled=not sim.can_back, on_click=_back)
        st.button(
            "Next",
            key="sim_next",
            icon=":material/arrow_forward:",
            type="primary",
            disabled=not sim.can_next,
            on_click=_next,
        )
        shown = sim.position
        st.markdown(f"Step **{shown}** of {len(sim.steps)}" if shown else f"{len(sim.steps)} steps", width="content")
        st.button("Reset", key="sim_reset", icon=":material/restart_alt:", on_click=_reset)
        return st.toggle(
            "Reveal secrets",
            key=REVEAL_KEY,
            help="Codes, verifiers, secrets and tokens are masked. They never leave this session.",
        )


def _link_params(sim: Simulation, choice: str | None) -> dict[str, str]:
    params = {"flow": sim.flow} | ({"mistake": sim.mistake} if sim.mistake else {})
    params |= {"app": choice} if choice else {}
    return params | ({"step": str(sim.position)} if sim.position else {})


def _link_title(sim: Simulation) -> str:
    narrative = content.flows()[sim.flow]
    what = f": {content.mistakes()[sim.mistake].title}" if sim.mistake else ", run live"
    shown = narrative.step(sim.current.step) if sim.current else None
    return narrative.title + what + (f", step {sim.position}: {shown.title}" if shown else "")


def _step_panel(sim: Simulation, reveal: bool) -> None:
    if sim.current is None:
        views.before_start(sim)
    else:
        views.step_view(sim, sim.viewing, sim.current, reveal)


def _coming_panel(sim: Simulation, _reveal: bool) -> None:
    _what_comes_next(sim)


def _link_panel(sim: Simulation, _reveal: bool) -> None:
    # In a documentation page's iframe the page is part of that page: no address to copy.
    if not st.context.is_embedded:
        # Sent only once opened: it changes at every step, and its code blocks cost every Next otherwise.
        ui.link_to_this(_link_title(sim), "simulator", _link_params(sim, st.query_params.get("app")), on_demand=True)


def _diagram_panel(sim: Simulation, _reveal: bool) -> None:
    run = ui.run_diagram(sim)
    ui.diagram_view(sim.flow, sim.highlight_step, key="simulator", exports=False, on_demand=True, **run)
    if sim.highlight_step:
        views.arrows_of_step(sim.flow, sim.highlight_step, **run)


Panel = Callable[[Simulation, bool], None]
# The panels beside and under the step, in order: (container key, view of the run and Reveal). Each is drawn
# in its own keyed container, so every step has the same elements in the same places and the browser patches
# the panels a step changes instead of remounting everything below one that grew. Add a panel here.
STEP_PANELS: tuple[tuple[str, Panel], ...] = (
    ("sim_step", _step_panel),
    ("sim_lanes", lambda sim, _reveal: views.lanes(sim)),
    ("sim_coming", _coming_panel),
    ("sim_clock", _clock_panel),
    ("sim_link", _link_panel),
)
SIDE_PANELS: tuple[tuple[str, Panel], ...] = (("sim_side", _diagram_panel),)
# Panels drawn only in some flows (every element sent costs the server and the browser at each Next).
PANEL_FLOWS = {"sim_lanes": {"hybrid"}}


def _panels(sim: Simulation, reveal: bool, panels: tuple[tuple[str, Panel], ...]) -> None:
    for key, panel in panels:
        if sim.flow not in PANEL_FLOWS.get(key, {sim.flow}):
            continue  # a panel some flows never show: each flow still has the same panels at every step
        with st.container(key=key):
            panel(sim, reveal)


@st.fragment
def stepper() -> None:
    """The bar, the step shown, what comes next, the diagram; Next reruns only this part of the page."""
    sim = _sim()
    reveal = _controls(sim)
    detail, chart = st.columns([5, 4], gap="medium")
    with detail:
        _panels(sim, reveal, STEP_PANELS)
    with chart:
        _panels(sim, reveal, SIDE_PANELS)


# --- the page -----------------------------------------------------------------------------------------------

narratives = content.flows()
st.html(LAYOUT_CSS % {"top": "0rem" if st.context.is_embedded else "3.75rem"})
selection = resolve_selection(st.query_params.get("flow"), st.query_params.get("mistake"), st.query_params.get("app"))
if selection.notice:
    st.warning(selection.notice, icon=":material/link_off:")
# The URL names the flow, the mistake, the application and the step shown, so it can be shared; nothing else.
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

_follow_the_url(_simulation(selection.flow, client_id, selection.mistake))
stepper()
