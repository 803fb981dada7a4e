"""/flows: walk through one flow step by step, with the sequence diagram highlighting the step.

Deep link: ``/flows?flow=<flow id>&step=<step id>``; bad values get a notice and fall back.
"""

import streamlit as st

from flowguide import content, diagrams
from flowguide.pages import ui

FLOW_KEY, STEP_KEY = "flows_flow", "flows_step"


def _go(flow: str, step: str) -> None:
    st.query_params["flow"] = flow
    st.query_params["step"] = step


def _flow_chosen() -> None:
    flow = st.session_state[FLOW_KEY]
    _go(flow, diagrams.resolve_position(flow, None).step)


def _step_chosen() -> None:
    _go(st.query_params.get("flow", diagrams.DEFAULT_FLOW), st.session_state[STEP_KEY])


narratives = content.flows()
position = diagrams.resolve_position(st.query_params.get("flow"), st.query_params.get("step"))
if position.notice:
    st.warning(position.notice, icon=":material/link_off:")
# The URL always names the flow and step shown, so it can be copied as a deep link.
_go(position.flow, position.step)

narrative = narratives[position.flow]
step = narrative.step(position.step)
assert step is not None  # resolve_position only returns steps of the flow

st.title("Flow walkthrough")
st.session_state[FLOW_KEY] = position.flow
st.session_state[STEP_KEY] = position.step
choose_flow, choose_step = st.columns(2)
choose_flow.selectbox(
    "Flow",
    diagrams.SEQUENCE_IDS,
    key=FLOW_KEY,
    on_change=_flow_chosen,
    format_func=lambda flow_id: narratives[flow_id].title,
)
choose_step.selectbox(
    "Step",
    position.steps,
    key=STEP_KEY,
    on_change=_step_chosen,
    format_func=lambda step_id: f"{position.steps.index(step_id) + 1}. {narrative.step(step_id).title}",
)
st.markdown(narrative.summary)

# Buttons first, so Next stays in one place while the reader steps through.
back, counter, forward, _ = st.columns([1, 1, 1, 3], vertical_alignment="center")
back.button(
    "Back",
    key="flows_back",
    icon=":material/arrow_back:",
    disabled=position.index == 0,
    on_click=_go,
    args=(position.flow, position.moved(-1).step),
    width="stretch",
)
counter.markdown(f"Step **{position.index + 1}** of {len(position.steps)}")
forward.button(
    "Next",
    key="flows_next",
    icon=":material/arrow_forward:",
    type="primary",
    disabled=position.index == len(position.steps) - 1,
    width="stretch",
    on_click=_go,
    args=(position.flow, position.moved(1).step),
)
st.subheader(f"{position.index + 1}. {step.title}")
st.markdown(step.narrative)

ui.diagram_view(position.flow, position.step, key="walkthrough")

matters, more = st.columns(2, gap="large")
with matters:
    if step.parameters:
        st.markdown("**What matters here**")
        st.markdown("\n".join(f"- `{p.name}`: {p.why}" for p in step.parameters))
    if narrative.choices and position.step == "authorize":
        st.markdown("**Which way to ask**")
        st.markdown("\n".join(f"- **{c.label}**: {c.when}" for c in narrative.choices))
with more:
    links = [f"[{r.ref}]({r.url})" for r in step.rfc] + [f"[{d.title}]({d.url})" for d in step.docs]
    if links:
        st.markdown("**Read more**")
        st.markdown("\n".join(f"- {link}" for link in links))
    st.page_link(
        ui.page("simulator"),
        label="Run this live",
        icon=":material/play_circle:",
        query_params={"flow": position.flow},
    )
    for choice in narrative.choices if position.step == "authorize" else ():
        st.page_link(
            ui.page("simulator"),
            label=f"Run it as: {choice.label}",
            icon=":material/play_circle:",
            query_params={"flow": position.flow, "app": choice.id},
            help=choice.when,
        )
    ui.link_to_this(
        f"{narrative.title}, step {position.index + 1}: {step.title}",
        "flows",
        {"flow": position.flow, "step": position.step},
    )
