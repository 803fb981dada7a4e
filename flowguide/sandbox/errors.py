"""The product's error codes that RFC 6749 §4.1.2.1 and §5.2 do not name, and how a description quotes a value.

One class per error code, as Authlib has them; ``shown`` keeps a value the request carried inside
the characters RFC 6749 §5.2 allows in ``error_description``.
"""

from __future__ import annotations

from urllib.parse import quote

from authlib.oauth2 import OAuth2Error

# RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E; "%" stays encoded so it reads unambiguously.
_ALLOWED_AS_IS = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\%')


def shown(value: str) -> str:
    """A value from the request, quoted for an error_description; other characters are percent-encoded."""
    return "'" + quote(value, safe=_ALLOWED_AS_IS) + "'"


class InvalidRedirectUriError(OAuth2Error):
    """The redirect_uri is not one of the Trusted Application's ImpersonateLoginUrl entries, so the
    identity service shows the error and redirects nowhere (RFC 6749 §4.1.2.1;
    ``auth/flows/auth-code/interactive-apps-errors.md``)."""

    error = "invalid_redirect_uri"
