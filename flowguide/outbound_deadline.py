"""One deadline for a whole HTTP request, however the server paces its bytes.

httpx's timeouts are per operation: a server that sends one header byte every few seconds never
trips a 5 s read timeout, and holds the request (and a server thread) for as long as it likes. This
httpcore network backend gives every connect, TLS handshake, read and write only the time left
before the deadline of the request in progress, so a request ends at its deadline. The deadline
travels in a context variable, because pooled connections outlive any one request.
Used by :mod:`flowguide.outbound`; nothing here knows about URLs or addresses.
"""

from __future__ import annotations

import contextvars
import math
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("flowguide_outbound_deadline", default=math.inf)


@contextmanager
def bounded(deadline: float) -> Iterator[float]:
    """Within the block, socket operations end by ``deadline`` (a ``time.monotonic()`` value) or an earlier one."""
    effective = min(deadline, _deadline.get())
    token = _deadline.set(effective)
    try:
        yield effective
    finally:
        _deadline.reset(token)


def remaining() -> float:
    """Seconds left before the current deadline (infinite outside :func:`bounded`)."""
    return _deadline.get() - time.monotonic()


def _clamp(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    left = remaining()
    if left <= 0:
        # Raised here, not left to the socket: a timeout of 0 would make it non-blocking instead.
        raise error("the deadline for the request has passed")
    if math.isinf(left):
        return timeout
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation gets at most the time left before the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # CPython bounds the whole handshake by the socket timeout, however the server paces it.
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, its streams wrapped in :class:`DeadlineStream`."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limit = _clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_tcp(host, port, limit, local_address, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
