"""Stable links into the app, for documentation writers: a URL and a Markdown snippet (no Streamlit).

Links carry only public choices (a flow, a step, a mistake, the guide's answers); a parameter that
could carry a secret, code, verifier or token is refused here, so no share link can leak one.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flowguide.content import brand

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


def app_link(path: str, params: Mapping[str, str] | None = None, base: str | None = None) -> str:
    """The public URL of a page of this app (path without the leading slash; "" is the start page)."""
    params = dict(params or {})
    leaked = SECRET_PARAMS & {name.lower() for name in params}
    if leaked:
        raise ValueError(f"a link must not carry {sorted(leaked)}")
    url = f"{(base or brand().app_url).rstrip('/')}/{path.strip('/')}"
    return f"{url}?{urlencode(params)}" if params else url


def markdown_link(text: str, url: str) -> str:
    """A Markdown link whose text cannot break out of its brackets."""
    safe = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")
    return f"[{safe}]({url.replace(' ', '%20').replace(')', '%29')})"
