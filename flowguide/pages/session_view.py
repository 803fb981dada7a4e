"""The simulator's session and licence panel: the sessions the tokens opened, the slots they hold, the clock.

``session_panel(sim)`` draws it beside the tokens (after the clock panel); it reads the sandbox's session
table through ``flowguide.session_status``, so it moves when the clock moves. What it shows is the
product's behaviour (auth/sessions/*.md): a token takes a slot on its first API call, the session slides
20 minutes, a service's session ends an hour after it opened, and a valid token is refused when no
slot is free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from flowguide.content import docs_url
from flowguide.pages.inert import md_literal, md_text
from flowguide.session_status import (
    LicenceStatus,
    SessionLine,
    TokenLine,
    clock_time,
    held_tokens,
    licence_status,
    sign_out,
)
from flowguide.simulation import Simulation
from flowguide.tokens import duration

TWENTY_MINUTES = 20 * 60
SIGNED_OUT_KEY = "sim_signed_out"
DOC_PAGE = "auth/sessions/token-session-relationship.md"
HYBRID_NOTE = (
    "In a hybrid, community users who use the app through this backend take no licence of their own: they work "
    "through the service's one System User session."
)


def _closes(line: SessionLine) -> str:
    text = f"**{clock_time(line.closes_at)}**"
    return text + (f" (**{clock_time(line.hard_end)}** at the latest)" if line.hard_end is not None else "")


def _token_words(token: TokenLine, full: bool) -> str:
    holder = f"**{md_text(token.holder)}**"
    line = token.session
    if line is not None:
        calls = "1 call" if line.calls == 1 else f"{line.calls} calls"
        return (
            f"{holder} → {md_literal(line.label)} as {md_text(line.who)}: opened {clock_time(line.opened_at)}, "
            f"last call {clock_time(line.last_call_at)} ({calls}); closes at {_closes(line)} unless called again."
        )
    if full:
        return f"{holder}: no session, and none can open: every licence slot is held. The token itself is valid."
    return f"{holder}: no session yet. Its next API call opens one and takes a licence slot."


def _others_list(others: tuple[SessionLine, ...]) -> str:
    rows = (
        f"- {md_literal(o.label)} · {md_text(o.who)} · opened by "
        f"{'an earlier token of this app' if o.same_app else md_literal(o.client_id)} · closes {_closes(o)}"
        for o in others
    )
    return "**Other open sessions, each holding a slot**\n" + "\n".join(rows)


def _status_lines(status: LicenceStatus) -> list[str]:
    lines = [_token_words(t, status.full) for t in status.tokens]
    if not status.tokens:
        lines.append("No access token yet: getting one takes no licence; its first API call will.")
    if status.others:
        lines.append(_others_list(status.others))
    if status.ended:
        ended = (
            f"- {md_literal(e.label)} ({md_text(e.who)}) ended {clock_time(e.ended_at)}: {e.because}."
            for e in status.ended
        )
        lines.append("**Ended, slot freed**\n" + "\n".join(ended))
    return lines


def _sign_out(sim: Simulation) -> None:
    exchange = sign_out(sim)
    # What the page says about it: the status only; the request carried the ID token, which stays in memory.
    st.session_state[SIGNED_OUT_KEY] = (id(sim), exchange.status if exchange else None)


def _sign_out_result(sim: Simulation) -> None:
    done = st.session_state.get(SIGNED_OUT_KEY)
    if not done or done[0] != id(sim):
        return
    if done[1] == 200:
        st.caption(
            "Signed out: GET /id/connect/endsession with the ID token as id_token_hint answered 200, the session "
            "ended and its slot is free. The access token is still valid, so its next API call opens a new session."
        )
    else:
        st.caption(f"End session answered {done[1]}.")


@dataclass(frozen=True)
class ClockPart:
    """What the simulator's clock adds to this panel: lines above it, buttons in its row, results under it."""

    head: Callable[[], None]
    buttons: Callable[[Any], None]
    tail: Callable[[], None]


def session_panel(sim: Simulation, reveal: bool = False, *, clock: ClockPart | None = None) -> None:
    """The session and licence of the tokens the run holds, at the sandbox's time now; with ``clock``, the
    sandbox clock's part in the same box and row (one box and one row fewer for every Next to send and draw).

    ``reveal`` is the simulator's panel signature; this panel shows no secret, so it is not used.
    """
    status = licence_status(sim.sandbox, held_tokens(sim), sim.app.client_id)
    with st.container(border=True, key="sim_sessions"):
        if clock is not None:
            clock.head()
        st.markdown("**Session and licence**")
        taken = " · all taken" if status.full else ""
        text = f"Licence slots in use: {status.used} of {status.slots}{taken} · sandbox time {clock_time(status.now)}"
        st.progress(min(status.used / status.slots, 1.0), text=text)
        st.markdown("\n\n".join(_status_lines(status)))
        if sim.flow == "hybrid":
            st.caption(HYBRID_NOTE)
        # Service applications have no sign-out: their sessions only time out (session-revocation.md).
        row = st.container(horizontal=True, gap="small")
        if clock is not None:
            clock.buttons(row)
        row.button(
            f"Clock +{duration(TWENTY_MINUTES)}",
            key="sim_clock_twenty",
            icon=":material/timer:",
            on_click=sim.advance_clock,
            args=(TWENTY_MINUTES,),
            help="Move this sandbox's clock forward 20 minutes: a session with no call in that time closes.",
        )
        if sim.flow != "client_credentials":
            can_sign_out = bool(sim.run.auth.tokens.id_token)
            row.button(
                "Sign out (end session)",
                key="sim_sign_out",
                icon=":material/logout:",
                on_click=_sign_out,
                args=(sim,),
                disabled=not can_sign_out,
                help="The person signs out at end session: their session ends and its slot frees."
                if can_sign_out
                else "No ID token to sign out with: this app asked for no openid scope.",
            )
        if clock is not None:
            clock.tail()
        _sign_out_result(sim)
        st.caption(
            "A token takes a licence slot only when its first API call opens a session; a session closes 20 minutes "
            f"after its last call, a service's an hour after it opened at the latest. [How tokens and sessions "
            f"relate]({docs_url(DOC_PAGE)})"
        )
