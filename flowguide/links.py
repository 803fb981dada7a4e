"""Stable links into the app, for documentation writers: a URL and a Markdown snippet (no Streamlit).

Links carry only public choices (a flow, a step, a mistake, the guide's answers); a parameter that
could carry a secret, code, verifier or token is refused here, so no share link can leak one.

A link starts at the address the app is published on: ``FLOWGUIDE_PUBLIC_URL`` when a hosted copy sets
it (behind a proxy the browser's address may not be the public one), else the address the visitor's
browser is on (the front end registers how to read it, :func:`serve_links_from`), else, outside a
browser session (tests, a script), ``app_url`` of content/brand.yaml.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlencode, urlsplit

from flowguide.content import brand

PUBLIC_URL_ENV = "FLOWGUIDE_PUBLIC_URL"
PUBLIC_URL_PROBLEM = (
    f"{PUBLIC_URL_ENV} is set but is not an absolute http or https address (such as https://guide.example.com); "
    "links use the address in your browser instead."
)

# Query parameter names that would carry a credential; never part of a link (RFC 6749 and RFC 7636 names).
SECRET_PARAMS = frozenset(
    {
        "code",
        "state",
        "nonce",
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "code_verifier",
        "client_secret",
        "password",
        "jwt",
        "secret",
    }
)

# Where the visitor's browser reached the app, or None outside a request; set by flowguide/streamlit_app.py.
_request_base: Callable[[], str | None] = lambda: None  # noqa: E731


def serve_links_from(source: Callable[[], str | None]) -> None:
    """Let the front end say, on each call, which address the visitor reached the app at."""
    global _request_base
    _request_base = source


def valid_base(value: str | None) -> str | None:
    """An absolute http(s) address with a host and nothing that does not belong in a base URL, else None."""
    if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        return None
    # A user name, password, query or fragment would be copied into every link.
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return None
    return value.rstrip("/")


def configured_public_url() -> tuple[str | None, bool]:
    """FLOWGUIDE_PUBLIC_URL when valid, and whether a value was set but refused (never echoed: it is config)."""
    raw = os.environ.get(PUBLIC_URL_ENV, "").strip()
    base = valid_base(raw)
    return base, bool(raw) and base is None


def base_from_request(url: str | None, page_paths: Iterable[str]) -> str | None:
    """The app's own address from the browser's address of one of its pages (the page's path taken off)."""
    base = valid_base((url or "").rstrip("/"))
    if base is None:
        return None
    path = urlsplit(base).path
    for page_path in page_paths:
        # Streamlit serves every page at <base>/<url_path>; the default page at <base> itself.
        if page_path and path.endswith(f"/{page_path}"):
            return base.removesuffix(f"/{page_path}")
    return base


def public_base() -> str:
    """The address links start at: the configured public URL, the browser's, or content's app_url."""
    return configured_public_url()[0] or _request_base() or brand().app_url.rstrip("/")


def app_link(path: str, params: Mapping[str, str] | None = None, base: str | None = None) -> str:
    """The public URL of a page of this app (path without the leading slash; "" is the start page)."""
    params = dict(params or {})
    leaked = SECRET_PARAMS & {name.lower() for name in params}
    if leaked:
        raise ValueError(f"a link must not carry {sorted(leaked)}")
    url = f"{(base or public_base()).rstrip('/')}/{path.strip('/')}"
    return f"{url}?{urlencode(params)}" if params else url


def markdown_link(text: str, url: str) -> str:
    """A Markdown link whose text cannot break out of its brackets."""
    safe = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")
    return f"[{safe}]({url.replace(' ', '%20').replace(')', '%29')})"
