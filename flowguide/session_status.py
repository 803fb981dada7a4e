"""What the simulator shows of the instance's sessions and licence slots, as plain data (no Streamlit).

``licence_status`` reads one sandbox's session table beside the tokens a run holds: which session each
token's calls go to (or that it has none yet), the other sessions holding slots, and the ones that
ended since the run started, with why (auth/sessions/*.md). The clock is the sandbox's, so the
status moves when the visitor moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flowguide.sandbox.sessions import NEW_RUN, Session
from flowguide.tokens import unverified_claims
from flowguide.transcript import Exchange, send_and_record

# Ended sessions shown at most, newest first.
ENDED_SHOWN = 3


@dataclass(frozen=True)
class SessionLine:
    """One open session: who it acts as and its timers."""

    id: str
    who: str
    client_id: str
    service: bool
    opened_at: int
    last_call_at: int
    closes_at: int
    hard_end: int | None
    calls: int
    # Opened by the same application as the run's, with a token it no longer holds.
    same_app: bool = False

    @property
    def label(self) -> str:
        return f"Session {self.id}"


@dataclass(frozen=True)
class TokenLine:
    """An access token the run holds, and the session its calls go to (None: its next call opens one)."""

    part: str
    holder: str
    session: SessionLine | None


@dataclass(frozen=True)
class EndedLine:
    label: str
    who: str
    ended_at: int
    because: str


@dataclass(frozen=True)
class LicenceStatus:
    now: int
    slots: int
    used: int
    tokens: tuple[TokenLine, ...]
    others: tuple[SessionLine, ...]
    ended: tuple[EndedLine, ...]

    @property
    def full(self) -> bool:
        return self.used >= self.slots


def clock_time(timestamp: int) -> str:
    """A sandbox time as the panel shows it: hours, minutes and seconds, UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M:%S")


def _who(session: Session) -> str:
    return f"System User {session.identity}" if session.service else f"user {session.identity}"


def _line(session: Session, app_client_id: str = "") -> SessionLine:
    return SessionLine(
        id=session.id,
        who=_who(session),
        client_id=session.client_id,
        service=session.service,
        opened_at=session.opened_at,
        last_call_at=session.last_call_at,
        closes_at=session.expires_at,
        hard_end=session.absolute_end,
        calls=session.calls,
        same_app=session.client_id == app_client_id,
    )


def _holder(part: str, claims: dict[str, Any]) -> str:
    if "client_system_user" in claims:
        return f"The {part}'s token (System User {claims['client_system_user']})"
    return f"The {part}'s token ({claims.get('name') or claims.get('sub', 'a user')})"


def licence_status(sandbox: Any, held: dict[str, str], app_client_id: str = "") -> LicenceStatus:
    """The sessions and slots of ``sandbox`` now, beside the access tokens ``held`` (part -> token)."""
    table = sandbox.state.sessions
    open_now = table.open_sessions()
    tokens: list[TokenLine] = []
    mine: set[str] = set()
    for part, token in held.items():
        claims = unverified_claims(token)
        session = table.session_of(claims)
        if session is not None:
            mine.add(session.key)
        tokens.append(TokenLine(part, _holder(part, claims), _line(session) if session else None))
    ended = [s for s in reversed(table.ended) if s.ended_because != NEW_RUN][:ENDED_SHOWN]
    return LicenceStatus(
        now=sandbox.clock.now(),
        slots=table.slots,
        used=len(open_now),
        tokens=tuple(tokens),
        others=tuple(_line(s, app_client_id) for s in open_now if s.key not in mine),
        ended=tuple(EndedLine(f"Session {s.id}", _who(s), s.ended_at or 0, s.ended_because or "") for s in ended),
    )


# The part of the application that holds each token (as the page names it), and the simulation's lane for it.
PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "hybrid": (("web app", "web app"), ("service", "service")),
    "client_credentials": (("service", "service"),),
}
ONE_APP = (("app", "web app"),)


def held_tokens(sim: Any) -> dict[str, str]:
    """The access tokens a simulation's application holds now, by the part that holds them."""
    return {part: token for part, lane in PARTS.get(sim.flow, ONE_APP) if (token := sim.lane_token(lane))}


def sign_out(sim: Any) -> Exchange | None:
    """The person signs out at end session with the sign-in's ID token as the hint, for real.

    auth/sessions/session-revocation.md: the identity service ends the sign-in's session and frees its
    licence slot at once; the access token stays valid, so its next API call opens a new session.
    None when the run holds no ID token (no openid asked) or the provider published no end session.
    """
    id_token = sim.run.auth.tokens.id_token
    endpoint = sim.run.discovery.get("end_session_endpoint")
    if not id_token or not endpoint:
        return None
    request = sim.run.http.build_request("GET", endpoint, params={"id_token_hint": id_token})
    _, exchange = send_and_record(sim.run.http, request, actor="browser", label="end session (sign out)")
    return exchange
