"""Views of what a flow step did: HTTP exchanges with curl, the client's checks, PKCE, state, the
identity service's sign-in and consent pages, the token response and the API's answer.

Secrets, codes, verifiers and tokens are masked unless ``reveal`` is true. Values that come from
the wire go through md_text / md_literal (or st.code), never through Markdown as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from flowguide.client import Check, StepError
from flowguide.content import FlowStep, Mistake
from flowguide.pages.html_table import code, html_table, own, rows_table
from flowguide.pages.inert import md_literal, md_text
from flowguide.pages.jwt_view import CHECK_ICONS
from flowguide.sandbox import IN_PROCESS_BASE_URL
from flowguide.sandbox.pages import SCOPE_WORDS
from flowguide.sandbox.state import AUTHORIZATION_CODE_LIFETIME
from flowguide.simulation import PkceComputation
from flowguide.transcript import Exchange, mask, mask_values

# Long HTML pages are cut in the transcript; the form they carry is shown as widgets instead.
MAX_BODY = 1800
# The standalone sandbox's own address (`python -m flowguide.sandbox --port 8600`): curl can reach it.
STANDALONE_ORIGIN = "http://127.0.0.1:8600"
STANDALONE_COMMAND = "python -m flowguide.sandbox --port 8600"
# What the standalone sandbox shares with this session's: the demo registry of content/sandbox.yaml.
CARRIES_OVER = "client ids, demo client secrets, redirect URIs, scopes and David's sign-in are the same there"
# Request values only this session's sandbox issued, by where they travel: a form field, or a Bearer header.
SESSION_BOUND_FIELDS = {
    "code": "the authorization code",
    "code_verifier": "the code_verifier (it belongs to that code)",
    "refresh_token": "the refresh token",
    "request_id": "the sign-in's request_id",
}


def shown_secret(value: str, reveal: bool) -> str:
    """A credential as a code span: masked unless the visitor chose to reveal secrets."""
    return md_literal(value if reveal else mask(value)) if value else "_(none)_"


def moment(timestamp: float) -> str:
    """A Unix time as a UTC date and time."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- exchanges ------------------------------------------------------------------------------------


def exchange_title(exchange: Exchange) -> str:
    path = urlsplit(exchange.url).path or "/"
    who = exchange.actor or "client"
    return f"{who}: {exchange.label} · {exchange.method} {path} → {exchange.status} {exchange.reason}"


def session_bound(exchange: Exchange) -> list[str]:
    """What this request carries that only this session's sandbox issued: another sandbox refuses it."""
    fields = {name for name, value in exchange.form_pairs() if value}
    bound = [words for name, words in SESSION_BOUND_FIELDS.items() if name in fields]
    if (exchange.request_header("authorization") or "").lower().startswith("bearer "):
        bound.append("the access token")
    if exchange.request_header("cookie"):
        bound.append("the identity service's session cookie")
    return bound


def standalone_curl(exchange: Exchange, *, reveal: bool) -> str:
    """The same request as a curl command aimed at the standalone sandbox, which curl can reach."""
    parts = urlsplit(exchange.url)
    if f"{parts.scheme}://{parts.netloc}" == IN_PROCESS_BASE_URL:
        # The in-process name resolves nowhere; the standalone sandbox serves the same paths.
        origin = urlsplit(STANDALONE_ORIGIN)
        exchange = dataclasses.replace(
            exchange, url=urlunsplit(parts._replace(scheme=origin.scheme, netloc=origin.netloc))
        )
    return exchange.to_curl(reveal=reveal, multiline=True)


def curl_note(exchange: Exchange) -> str:
    """Whether the curl command runs as shown against the standalone sandbox, and which values do not carry over."""
    bound = session_bound(exchange)
    if not bound:
        return (
            f"Runs as shown against the standalone sandbox: start it with `{STANDALONE_COMMAND}` (this session's "
            f"sandbox lives inside the app, where curl cannot reach it). The {CARRIES_OVER}."
        )
    codes = SESSION_BOUND_FIELDS["code"] in bound
    expiry = (
        f" A code is also single-use and expires after {AUTHORIZATION_CODE_LIFETIME // 60} minutes." if codes else ""
    )
    return (
        f"Does not run as shown: {' and '.join(bound)} came from this session's sandbox, which lives inside the app "
        f"where curl cannot reach it; the standalone one (`{STANDALONE_COMMAND}`) never issued "
        f"{'them' if len(bound) > 1 else 'it'}.{expiry} Run the earlier steps there for your own; the {CARRIES_OVER}."
    )


def exchange_view(exchange: Exchange, *, reveal: bool, key: str, expanded: bool = False) -> None:
    """One request and its response exactly as they ran, and a curl command that sends the same.

    Sent to the browser only while its expander is open (opening it reruns the fragment or page): a step
    that made three requests then does not make every visitor's browser draw two hidden transcripts.
    """
    title = md_text(exchange_title(exchange))
    box = st.expander(title, expanded=expanded, icon=":material/swap_horiz:", key=key, on_change="rerun")
    if not box.open:
        return
    with box:
        st.code(exchange.render_http(reveal=reveal, max_body=MAX_BODY), language="http", wrap_lines=True)
        st.markdown(f"**As a curl command** · took {exchange.elapsed_ms:.0f} ms in-process")
        st.code(standalone_curl(exchange, reveal=reveal), language="bash", wrap_lines=True)
        masked = "Secrets are masked in this command; reveal them above to copy a command that runs. "
        st.caption((masked if not reveal and exchange.secrets() else "") + curl_note(exchange))


def exchanges_view(exchanges: list[Exchange], *, reveal: bool, key: str, arrived_at: str = "") -> None:
    """Every exchange of one step; ``key`` names the step, so each expander keeps its own open state."""
    if arrived_at:
        st.caption(
            "Nothing new crossed the wire: the identity service's last redirect sent the browser here, "
            "and the app reads the code and state off this address."
        )
        st.code(mask_values({"location": arrived_at}, reveal)["location"], language=None, wrap_lines=True)
        return
    if not exchanges:
        st.caption("This step sent nothing over the wire: it happens inside the client.")
        return
    for number, exchange in enumerate(exchanges):
        # A lone exchange opens, unless it answered with a whole HTML page (the sign-in page is a screen long);
        # so does a refusal that ends the step, which is what the step is there to show.
        html = (exchange.response_header("content-type") or "").startswith("text/html")
        refused = number == len(exchanges) - 1 and exchange.status >= 400
        opened = (len(exchanges) == 1 and not html) or refused
        exchange_view(exchange, reveal=reveal, key=f"{key}_{number}", expanded=opened)


def checks_view(checks: list[Check]) -> None:
    """What the client checked itself, each with its verdict."""
    if not checks:
        return
    lines = (
        f"- {CHECK_ICONS[c.passed]} {md_text(c.name)}" + (f": {md_text(c.detail)}" if c.detail else "") for c in checks
    )
    # One element for the heading and its list: each element costs the browser a component at every step.
    st.markdown("**What the client checked**\n\n" + "\n".join(lines))


def reference_markdown(step: FlowStep) -> str:
    """Every parameter of a step in one sentence, and where to read more: our own content, as Markdown."""
    parts = []
    if step.parameters:
        parts.append(
            "**Every parameter, in one sentence**\n\n" + "\n".join(f"- `{p.name}`: {p.why}" for p in step.parameters)
        )
    links = [(r.ref, r.url) for r in step.rfc] + [(d.title, d.url) for d in step.docs]
    if links:
        parts.append("**Read more**\n\n" + "\n".join(f"- [{title}]({url})" for title, url in links))
    return "\n\n".join(parts)


# --- errors and mistakes ---------------------------------------------------------------------------


def error_view(error: StepError, mistake: Mistake | None) -> None:
    """The error a step met, as the sandbox (or the client's own check) gave it; with a mistake, why and fix."""
    status = f"HTTP {error.status} · " if error.status else ""
    said = f": {md_text(error.description)}" if error.description else ""
    if error.expected:
        st.info(
            f"Refused, as this step sets out to show: {status}{md_literal(error.code)}{said}",
            icon=":material/check_circle:",
        )
        return
    if error.code == "sign_in_failed":
        # The page's own alert says why: a wrong password, or a user type the application refuses.
        st.error(
            f"The identity service showed its sign-in page again: {md_text(error.description)} "
            "Try again below (David's password is `demo`).",
            icon=":material/password:",
        )
        return
    st.error(f"{status}{md_literal(error.code)}{said}", icon=":material/error:")
    if mistake is not None and mistake.error == error.code:
        mistake_explained(mistake)


def mistake_explained(mistake: Mistake) -> None:
    with st.container(border=True):
        st.markdown(f"**Why it happened.** {mistake.why}")
        st.markdown(f"**The fix.** {mistake.fix}")
        links = [(d.title, d.url) for d in mistake.docs] + [(r.ref, r.url) for r in mistake.rfc]
        st.markdown(" · ".join(f"[{title}]({url})" for title, url in links))


# --- the protocol's moving parts -----------------------------------------------------------------------


def pkce_view(computation: PkceComputation | None, *, reveal: bool) -> None:
    """The S256 challenge computed in front of the reader (RFC 7636 §4.2)."""
    st.markdown("**PKCE: the verifier and its S256 challenge**")
    if computation is None:
        st.warning("No code_challenge was sent: this request carries no PKCE.", icon=":material/no_encryption:")
        return
    c = computation
    hex_pairs = " ".join(c.sha256.hex()[i : i + 2] for i in range(0, len(c.sha256) * 2, 2))
    st.markdown(
        f"`code_challenge = {c.formula}`\n\n"
        f"1. `code_verifier`, made fresh and kept by the app: {shown_secret(c.verifier, reveal)} "
        f"({len(c.verifier)} characters from `A-Z a-z 0-9 - . _ ~`)\n"
        f"2. `ASCII(code_verifier)`: {c.ascii_length} bytes\n"
        f"3. `SHA256(…)`: 32 bytes\n"
    )
    st.code(hex_pairs, language=None, wrap_lines=True)
    st.markdown("4. `BASE64URL-ENCODE(…)`, without `=` padding: the `code_challenge`")
    st.code(c.challenge, language=None, wrap_lines=True)
    if c.matches:
        st.markdown(f"{CHECK_ICONS[True]} Equals the `code_challenge` the browser carried to the authorize endpoint.")
    else:
        st.markdown(f"{CHECK_ICONS[False]} Differs from the `code_challenge` sent ({md_literal(c.challenge_sent)}).")
    st.caption(
        "Only the challenge travels through the browser. The verifier goes straight from the app to the "
        "token endpoint, which hashes it the same way and compares."
    )


def state_view(sent: str, returned: str) -> None:
    """The state the app sent beside the one that came back (RFC 6749 §10.12)."""
    st.markdown("**state: sent and returned**")
    left, right = st.columns(2)
    left.caption("Sent with the authorization request")
    left.code(sent or "(none)", language=None, wrap_lines=True)
    right.caption("Came back on the redirect")
    right.code(returned or "(none)", language=None, wrap_lines=True)
    if sent and sent == returned:
        st.markdown(f"{CHECK_ICONS[True]} Identical: this callback answers this browser's own request.")
    else:
        st.markdown(f"{CHECK_ICONS[False]} Different: the app must not use the code that came with it.")


def scope_list(scope: str) -> str:
    return "\n".join(f"- `{s}`: {SCOPE_WORDS.get(s, 'a scope of this application')}" for s in scope.split())


def sign_in_page(
    client_id: str,
    *,
    key: str,
    on_submit: Callable[..., Any],
    problem: bool | str = False,
) -> None:
    """The identity service's sign-in page as widgets; Sign in posts its form through the client."""
    with st.container(border=True):
        st.markdown("##### :material/language: The browser now shows the identity service's sign-in page")
        st.markdown(f"The application `{client_id}` asks you to sign in.")
        if problem:
            # The sandbox page's alert when given (it may refuse the user type, not the password).
            said = md_text(problem) if isinstance(problem, str) else "The identity service did not accept this sign-in."
            st.error(said, icon=":material/error:")
        st.text_input("User name", value="david", key=f"{key}_username", autocomplete="username")
        st.text_input("Password", value="demo", type="password", key=f"{key}_password")
        st.button("Sign in", key=f"{key}_submit", type="primary", icon=":material/login:", on_click=on_submit)
        st.caption(
            "This form is the sandbox's own page, drawn here: Sign in (or Next) posts your user name and "
            "password to `/id/account/login`. The app never sees them. David's password is `demo`."
        )


def consent_page(
    client_id: str,
    user_name: str,
    scope: str,
    *,
    key: str,
    on_allow: Callable[..., Any],
    on_deny: Callable[..., Any] | None,
) -> None:
    """The consent page as widgets: Allow and Deny answer the identity service's form."""
    with st.container(border=True):
        st.markdown("##### :material/language: The browser now shows the consent page")
        st.markdown(f"Signed in as **{md_text(user_name)}**. The application `{client_id}` asks to:")
        st.markdown(scope_list(scope))
        allow, deny = st.columns(2)
        allow.button(
            "Allow", key=f"{key}_allow", type="primary", icon=":material/check:", on_click=on_allow, width="stretch"
        )
        if on_deny is not None:
            deny.button("Deny", key=f"{key}_deny", icon=":material/block:", on_click=on_deny, width="stretch")
        st.caption("Allow (or Next) posts `decision=allow` to `/id/connect/consent`; Deny posts `decision=deny`.")


# --- tokens and the API --------------------------------------------------------------------------------


def _secret_cell(value: str, reveal: bool) -> str:
    return code(value if reveal else mask(value)) if value else "<em>(none)</em>"


def token_response_view(values: dict[str, Any], *, reveal: bool, issued_at: float) -> None:
    """The token endpoint's answer, field by field."""
    expires_in = int(values.get("expires_in") or 0)
    until = f"Seconds it lives: until {moment(issued_at + expires_in)} (an hour)." if expires_in else ""
    rows = [
        ("access_token", _secret_cell(values.get("access_token", ""), reveal), "Sent to the API as a Bearer token."),
        ("token_type", code(values.get("token_type", "")), "How to send it: `Authorization: Bearer …`."),
        ("expires_in", code(expires_in), until),
        ("scope", code(values.get("scope", "")), "What the token lets the app do at the API."),
    ]
    if "refresh_token" in values:
        renews = "Gets new tokens without the person; each use returns a new one."
        rows.append(("refresh_token", _secret_cell(values["refresh_token"], reveal), renews))
    else:
        again = "No refresh token: this client asks again when it needs a token."
        rows.append(("refresh_token", "<em>(none)</em>", again))
    if "id_token" in values:
        for_app = "Who signed in, for the app; never for APIs."
        rows.append(("id_token", _secret_cell(values["id_token"], reveal), for_app))
    cells = ([code(name), value, own(what)] for name, value, what in rows)
    # The heading and its table in one element.
    st.html(
        "<p><strong>The token response</strong></p>"
        + html_table(("Field", "Value", "What it is"), cells, "The token response")
    )


def api_result_view(exchange: Exchange, rows: Any, who: str) -> None:
    """The API's answer to one call: status, and the rows it returned."""
    if exchange.status == 200:
        count = len(rows) if isinstance(rows, list) else 0
        st.success(
            f"**{exchange.status} {exchange.reason}**: the API returned {count} rows, as {md_text(who)}.",
            icon=":material/dns:",
        )
        if isinstance(rows, list) and rows and all(isinstance(row, dict) for row in rows):
            st.html(rows_table(rows, "The rows the API returned"))
    else:
        challenge = exchange.response_header("www-authenticate") or ""
        st.error(f"**{exchange.status} {exchange.reason}** {md_literal(challenge) if challenge else ''}")


def who_acts(claims: dict[str, Any]) -> str:
    """Whom a token acts as, in the product's words."""
    if "client_system_user" in claims and "sub" not in claims:
        return f"the System User {claims['client_system_user']}"
    if "sub" in claims:
        return f"{claims.get('name') or claims['sub']} (sub {claims['sub']})"
    return "an unknown party"
