"""One sandbox's mutable state: its clock, lifetimes and the stores of sign-ins, codes, tokens and API rows.

Nothing here is shared between Sandbox instances, so a code or token from one is unknown to another.
The records kept in the stores are in ``models`` (RFC 6749 §4.1.2 codes, §1.4 and §1.5 tokens).
Every store is bounded (``stores.ExpiringStore``): a record goes some time after it stops being
useful, and beyond a generous count the oldest goes first, so a long-running sandbox stays small.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .models import (
    AccessTokenRecord,
    AuthorizationCodeRecord,
    PendingAuthorization,
    RefreshTokenRecord,
    SignIn,
)
from .registry import RegistryFile, SystemUser, TrustedApplication
from .sessions import SessionTable
from .stores import ExpiringStore

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "AUTHORIZATION_CODE_LIFETIME",
    "PENDING_REQUEST_LIFETIME",
    "REFRESH_TOKEN_LIFETIME_CONFIDENTIAL",
    "REFRESH_TOKEN_LIFETIME_PUBLIC",
    "AccessTokenRecord",
    "AuthorizationCodeRecord",
    "MAX_ADDED_ROWS",
    "Clock",
    "PendingAuthorization",
    "RefreshTokenRecord",
    "SandboxState",
    "SignIn",
]

AUTHORIZATION_CODE_LIFETIME = 300  # 5 minutes; RFC 6749 §4.1.2 recommends at most 10
PENDING_REQUEST_LIFETIME = 600  # a sign-in page left open longer than this must start again
ACCESS_TOKEN_LIFETIME = 3600  # auth/tokens/token-lifetime.md: 1 hour
REFRESH_TOKEN_LIFETIME_CONFIDENTIAL = 30 * 24 * 3600  # 1 month
REFRESH_TOKEN_LIFETIME_PUBLIC = 24 * 3600  # 24 hours

# A used code is remembered while the access tokens it issued live, so a replay can still revoke them.
CODE_REMEMBERED_FOR = AUTHORIZATION_CODE_LIFETIME + ACCESS_TOKEN_LIFETIME
# An expired refresh token is remembered a day longer, so its refusal says "expired", not "unknown".
EXPIRED_REFRESH_TOKEN_REMEMBERED_FOR = 24 * 3600
# Counts far above what a reader or a test suite makes; beyond them the oldest record added is dropped.
MAX_PENDING_SIGN_INS = 1_000
MAX_CODES = 1_000
MAX_ACCESS_TOKENS = 10_000
MAX_REFRESH_TOKENS = 10_000
# Rows added through the API; the oldest added go first (the registry's seeded rows always stay).
MAX_ADDED_ROWS = 500


def _pending_kept_until(pending: PendingAuthorization) -> int:
    return pending.created_at + PENDING_REQUEST_LIFETIME


def _code_kept_until(code: AuthorizationCodeRecord) -> int:
    return code.issued_at + CODE_REMEMBERED_FOR


def _access_token_kept_until(token: AccessTokenRecord) -> int:
    return token.expires_at  # the API refuses an expired token by its exp claim, before looking it up


def _refresh_token_kept_until(token: RefreshTokenRecord) -> int:
    return token.expires_at + EXPIRED_REFRESH_TOKEN_REMEMBERED_FOR


class Clock:
    """Wall-clock seconds plus an offset the tests and the simulator move forward."""

    def __init__(self) -> None:
        self._offset = 0

    def now(self) -> int:
        return int(time.time()) + self._offset

    @property
    def offset(self) -> int:
        """How far the clock has been moved forward, in seconds, by anyone."""
        return self._offset

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._offset += int(seconds)


@dataclass
class SandboxState:
    registry: RegistryFile
    clock: Clock
    lock: threading.RLock = field(default_factory=threading.RLock)
    pending: ExpiringStore[PendingAuthorization] = field(init=False)
    codes: ExpiringStore[AuthorizationCodeRecord] = field(init=False)
    access_tokens: ExpiringStore[AccessTokenRecord] = field(init=False)
    refresh_tokens: ExpiringStore[RefreshTokenRecord] = field(init=False)
    customers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    added_rows: deque[tuple[str, dict[str, Any]]] = field(default_factory=deque)
    # The instance's licence slots (content/sandbox.yaml's count unless the standalone sandbox was given one).
    license_slots: int | None = None
    sessions: SessionTable = field(init=False)

    def __post_init__(self) -> None:
        clock, lock = self.clock, self.lock
        self.pending = ExpiringStore(MAX_PENDING_SIGN_INS, _pending_kept_until, clock, lock)
        self.codes = ExpiringStore(MAX_CODES, _code_kept_until, clock, lock)
        self.access_tokens = ExpiringStore(MAX_ACCESS_TOKENS, _access_token_kept_until, clock, lock)
        self.refresh_tokens = ExpiringStore(MAX_REFRESH_TOKENS, _refresh_token_kept_until, clock, lock)
        self.sessions = SessionTable(self.registry.sessions, clock, lock, self.license_slots)
        for row in self.registry.customers:
            self.customers.setdefault(row.owner, []).append(row.model_dump(exclude={"owner"}))

    def add_customer(self, owner: str, row: dict[str, Any]) -> None:
        """Keep a row the API created; beyond MAX_ADDED_ROWS the oldest added row is dropped."""
        with self.lock:
            self.customers.setdefault(owner, []).append(row)
            self.added_rows.append((owner, row))
            while len(self.added_rows) > MAX_ADDED_ROWS:
                old_owner, old_row = self.added_rows.popleft()
                rows = self.customers[old_owner]
                # By identity: the row object itself, whatever another row's values.
                del rows[next(i for i, r in enumerate(rows) if r is old_row)]

    def application(self, client_id: str | None) -> TrustedApplication | None:
        return self.registry.application(client_id)

    def system_user(self, app: TrustedApplication) -> SystemUser | None:
        return self.registry.system_user(app.SystemUser)

    def add_pending(
        self, query: list[tuple[str, str]], client_id: str, scope: str, uri: str = ""
    ) -> PendingAuthorization:
        with self.lock:
            pending = PendingAuthorization(
                secrets.token_urlsafe(24), query, client_id, scope, self.clock.now(), uri=uri
            )
            self.pending[pending.request_id] = pending
            return pending

    def find_pending(self, request_id: str | None) -> PendingAuthorization | None:
        """The sign-in waiting under this id, or None when there is none or it is over its 600 seconds."""
        with self.lock:
            pending = self.pending.get(request_id or "")
            if pending is not None and self.pending.is_expired(pending):
                del self.pending[pending.request_id]
                return None
            return pending

    def revoke_grant(self, grant_id: str, because: str) -> int:
        """Revoke every access and refresh token descended from one authorization code."""
        count = 0
        with self.lock:
            for record in [*self.access_tokens.values(), *self.refresh_tokens.values()]:
                if record.grant_id == grant_id and record.revoked_because is None:
                    record.revoked_because = because
                    count += 1
        return count
