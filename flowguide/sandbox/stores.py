"""Bounded stores for a sandbox's records: what a long-running process keeps in memory is capped.

An ``ExpiringStore`` is a dict that forgets a record some time after it stops being useful and keeps
at most ``limit`` records, dropping the oldest added first. The grants keep writing ``store[key] =
record`` as to any dict; the bound is kept on that write, so no caller has to remember it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .state import Clock

Record = TypeVar("Record")

# Expired records are swept at most once a minute of sandbox time: one pass over the store, not one per write.
SWEEP_INTERVAL = 60


class ExpiringStore(dict[str, Record]):
    """A dict of records with an end of life each (``kept_until``) and a most it will hold (``limit``)."""

    def __init__(self, limit: int, kept_until: Callable[[Record], int], clock: Clock, lock: threading.RLock) -> None:
        super().__init__()
        self.limit = limit
        self._kept_until = kept_until
        self._clock = clock
        self._lock = lock
        self._swept_at = clock.now()

    def __setitem__(self, key: str, record: Record) -> None:
        with self._lock:
            now = self._clock.now()
            if now - self._swept_at >= SWEEP_INTERVAL:
                self.forget_expired(now)
            super().__setitem__(key, record)
            while len(self) > self.limit:
                # Dicts keep insertion order: the first key is the oldest record added.
                super().__delitem__(next(iter(self)))

    def is_expired(self, record: Record, now: int | None = None) -> bool:
        """Whether a record is past the time it is kept until."""
        return self._kept_until(record) < (self._clock.now() if now is None else now)

    def forget_expired(self, now: int | None = None) -> int:
        """Remove every record past its time; how many went."""
        with self._lock:
            now = self._clock.now() if now is None else now
            expired = [key for key, record in self.items() if self.is_expired(record, now)]
            for key in expired:
                super().__delitem__(key)
            self._swept_at = now
            return len(expired)
