"""How an authorization response reaches the client: in the query, in the fragment, or posted in a form.

OAuth 2.0 Multiple Response Type Encoding Practices §2.1 (``response_mode``, query and fragment) and §5
(an answer that carries an ID token travels in the fragment by default and never in the query), and
OAuth 2.0 Form Post Response Mode §2 (an HTML form the browser posts to the redirect URI by itself).
The same rules carry the errors that go back to a trusted redirect URI (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError

from .. import pages
from ..errors import shown

RESPONSE_MODES = ("query", "fragment", "form_post")


def default_response_mode(response_type: str | None) -> str:
    """Multiple Response Type Encoding Practices §5: fragment when a token or an ID token comes back, else query."""
    parts = (response_type or "").split()
    return "fragment" if "token" in parts or "id_token" in parts else "query"


def _refusal(mode: str | None, response_type: str | None, redirect_uri: str) -> str | None:
    """Why the sandbox will not answer in this response mode, or None when it will (or none was asked)."""
    if mode is None:
        return None
    if mode not in RESPONSE_MODES:
        return f"response_mode {shown(mode)} is not offered; use query, fragment or form_post."
    if mode == "query" and default_response_mode(response_type) == "fragment":
        # §5: "the query encoding MUST NOT be used" for a response type whose default is the fragment.
        return (
            f"response_mode=query must not carry an ID token: response_type {shown(response_type or '')} "
            "answers in the fragment (the default) or with form_post."
        )
    if mode == "form_post" and urlsplit(redirect_uri).scheme not in ("http", "https"):
        # Form Post Response Mode §2: a browser posts the form there; an app's own URI scheme cannot receive it.
        return "response_mode=form_post needs an http or https redirect_uri."
    return None


def response_mode_of(request: OAuth2Request) -> str:
    """The mode this request's answer travels in: the one it asked for when allowed, else the default."""
    asked = request.payload.data.get("response_mode")
    response_type = request.payload.response_type
    if asked is None or _refusal(asked, response_type, request.payload.redirect_uri or ""):
        return default_response_mode(response_type)
    return asked


def validate_response_mode(request: OAuth2Request) -> None:
    """invalid_request for a response_mode the sandbox does not offer, or one this request must not use."""
    payload = request.payload
    refusal = _refusal(payload.data.get("response_mode"), payload.response_type, payload.redirect_uri or "")
    if refusal:
        raise InvalidRequestError(refusal)


def deliver(redirect_uri: str, params: list[tuple[str, str]], mode: str) -> tuple[int, str, list[tuple[str, str]]]:
    """Authlib's (status, body, headers) that carry the parameters to the redirect URI in this mode."""
    if mode == "form_post":
        headers = pages.html_headers(redirect_uri=redirect_uri, auto_submit=True)
        return 200, pages.form_post_page(redirect_uri, params), [*headers.items()]
    return 302, "", [("Location", add_params_to_uri(redirect_uri, params, fragment=mode == "fragment"))]
