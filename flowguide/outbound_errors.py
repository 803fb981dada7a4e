"""What the outbound guard (:mod:`flowguide.outbound`) raises: one class per kind of failure.

Each ``str()`` is one sentence for the visitor; import them from :mod:`flowguide.outbound`.
"""

from __future__ import annotations


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
