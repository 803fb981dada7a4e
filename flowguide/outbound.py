"""The guard for every URL a visitor gives the app (a JWKS URL, an instance to connect to).

A hosted copy of the app must not become a proxy into someone's network (server-side request
forgery). So: only ``https``, unless the host is loopback or private and the server allows that;
names are resolved and every address checked before connecting; the connection goes to the checked
address (Host header and TLS SNI keep the name), so a second DNS answer cannot swap it (DNS
rebinding); redirects only within the same origin, a few at most, each checked again; short
timeouts; bodies over a size cap are refused while they stream in. Each failure is one
:class:`OutboundError` subclass with one sentence for the visitor.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

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


class OutboundError(Exception):
    """A request to a visitor-given URL that was refused or failed; ``str()`` is one sentence."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidUrl(OutboundError):
    """The text is not an absolute http(s) URL the guard can use."""


class SchemeNotAllowed(OutboundError):
    """Only https, except plain http to loopback/private hosts when allowed."""


class AddressNotAllowed(OutboundError):
    """The host is, or resolves to, an address the guard refuses (private, link-local, ...)."""


class NameNotFound(OutboundError):
    """The host name does not resolve."""


class ConnectionRefused(OutboundError):
    """Nothing accepted the connection, or it broke off."""


class Timeout(OutboundError):
    """The server took longer than the time allowed."""


class TlsError(OutboundError):
    """The TLS handshake failed (certificate not trusted, wrong name, ...)."""


class RedirectRefused(OutboundError):
    """A redirect to another origin, or too many redirects."""


class ResponseTooLarge(OutboundError):
    """The body was bigger than the size cap."""


class CompressedResponse(OutboundError):
    """The body came compressed although the request asked for none; its decoded size is unknown."""


class HttpStatusError(OutboundError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class NotJson(OutboundError):
    """The body was not a JSON object."""


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
    addresses = [str(literal)] if literal is not None else resolve(name, _port(url))
    if not addresses:
        raise NameNotFound(f"The name {url.host} has no addresses.")
    checked = [check_address(a, url.host, allow_private) for a in addresses]
    if url.scheme == "http" and not all(classify(ip) in _ALLOWED_WHEN_PRIVATE for ip in checked):
        raise SchemeNotAllowed(
            f"Only https URLs are fetched from public hosts; use https://{url.host}{url.raw_path.decode()}."
        )
    return checked[0]


class _CappedStream(httpx.SyncByteStream):
    """The response body, refused once it passes the cap or the overall deadline."""

    def __init__(self, inner: httpx.SyncByteStream, max_bytes: int, deadline: float, host: str) -> None:
        self._inner, self._max, self._deadline, self._host = inner, max_bytes, deadline, host

    def __iter__(self) -> Iterator[bytes]:
        total = 0
        with _mapped_errors(self._host):
            for chunk in self._inner:
                total += len(chunk)
                if total > self._max:
                    raise ResponseTooLarge(f"{self._host} sent more than {self._max:,} bytes, the limit.")
                if time.monotonic() > self._deadline:
                    raise Timeout(f"{self._host} was still sending after the time allowed.")
                yield chunk

    def close(self) -> None:
        self._inner.close()


@contextmanager
def _mapped_errors(host: str) -> Iterator[None]:
    """Turn httpx's transport errors into the guard's sentences."""
    try:
        yield
    except OutboundError:
        raise
    except httpx.TimeoutException:
        raise Timeout(f"{host} did not answer in time.") from None
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
            reason = text.split("] ", 1)[-1].split(" (_ssl")[0]
            raise TlsError(f"The secure connection to {host} failed ({reason}).") from None
        if "refused" in text.lower():
            raise ConnectionRefused(f"{host} refused the connection (nothing is listening there).") from None
        raise ConnectionRefused(f"Could not connect to {host} ({text or type(exc).__name__}).") from None
    except httpx.TransportError as exc:
        raise ConnectionRefused(f"The connection to {host} broke off ({type(exc).__name__}).") from None


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks and pins every request's address and caps the body.

    Use it with any httpx.Client (``guarded_client()``); the client must not follow redirects itself.
    """

    def __init__(
        self,
        allow_private: bool | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        total_timeout: float = 2 * DEFAULT_TIMEOUT,
    ) -> None:
        self.allow_private = allow_private_default() if allow_private is None else allow_private
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self._inner = httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")
        ip = check_url(request.url, self.allow_private)
        # The size cap counts bytes on the wire, so a compressed body could decode to far more.
        request.headers["Accept-Encoding"] = "identity"
        # Connect to the address just checked; Host header (already set) and SNI keep the name.
        request.url = request.url.copy_with(host=str(ip))
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        deadline = time.monotonic() + self.total_timeout
        with _mapped_errors(host):
            response = self._inner.handle_request(request)
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
        response.stream = _CappedStream(response.stream, self.max_bytes, deadline, host)
        return response

    def close(self) -> None:
        self._inner.close()


def guarded_client(
    allow_private: bool | None = None, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES
) -> httpx.Client:
    """An httpx.Client whose every request goes through the guard (redirects are not followed)."""
    transport = GuardedTransport(allow_private, max_bytes=max_bytes, total_timeout=2 * timeout)
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
    """GET a JSON object from a visitor-given URL through the guard; raises one OutboundError."""
    try:
        current = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InvalidUrl("That is not a URL the app can fetch; give one that starts with https://.") from None
    with guarded_client(allow_private, timeout, max_bytes) as client, _mapped_errors(current.host):
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
