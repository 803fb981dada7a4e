"""Sign-ins waiting for the browser to come back: kept in this server's memory, keyed by their state.

The browser leaves /connect for the provider's sign-in page and comes back to /connect with ``code``
and ``state`` in a new Streamlit session (a new tab, or the same tab loaded again), so the PKCE
verifier, the state, the nonce and the run cannot wait in the session that started them. They wait
here instead: never in a URL, never on disk, each taken at most once, for at most
:data:`PENDING_LIFETIME` seconds, and at most :data:`MAX_PENDING` at a time (the oldest dropped first).

A sign-in may also be bound to the browser that started it (a hash of a cookie that browser holds):
an answer brought back by another browser is then refused, and the sign-in is spent.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

# A person takes a minute or two to sign in; the product's authorization codes live minutes, not hours.
PENDING_LIFETIME = 600
# Enough for a classroom at once; each entry is one run (a few kilobytes) and its HTTP client.
MAX_PENDING = 200


class Taken(Enum):
    """What became of an answer's state when the page looked for its sign-in."""

    FOUND = "found"
    # Never started here, already used, waited too long, or dropped to keep the store small.
    UNKNOWN = "unknown"
    # Started in another browser: the answer was carried (or leaked) from there; the sign-in is spent.
    OTHER_BROWSER = "other_browser"


@dataclass
class PendingSignIn:
    """What a sign-in needs when its answer comes back: the run (verifier, state, nonce) and its provider."""

    run: Any
    provider: Any
    browser: str = ""
    started: float = 0.0


def _unmasked(cookie_value: str) -> bytes:
    """The token inside an XSRF cookie: "2|mask|masked token|time" is masked anew on each page load."""
    parts = cookie_value.strip("\"'").split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return cookie_value.encode()
        if mask:
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
    return cookie_value.encode()


def browser_binding(cookie_value: object) -> str:
    """A one-way digest of the token in a cookie the starting browser holds; "" when it holds none."""
    if not isinstance(cookie_value, str) or not cookie_value:
        return ""
    return hashlib.sha256(_unmasked(cookie_value)).hexdigest()


class PendingSignIns:
    """A bounded, expiring, take-once store of sign-ins, safe to share between sessions' threads."""

    def __init__(
        self,
        lifetime: float = PENDING_LIFETIME,
        capacity: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self.clock = clock
        self._entries: OrderedDict[str, PendingSignIn] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._sweep()
            return len(self._entries)

    def put(self, state: str, entry: PendingSignIn) -> None:
        """Keep a sign-in until its answer comes back; an empty state is never kept (nothing could match it)."""
        if not state:
            return
        with self._lock:
            self._sweep()
            entry.started = self.clock()
            self._entries.pop(state, None)
            self._entries[state] = entry
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def peek(self, state: str) -> PendingSignIn | None:
        """The sign-in still waiting for this state, left in place (to show it while it waits)."""
        with self._lock:
            self._sweep()
            return self._entries.get(state)

    def take(self, state: str, browser: str = "") -> tuple[Taken, PendingSignIn | None]:
        """The sign-in for this state, removed so that no answer is used twice."""
        with self._lock:
            self._sweep()
            entry = self._entries.pop(state, None) if state else None
        if entry is None:
            return Taken.UNKNOWN, None
        # compare_digest: how much of the digest matched must not show in the time taken.
        if entry.browser and not hmac.compare_digest(entry.browser, browser):
            return Taken.OTHER_BROWSER, None
        return Taken.FOUND, entry

    def discard(self, state: str) -> None:
        """Forget a sign-in (its answer was used another way, or a new one replaced it)."""
        with self._lock:
            self._entries.pop(state, None)

    def _sweep(self) -> None:
        # Entries are in the order they were added, so the expired ones are at the front.
        deadline = self.clock() - self.lifetime
        while self._entries and next(iter(self._entries.values())).started <= deadline:
            self._entries.popitem(last=False)


# One store for the server process: the answer may come back to any of its sessions.
PENDING = PendingSignIns()
