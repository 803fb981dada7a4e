"""The identity service's HTML pages: sign-in, consent, the form_post answer, sign-out and errors.

Small, self-contained, accessible pages (lang, title, labels; no external resources). The forms
are a contract with the client, which fills them generically: field names must not change. Their
headers forbid framing and everything but their own forms (CSP Level 3 ``form-action``), which may
also go to the one redirect URI of the request (OAuth 2.0 Form Post Response Mode §2).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from .registry import default_registry

# What the consent page says each scope lets the application do: the consent words of content/sandbox.yaml.
SCOPE_WORDS = default_registry().consent_words()

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1f24;background:#fff}label{display:block;margin:.75rem 0 .25rem}"
    "input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}"
    "button{font:inherit;padding:.45rem 1rem;margin:.75rem .5rem 0 0}"
    ".error{color:#a1120b;border-left:4px solid #a1120b;padding-left:.75rem}"
    "code{background:#eef0f3;padding:0 .2rem}"
)


# The form_post page submits itself; the policy allows this one script by its hash (CSP Level 3 §2.3.1).
AUTO_SUBMIT = "document.forms[0].submit();"
_AUTO_SUBMIT_HASH = base64.b64encode(hashlib.sha256(AUTO_SUBMIT.encode()).digest()).decode()
# A CSP host-source: http(s), host name and port only (CSP Level 3 §2.3.1); anything else is not put in the policy.
_HOST_SOURCE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def redirect_origin(redirect_uri: str) -> str | None:
    """The origin of an http(s) redirect URI as a CSP source, or None (another scheme, an IPv6 literal)."""
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return origin if _HOST_SOURCE.match(origin) else None


def html_headers(redirect_uri: str | None = None, auto_submit: bool = False) -> dict[str, str]:
    """Headers of every page: no caching, no framing, and forms that post only here or to the redirect URI."""
    # CSP form-action also governs where a form's answer may redirect, so a page whose form ends at the
    # application's redirect URI must name that origin too, or a browser stops there.
    origin = redirect_origin(redirect_uri) if redirect_uri else None
    form_action = "form-action 'self'" + (f" {origin}" if origin else "")
    script = f"; script-src 'sha256-{_AUTO_SUBMIT_HASH}'" if auto_submit else ""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; {form_action}{script}",
    }


def _page(title: str, body: str, error: str | None = None) -> str:
    data_error = f' data-error="{escape(error)}"' if error else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · Sandbox identity</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main{data_error}>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def sign_in_page(
    request_id: str, client_id: str, description: str, problem: str | None = None, username: str = ""
) -> str:
    alert = f'<p class="error" role="alert">{escape(problem)}</p>\n' if problem else ""
    about = f"<p>{escape(description)}</p>\n" if description else ""
    body = (
        f"<p>The application <code>{escape(client_id)}</code> asks you to sign in.</p>\n{about}{alert}"
        '<form method="post" action="/id/account/login">\n'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">\n'
        '<label for="username">User name</label>\n'
        f'<input type="text" id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" required>\n'
        '<label for="password">Password</label>\n'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>\n'
        '<button type="submit">Sign in</button>\n</form>\n'
        "<p><small>This is a sandbox: its demo accounts are listed in the Flow Guide README.</small></p>"
    )
    return _page("Sign in", body)


def consent_page(
    request_id: str, client_id: str, user_name: str, scopes: list[str], words: Mapping[str, str] = SCOPE_WORDS
) -> str:
    items = "\n".join(f"<li><code>{escape(s)}</code>: {escape(words.get(s, s))}</li>" for s in scopes)
    body = (
        f"<p>Signed in as <strong>{escape(user_name)}</strong>.</p>\n"
        f"<p>The application <code>{escape(client_id)}</code> asks to:</p>\n<ul>\n{items}\n</ul>\n"
        '<form method="post" action="/id/connect/consent">\n'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">\n'
        '<button type="submit" name="decision" value="allow">Allow</button>\n'
        '<button type="submit" name="decision" value="deny">Deny</button>\n</form>'
    )
    return _page("Allow access?", body)


def form_post_page(redirect_uri: str, params: list[tuple[str, str]]) -> str:
    """OAuth 2.0 Form Post Response Mode §2: the answer as hidden fields the browser posts to the redirect URI."""
    fields = "\n".join(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">' for name, value in params)
    body = (
        f'<form method="post" action="{escape(redirect_uri)}">\n{fields}\n'
        "<p>Your browser now takes the answer back to the application.</p>\n"
        '<button type="submit">Continue</button>\n</form>\n'
        f"<script>{AUTO_SUBMIT}</script>"
    )
    return _page("Returning to the application", body)


def error_page(error: str, description: str) -> str:
    body = f'<p class="error" role="alert"><code>{escape(error)}</code></p>\n<p>{escape(description)}</p>'
    return _page("Sign-in request refused", body, error=error)


def signed_out_page() -> str:
    return _page("Signed out", "<p>You are signed out of the sandbox identity service.</p>")
