"""Where the browser comes back after signing in, for /connect: the app's own callback address, the
answer it brings, and why a pasted address is not the answer to the sign-in that is waiting.

RFC 6749 §3.1.2 (the redirect URI, compared exactly, as the product does:
auth/flows/auth-code/interactive-apps-redirects-pkce.md) and §4.1.2 (the answer: ``code`` and
``state``, or ``error`` and ``state``). Plain Python: the page passes in what Streamlit knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

# The authorization response's parameters (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 adds iss).
ANSWER_PARAMETERS = ("code", "state", "error", "error_description", "error_uri", "iss", "session_state")


def own_callback(page_url: str | None) -> str | None:
    """This page's own address as a redirect URI: where the visitor's browser shows it, less query and fragment."""
    if not page_url:
        return None
    parts = urlsplit(page_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def is_answer(params: Mapping[str, str]) -> bool:
    """Whether a page's query is an authorization response: a state, with a code or an error."""
    return bool(params.get("state")) and ("code" in params or "error" in params)


def answer_of(params: Mapping[str, str]) -> dict[str, str]:
    """The authorization response's parameters in a query, and nothing else the page was given."""
    return {k: params[k] for k in ANSWER_PARAMETERS if k in params}


def landed_url(page_url: str, params: Mapping[str, str]) -> str:
    """The address the browser landed on, as the client reads it: this page with the answer in its query."""
    return f"{page_url}?{urlencode(answer_of(params))}"


def address_of(url: str) -> str:
    """Scheme, host, port and path: what the redirect URI is compared by (the query is the answer)."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def paste_problem(pasted: str, redirect_uri: str, own: str | None = None) -> str | None:
    """Why a pasted address is not the answer to this sign-in, in plain words; None when it may be.

    Streamlit serves this app and has no page at most redirect paths (``/callback``), so it shows its
    start page and rewrites the address to ``/?code=…``: the code is the provider's, but the address
    is not the one the client sent, and the client takes an answer from that address only.
    """
    text = pasted.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Paste the whole address from your browser's address bar, starting with http:// or https://."
    landed, sent = address_of(text), address_of(redirect_uri)
    if landed == sent:
        return None
    at_root = parts.path in ("", "/") and urlsplit(sent).path not in ("", "/")
    # Only this app's own start page is Streamlit's rewrite; when the page's address is unknown, assume it is.
    ours = own is None or _origin(own) == _origin(text)
    if at_root and ours and _origin(text) == _origin(redirect_uri):
        fix = (
            f"Register this page's own address, {own}, with the application and give it as the redirect URI"
            if own
            else "Register this /connect page's own address with the application and give it as the redirect URI"
        )
        return (
            f"This is the app's start page with the answer on it, not {redirect_uri}. Your browser did land on "
            f"{redirect_uri}, but this app has no page there, so Streamlit, which serves it, showed its start page "
            "and rewrote the address to /?code=…. The code and state are the provider's, but the client takes an "
            f"answer only from the redirect URI it sent, so it does not use this one. {fix}: this page then "
            "catches the answer itself."
        )
    return (
        f"You pasted an address at {landed}, but the redirect URI this sign-in sent is {redirect_uri}. The provider "
        "sends its answer only to that address, so this is not the answer to this sign-in (or the address was "
        "changed on the way). Paste the address your browser shows after signing in; the sign-in is still waiting."
    )
