"""The guard for every URL a visitor gives the app (a JWKS URL, an instance to connect to).

A hosted copy of the app must not become a proxy into someone's network (server-side request
forgery). So: only ``https``, unless the host is loopback or private and the server allows that;
names are resolved and every address checked before connecting; the connection goes to the checked
address (Host header and TLS SNI keep the name), so a second DNS answer cannot swap it (DNS
rebinding); a pooled connection is reused only for the host name it was opened for; redirects
only within the same origin, a few at most, each checked again; one deadline for a whole request,
name lookup to last body byte (:mod:`flowguide.outbound_deadline`); bodies over a size cap are
refused while they stream in. Each failure is one :class:`OutboundError` subclass with one
sentence for the visitor.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from flowguide import outbound_deadline

# Callers catch these as outbound.<name>, so they are imported (and re-exported) here.
from flowguide.outbound_errors import (
    AddressNotAllowed,
    CompressedResponse,
    ConnectionRefused,
    HttpStatusError,
    InvalidUrl,
    NameNotFound,
    NotJson,
    OutboundError,
    RedirectRefused,
    ResponseTooLarge,
    SchemeNotAllowed,
    Timeout,
    TlsError,
)

ALLOW_PRIVATE_ENV = "FLOWGUIDE_ALLOW_PRIVATE"
MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 1_000_000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 1918, carrier-grade NAT (RFC 6598), unique-local and the old site-local IPv6 ranges.
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address sits in the last 32 bits
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def allow_private_default() -> bool:
    """Loopback and private hosts are allowed for a local run; FLOWGUIDE_ALLOW_PRIVATE=0 turns that off."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (tests replace this to simulate DNS answers)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NameNotFound(f"The name {host} could not be found (DNS: {exc.args[-1]}).") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _lookup(name: str, port: int) -> list[str]:
    """resolve(), given only the time left before the request's deadline."""
    left = outbound_deadline.remaining()
    if math.isinf(left):
        return resolve(name, port)
    outcome: list[list[str] | Exception] = []

    def run() -> None:
        try:
            outcome.append(resolve(name, port))
        except Exception as exc:  # handed over to the waiting thread below
            outcome.append(exc)

    # getaddrinfo cannot be interrupted: wait for it only so long (it ends at the resolver's own timeout).
    worker = threading.Thread(target=run, name="flowguide-resolve", daemon=True)
    worker.start()
    worker.join(max(left, 0.0))
    if not outcome:
        raise Timeout(f"The name {name} could not be looked up in the time allowed.")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> str | None:
    """What kind of non-public address this is ("loopback", "private", ...), or None if public."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return classify(inner)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip in _METADATA:
        return "cloud metadata"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if any(ip.version == net.version and ip in net for net in _PRIVATE):
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


# Kinds a local run may reach (an instance or provider on this machine or the LAN); the rest never.
_ALLOWED_WHEN_PRIVATE = {"loopback", "private"}


def check_address(address: str, host: str, allow_private: bool) -> IPAddress:
    """Parse one resolved address and refuse it unless it is public (or allowed private)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    kind = classify(ip)
    if kind is None or (allow_private and kind in _ALLOWED_WHEN_PRIVATE):
        return ip
    named = host if host == str(ip) else f"{host} ({ip})"
    if kind in _ALLOWED_WHEN_PRIVATE:
        raise AddressNotAllowed(f"{named} is a {kind} address, and this server does not fetch from its own network.")
    raise AddressNotAllowed(f"{named} is a {kind} address, which is never fetched.")


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def check_url(url: httpx.URL, allow_private: bool) -> IPAddress:
    """Check the URL and every address its host resolves to; the address to connect to."""
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidUrl("Give an absolute URL that starts with https://.")
    if url.userinfo:
        raise InvalidUrl("URLs with a user name or password in them are not fetched.")
    try:
        literal: IPAddress | None = ipaddress.ip_address(url.host)
    except ValueError:
        literal = None
    name = url.raw_host.decode("ascii")
    addresses = [str(literal)] if literal is not None else _lookup(name, _port(url))
    if not addresses:
        raise NameNotFound(f"The name {url.host} has no addresses.")
    checked = [check_address(a, url.host, allow_private) for a in addresses]
    if url.scheme == "http" and not all(classify(ip) in _ALLOWED_WHEN_PRIVATE for ip in checked):
        raise SchemeNotAllowed(
            f"Only https URLs are fetched from public hosts; use https://{url.host}{url.raw_path.decode()}."
        )
    return checked[0]


class _CappedStream(httpx.SyncByteStream):
    """The response body, refused once it passes the cap; its reads keep the request's deadline."""

    def __init__(self, inner: httpx.SyncByteStream, max_bytes: int, deadline: float, host: str, seconds: float) -> None:
        self._inner, self._max, self._deadline, self._host, self._seconds = inner, max_bytes, deadline, host, seconds

    def __iter__(self) -> Iterator[bytes]:
        total = 0
        chunks = iter(self._inner)
        with _mapped_errors(self._host, self._seconds):
            while True:
                # Set around each read only: a generator shares its caller's context across a yield.
                with outbound_deadline.bounded(self._deadline):
                    chunk = next(chunks, None)
                if chunk is None:
                    return
                total += len(chunk)
                if total > self._max:
                    raise ResponseTooLarge(f"{self._host} sent more than {self._max:,} bytes, the limit.")
                yield chunk

    def close(self) -> None:
        self._inner.close()


def _seconds(seconds: float) -> str:
    return f"{seconds:g} second{'' if seconds == 1 else 's'}"


@contextmanager
def _mapped_errors(host: str, seconds: float) -> Iterator[None]:
    """Turn httpx's transport errors into the guard's sentences."""
    try:
        yield
    except OutboundError:
        raise
    except httpx.TimeoutException:
        raise Timeout(f"{host} did not answer in time: it took longer than {_seconds(seconds)}.") from None
    except httpx.RemoteProtocolError as exc:
        # httpx reads a redirect's Location even when it does not follow it.
        if "location" in str(exc).lower():
            raise RedirectRefused(f"{host} redirected to an address that is not a valid URL.") from None
        raise ConnectionRefused(f"{host} answered with something that is not valid HTTP.") from None
    except httpx.InvalidURL:
        raise InvalidUrl(f"{host} pointed to an address that is not a valid URL.") from None
    except httpx.ConnectError as exc:
        text = str(exc)
        if "SSL" in text or "certificate" in text.lower():
            # OpenSSL's own text may end in a full stop; the sentence around it has its own.
            reason = text.split("] ", 1)[-1].split(" (_ssl")[0].rstrip(".")
            raise TlsError(f"The secure connection to {host} failed ({reason}).") from None
        if "refused" in text.lower():
            raise ConnectionRefused(f"{host} refused the connection (nothing is listening there).") from None
        raise ConnectionRefused(f"Could not connect to {host} ({text or type(exc).__name__}).") from None
    except httpx.TransportError as exc:
        raise ConnectionRefused(f"The connection to {host} broke off ({type(exc).__name__}).") from None


class _HostTransport(httpx.HTTPTransport):
    """httpx's transport for one host name, every socket operation bounded by the request's deadline."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, retries=0)
        # httpx takes no network backend, so its pool is replaced by one with httpx's limits and ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            retries=0,
            network_backend=outbound_deadline.DeadlineBackend(),
        )


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks and pins every request's address, bounds its time and caps the body.

    Use it with any httpx.Client (``guarded_client()``); the client must not follow redirects itself.
    ``total_timeout`` is one deadline for each request: name lookup, connect, headers and body.
    ``ssl_context`` replaces the default trust store (tests give their own CA).
    """

    def __init__(
        self,
        allow_private: bool | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        total_timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private_default() if allow_private is None else allow_private
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        # One pool per scheme, host name and port: pinned URLs carry the address, and a pool keyed by
        # address alone would send b.test's request down a TLS connection verified for a.test.
        self._transports: dict[tuple[str, str, int], _HostTransport] = {}
        self._lock = threading.Lock()

    def _transport_for(self, url: httpx.URL) -> _HostTransport:
        key = (url.scheme, url.host.lower(), _port(url))
        with self._lock:
            if key not in self._transports:
                self._transports[key] = _HostTransport(self._ssl_context)
            return self._transports[key]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")
        limit = time.monotonic() + self.total_timeout
        with outbound_deadline.bounded(limit) as deadline, _mapped_errors(host, self.total_timeout):
            ip = check_url(request.url, self.allow_private)
            transport = self._transport_for(request.url)
            # The size cap counts bytes on the wire, so a compressed body could decode to far more.
            request.headers["Accept-Encoding"] = "identity"
            # Connect to the address just checked; Host header (already set) and SNI keep the name.
            request.url = request.url.copy_with(host=str(ip))
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
            response = transport.handle_request(request)
        return self._checked(response, host, deadline)

    def _checked(self, response: httpx.Response, host: str, deadline: float) -> httpx.Response:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            response.close()
            raise ResponseTooLarge(f"{host} offered {int(length):,} bytes, more than the limit of {self.max_bytes:,}.")
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            response.close()
            raise CompressedResponse(
                f"{host} sent a compressed body ({encoding}) although none was asked for, so it was not read."
            )
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _CappedStream(response.stream, self.max_bytes, deadline, host, self.total_timeout)
        return response

    def close(self) -> None:
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            transport.close()


def guarded_client(
    allow_private: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.Client:
    """An httpx.Client whose every request goes through the guard (redirects are not followed).

    ``timeout`` is one deadline per request, whole: name lookup, connect, headers and body.
    """
    transport = GuardedTransport(allow_private, max_bytes=max_bytes, total_timeout=timeout, ssl_context=ssl_context)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


def _read_capped(response: httpx.Response, max_bytes: int, host: str) -> bytes:
    # The transport caps the bytes on the wire; this caps them again after any decompression.
    chunks, total = [], 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise ResponseTooLarge(f"{host} sent more than {max_bytes:,} bytes, the limit.")
        chunks.append(chunk)
    return b"".join(chunks)


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host.lower(), _port(a)) == (b.scheme, b.host.lower(), _port(b))


def fetch_json(
    url: str,
    *,
    allow_private: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """GET a JSON object from a visitor-given URL through the guard; raises one OutboundError.

    ``timeout`` bounds the whole fetch, redirects included: to the visitor it is one request.
    """
    try:
        current = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InvalidUrl("That is not a URL the app can fetch; give one that starts with https://.") from None
    with (
        outbound_deadline.bounded(time.monotonic() + timeout),
        guarded_client(allow_private, timeout, max_bytes) as client,
        _mapped_errors(current.host, timeout),
    ):
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
            with client.stream("GET", current, headers=headers) as response:
                if response.is_redirect:
                    target = current.join(response.headers["location"])
                    if not _same_origin(current, target):
                        raise RedirectRefused(
                            f"{current.host} redirected to {target.host or 'another place'}; "
                            "redirects to another host are not followed."
                        )
                    current = target
                    continue
                body = _read_capped(response, max_bytes, current.host)
                status = response.status_code
            if status >= 400:
                raise HttpStatusError(f"{current.host} answered HTTP {status} for {current.path}.", status)
            try:
                value = json.loads(body)
            except (ValueError, RecursionError):
                raise NotJson(f"{current.host} answered, but not with JSON.") from None
            if not isinstance(value, dict):
                raise NotJson(f"{current.host} answered with JSON that is not an object.")
            return value
    raise RedirectRefused(f"{httpx.URL(url).host} redirected more than {MAX_REDIRECTS} times.")
