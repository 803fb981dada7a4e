"""The simulator's views of a run: one step and what it did, the tokens, the hybrid lanes, the outcome.

The page (flowguide/pages/simulator.py) owns the buttons and the session; these only draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import streamlit as st

from flowguide import content, diagrams
from flowguide.client import StepResult
from flowguide.client.back_channel import expectations
from flowguide.pages import exchange_view as xv
from flowguide.pages.inert import md_text
from flowguide.pages.jwt_view import CHECK_ICONS, jwt_view
from flowguide.pages.markup import own_markdown
from flowguide.pages.reference_view import reference_step_panel
from flowguide.simulation import HYBRID_LANES, Simulation, pkce_computation
from flowguide.tokens import verify

LANE_TITLES = {
    "web app": "Web app · signs David in, acts as David",
    "service": "Nightly service · acts as its System User",
}
SCOPE_ABILITIES = {"read": "read rows (GET)", "update": "create and change rows (POST, PATCH)"}


def token_views(sim: Simulation, tokens: list[tuple[str, str]], key: str) -> None:
    """Each JWT decoded, explained and judged by the same verifier, with the same expectations, as the client."""
    tokens = [t for t in tokens if t[1]]
    if not tokens:
        return
    st.markdown("**The tokens, decoded and verified**")
    now = sim.now()
    jwks = sim.sandbox.jwks()
    # Only the tab the reader has open is drawn (switching reruns): the other token's tables wait until asked for.
    tabs = st.tabs([t[0] for t in tokens], key=f"{key}_tabs", on_change="rerun")
    for tab, (label, token) in zip(tabs, tokens, strict=True):
        if not tab.open:
            continue
        with tab:
            expected = _expectations(sim, label)
            verification = verify(token, jwks, issuer=sim.sandbox.issuer, now=now, **expected)
            if (revoked := sim.revocation(token)) is not None:
                # The verdict knows what only the issuer knows: whether the token was revoked since.
                verification = replace(verification, checks=(*verification.checks, revoked))
            jwt_view(
                token,
                key=f"{key}_{label.replace(' ', '_').lower()}",
                now=now,
                verification=verification,
                source="this session's sandbox JWKS",
            )


def _expectations(sim: Simulation, label: str) -> dict[str, Any]:
    """What the client expects of this token, from the client itself, so the page shows the client's verdict."""
    return expectations(sim.run, "id" if label == "ID token" else "access", sim.app)


def _tokens_of(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Access token", values.get("access_token", "")), ("ID token", values.get("id_token", ""))]


def _tokens_received(sim: Simulation, result: StepResult, reveal: bool) -> None:
    """The token endpoint's answer, field by field (it came over the wire)."""
    values = result.values
    if values.get("access_token") and "token_type" in values:
        issued_at = values.get("access_token_claims", {}).get("iat", sim.now())  # when this token was made
        xv.token_response_view(values, reveal=reveal, issued_at=issued_at)
    elif values.get("forwarded_from"):
        st.warning(f"No token request: the job got its token from {values['forwarded_from']}.")


def _tokens_checked(sim: Simulation, result: StepResult) -> None:
    """The tokens decoded and verified, where the client verifies them (a validate step, or on receipt)."""
    values = result.values
    if result.step == "validate":
        tokens = sim.run.service_tokens if sim.flow == "client_credentials" else sim.run.auth.tokens
        token_views(sim, [("Access token", tokens.access_token), ("ID token", tokens.id_token)], "sim_validate")
    elif values.get("access_token") and "token_type" in values and "validate" not in sim.steps:
        token_views(sim, _tokens_of(values), f"sim_{result.step}")


def _what_crossed_the_wire(sim: Simulation, result: StepResult, lane: str | None, reveal: bool) -> None:
    arrived_at = sim.run.auth.location if result.step.endswith("callback") else ""
    xv.exchanges_view(result.exchanges, reveal=reveal, key=f"sim_x_{result.step}", arrived_at=arrived_at)
    _tokens_received(sim, result, reveal)
    reference_step_panel(result, reveal=reveal)
    if "rows" in result.values and result.exchanges:
        claims = sim.lane_claims(lane or ("service" if sim.flow == "client_credentials" else "web app"))
        # A reference token has no claims to read: the step says whom the API acted as.
        who = result.values.get("acts_as") or xv.who_acts(claims)
        xv.api_result_view(result.exchanges[-1], result.values["rows"], who)


def _what_the_client_checked(sim: Simulation, result: StepResult, reveal: bool) -> None:
    """The client's own part: its checks' verdicts, then PKCE, state and tokens worked through."""
    values = result.values
    xv.checks_view(result.checks)
    if "code_challenge" in values:
        verifier = values.get("code_verifier", "")
        xv.pkce_view(pkce_computation(verifier, values["code_challenge"]) if verifier else None, reveal=reveal)
    if "state_sent" in values:
        xv.state_view(values["state_sent"], values.get("state_returned", ""))
    _tokens_checked(sim, result)


def step_view(sim: Simulation, index: int, result: StepResult, reveal: bool) -> None:
    """One step as it ran, in the order it happened: what it does, what crossed the wire, what the client checked."""
    step = content.flows()[sim.flow].step(result.step)
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
    # Our own words, drawn as HTML made once on the server: the browser parses no Markdown for them. With no
    # error between them, the next heading goes in the same element (one element fewer to send and draw).
    wire = "**What crossed the wire**"
    if result.error is not None:
        own_markdown(step.narrative, key="sim_narrative")
        xv.error_view(result.error, sim.mistake_entry())
        st.markdown(wire)
    else:
        own_markdown(f"{step.narrative}\n\n{wire}", key="sim_narrative")
    _what_crossed_the_wire(sim, result, lane, reveal)
    _what_the_client_checked(sim, result, reveal)
    own_markdown(xv.reference_markdown(step), key="sim_reference")


def before_start(sim: Simulation) -> None:
    """What the run is about, and the mistake this run makes, if any."""
    narrative = content.flows()[sim.flow]
    st.subheader("Ready")
    st.markdown(
        f"{narrative.summary}\n\nThe application is `{sim.app.client_id}`. Each **Next** runs one step: the "
        "client sends a real request to your own sandbox identity service, and what crossed the wire appears here."
    )
    mistake = sim.mistake_entry()
    if mistake is not None:
        steps = [s.id for s in narrative.steps]
        at = steps.index(mistake.step) + 1
        st.warning(
            f"**Mistake: {mistake.title}.** {mistake.wrong} Watch step {at}, *{narrative.step(mistake.step).title}*.",
            icon=":material/bug_report:",
        )


def outcome(sim: Simulation) -> None:
    """How the run ended, once it has and the latest step is shown."""
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


def _lane_steps(sim: Simulation, steps: tuple[str, ...], done: dict[str, StepResult]) -> str:
    lines = []
    for step_id in steps:
        title = content.flows()["hybrid"].step(step_id).title.split(": ", 1)[-1]
        title = title[:1].upper() + title[1:]
        result = done.get(step_id)
        mark = CHECK_ICONS[None] if result is None else CHECK_ICONS[result.ok]
        here = " ← shown" if sim.current is not None and sim.current.step == step_id else ""
        lines.append(f"- {mark} {title}{here}")
    return "\n".join(lines)


def _lane_facts(sim: Simulation, lane: str, claims: dict[str, Any], api: StepResult | None) -> str:
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
    if api is not None and api.exchanges:
        facts.append(f"API answered **{api.exchanges[-1].status} {api.exchanges[-1].reason}**")
    return "\n".join(f"- {fact}" for fact in facts)


def lanes(sim: Simulation) -> None:
    """The hybrid application's two parts side by side: what each holds and may do at the API."""
    done = {r.step: r for r in sim.results}
    for column, (lane, steps) in zip(st.columns(2, border=True), HYBRID_LANES.items(), strict=True):
        with column:
            st.markdown(f"**{LANE_TITLES[lane]}**")
            st.markdown(_lane_steps(sim, steps, done))
            claims = sim.lane_claims(lane)
            if not claims:
                st.caption("No token yet.")
                continue
            st.markdown(_lane_facts(sim, lane, claims, done.get(steps[-1])))


def arrows_of_step(
    flow: str,
    step: str,
    outcome: diagrams.Outcome | None = None,
    variant: str | None = None,
    params: Mapping[str, str] | None = None,
) -> None:
    """The highlighted arrows in words, as the diagram draws them (takes ui.run_diagram's outcome, variant, params)."""
    state = (flow, variant, tuple(sorted((params or {}).items())))
    spec = diagrams.resolved_spec(*state)
    words = diagrams.state_words(*state, diagrams.outcome_key(outcome))
    mine = [line for line, message in zip(words, spec.messages, strict=True) if message.step == step]
    if mine:
        # Our own specs' words, escaped as Markdown all the same (a label may hold `_` or `*`), drawn as HTML.
        listed = "\n".join(f"- {md_text(line)}" for line in mine)
        own_markdown(f"**This step on the diagram**\n\n{listed}", key="sim_arrows")
