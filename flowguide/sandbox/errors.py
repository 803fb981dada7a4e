"""The product's error codes that RFC 6749 §4.1.2.1 and §5.2 do not name, one class per code."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error


class InvalidRedirectUriError(OAuth2Error):
    """The redirect_uri is not one of the Trusted Application's ImpersonateLoginUrl entries, so the
    identity service shows the error and redirects nowhere (RFC 6749 §4.1.2.1;
    ``auth/flows/auth-code/interactive-apps-errors.md``)."""

    error = "invalid_redirect_uri"
