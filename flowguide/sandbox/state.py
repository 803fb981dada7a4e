"""One sandbox's mutable state: its clock, lifetimes and the stores of sign-ins, codes, tokens and API rows.

Nothing here is shared between Sandbox instances, so a code or token from one is unknown to another.
The records kept in the stores are in ``models`` (RFC 6749 §4.1.2 codes, §1.4 and §1.5 tokens).
"""

from __future__ import annotations

import secrets
import threading
import time
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

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "AUTHORIZATION_CODE_LIFETIME",
    "PENDING_REQUEST_LIFETIME",
    "REFRESH_TOKEN_LIFETIME_CONFIDENTIAL",
    "REFRESH_TOKEN_LIFETIME_PUBLIC",
    "AccessTokenRecord",
    "AuthorizationCodeRecord",
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
    pending: dict[str, PendingAuthorization] = field(default_factory=dict)
    codes: dict[str, AuthorizationCodeRecord] = field(default_factory=dict)
    access_tokens: dict[str, AccessTokenRecord] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshTokenRecord] = field(default_factory=dict)
    customers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.registry.customers:
            self.customers.setdefault(row.owner, []).append(row.model_dump(exclude={"owner"}))

    def application(self, client_id: str | None) -> TrustedApplication | None:
        return self.registry.application(client_id)

    def system_user(self, app: TrustedApplication) -> SystemUser | None:
        return self.registry.system_user(app.SystemUser)

    def add_pending(self, query: list[tuple[str, str]], client_id: str, scope: str) -> PendingAuthorization:
        with self.lock:
            self._forget_stale_pending()
            pending = PendingAuthorization(secrets.token_urlsafe(24), query, client_id, scope, self.clock.now())
            self.pending[pending.request_id] = pending
            return pending

    def find_pending(self, request_id: str | None) -> PendingAuthorization | None:
        with self.lock:
            self._forget_stale_pending()
            return self.pending.get(request_id or "")

    def _forget_stale_pending(self) -> None:
        oldest = self.clock.now() - PENDING_REQUEST_LIFETIME
        for key in [k for k, p in self.pending.items() if p.created_at < oldest]:
            del self.pending[key]

    def revoke_grant(self, grant_id: str, because: str) -> int:
        """Revoke every access and refresh token descended from one authorization code."""
        count = 0
        with self.lock:
            for record in [*self.access_tokens.values(), *self.refresh_tokens.values()]:
                if record.grant_id == grant_id and record.revoked_because is None:
                    record.revoked_because = because
                    count += 1
        return count
