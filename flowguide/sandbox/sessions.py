"""The instance's sessions and licence slots, as ``auth/sessions/*.md`` describes them.

A token is only authorization: it opens a session, and takes one licence slot, on its first API
call (``token-session-relationship.md``). Later calls reuse the session and slide its 20-minute
inactivity timer; a service's (Client Credentials) session also closes one hour after it opened,
however busy (``overview.md``). A user's session is keyed by the token's ``sid``, "the license-slot
key" (``auth/tokens/access-tokens.md``), so a refreshed access token, which keeps the sign-in's sid,
continues the same session; a service token has no sid, so each token is its own session
(``license-compliance.md``: each service instance keeps its own). Signing out at end session closes
the sign-in's session and frees its slot at once (``session-revocation.md``); revoking a token does
not. With every slot held by an open session, a call with a valid token is refused.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .registry import SessionPolicy

__all__ = ["LicensesExhausted", "Session", "SessionTable", "session_key"]

# Ended sessions the simulator can still show (why and when each slot was freed); older ones are dropped.
ENDED_KEPT = 50
IDLE, ABSOLUTE, SIGNED_OUT = "20 minutes without an API call", "its one hour as a service", "the user signed out"
NEW_RUN = "a new run started in the simulator"


class Clock(Protocol):
    """What the table needs of the sandbox's clock (``state.Clock``)."""

    def now(self) -> int: ...


@dataclass
class Session:
    """One open (or ended) session on the instance: it holds one licence slot while open."""

    id: str
    key: str
    # The user (sub) or, for a service, the System User (client_system_user) the session acts as.
    identity: str
    service: bool
    client_id: str
    opened_at: int
    last_call_at: int
    # A service session's hard end (opened_at + 1 hour); None for a user's session.
    absolute_end: int | None
    sliding: int
    calls: int = 1
    ended_at: int | None = None
    ended_because: str | None = None

    @property
    def expires_at(self) -> int:
        """When the session closes unless another call comes first (and, for a service, at the latest)."""
        idle_end = self.last_call_at + self.sliding
        return idle_end if self.absolute_end is None else min(idle_end, self.absolute_end)

    @property
    def open(self) -> bool:
        return self.ended_at is None

    def why_expired(self) -> str:
        if self.absolute_end is not None and self.absolute_end <= self.last_call_at + self.sliding:
            return ABSOLUTE
        return IDLE


class LicensesExhausted(Exception):
    """No licence slot is free, so no session can be opened for a valid token."""

    def __init__(self, used: int, slots: int) -> None:
        super().__init__(f"{used} of {slots} licence slots are held by open sessions")
        self.used = used
        self.slots = slots


def session_key(claims: Mapping[str, Any]) -> str | None:
    """The licence-slot key of a token: the sign-in's sid for a user, else the token's own jti."""
    key = claims.get("sid") or claims.get("jti")
    return str(key) if key else None


def _identity(claims: Mapping[str, Any]) -> tuple[str, bool]:
    """Who the session acts as, and whether it is a service's (a System User, no person)."""
    if claims.get("sub"):
        return str(claims["sub"]), False
    return str(claims.get("client_system_user", "")), True


class SessionTable:
    """The sessions of one sandbox: at most ``slots`` open at once, each closed on its timers."""

    def __init__(self, policy: SessionPolicy, clock: Clock, lock: threading.RLock, slots: int | None = None) -> None:
        self.policy = policy
        self.slots = slots if slots is not None else policy.license_slots
        self._clock = clock
        self._lock = lock
        self._open: dict[str, Session] = {}
        self.ended: deque[Session] = deque(maxlen=ENDED_KEPT)

    def use(self, claims: Mapping[str, Any]) -> Session | None:
        """An API call with a valid token: reuse and slide its session, or open one (LicensesExhausted if full)."""
        key = session_key(claims)
        if key is None:
            return None
        with self._lock:
            now = self._clock.now()
            self._close_expired(now)
            session = self._open.get(key)
            if session is not None:
                session.last_call_at = now
                session.calls += 1
                return session
            if len(self._open) >= self.slots:
                raise LicensesExhausted(len(self._open), self.slots)
            session = self._new(key, claims, now)
            self._open[key] = session
            return session

    def _new(self, key: str, claims: Mapping[str, Any], now: int) -> Session:
        identity, service = _identity(claims)
        absolute = now + self.policy.service_absolute_expiration if service else None
        return Session(
            id=secrets.token_hex(4).upper(),
            key=key,
            identity=identity,
            service=service,
            client_id=str(claims.get("client_id", "")),
            opened_at=now,
            last_call_at=now,
            absolute_end=absolute,
            sliding=self.policy.sliding_expiration,
        )

    def _close_expired(self, now: int) -> None:
        for session in [s for s in self._open.values() if s.expires_at <= now]:
            self._end(session, session.expires_at, session.why_expired())

    def _end(self, session: Session, at: int, because: str) -> None:
        del self._open[session.key]
        session.ended_at, session.ended_because = at, because
        self.ended.append(session)

    def end_sign_in(self, sid: str, because: str = SIGNED_OUT) -> Session | None:
        """End session (sign-out): the sign-in's session closes and its slot is free at once."""
        with self._lock:
            self._close_expired(self._clock.now())
            session = self._open.get(sid)
            if session is not None:
                self._end(session, self._clock.now(), because)
            return session

    def end_all(self, because: str) -> None:
        """Every session ends at once, as at a server restart (session-revocation.md): every slot is free."""
        with self._lock:
            now = self._clock.now()
            self._close_expired(now)
            for session in list(self._open.values()):
                self._end(session, now, because)

    def open_sessions(self) -> list[Session]:
        """The sessions open now, oldest first (each holds one licence slot)."""
        with self._lock:
            self._close_expired(self._clock.now())
            return sorted(self._open.values(), key=lambda s: s.opened_at)

    def session_of(self, claims: Mapping[str, Any]) -> Session | None:
        """The open session a token's calls go to, or None when its next call would open a new one."""
        key = session_key(claims)
        with self._lock:
            self._close_expired(self._clock.now())
            return self._open.get(key or "")

    @property
    def used(self) -> int:
        return len(self.open_sessions())


def sid_of_id_token_hint(hint: str | None, key: Any) -> str | None:
    """The sign-in (sid) an end-session request's id_token_hint names, if this identity service signed it.

    OpenID Connect RP-Initiated Logout 1.0 §2: the hint may have expired; only its signature counts.
    """
    from joserfc import jwt
    from joserfc.errors import JoseError

    if not hint:
        return None
    try:
        claims = jwt.decode(hint, key, algorithms=["RS256"]).claims
    except (JoseError, ValueError):
        return None
    sid = claims.get("sid")
    return sid if isinstance(sid, str) else None
