"""/connect's Authorization Code with PKCE: the application's settings, the authorization URL, and the
answer coming back, caught by this page itself or pasted.

A sign-in waits in the server's memory (flowguide.pending), keyed by its state, while the person signs in:
the browser comes back to this page in a new session, which takes it from there once. While it waits,
the session that started it only shows it; whichever session takes it owns the run from then on.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from flowguide.client import ClientConfig, FlowRun
from flowguide.connect import DEFAULT_AUDIENCE, Provider, auth_method, connect_http, flow_support, make_run
from flowguide.connect_callback import is_answer, landed_url, own_callback, paste_problem
from flowguide.pages.connect_view import (
    PROVIDER,
    RUNS,
    api_call_view,
    md_sentences,
    refresh_view,
    results_view,
    run_of,
    tokens_view,
)
from flowguide.pages.inert import md_literal
from flowguide.pending import PENDING, PENDING_LIFETIME, PendingSignIn, Taken, browser_binding
from flowguide.transcript import mask

FLOW = "authorization_code"
# The state of the sign-in this session started and is waiting for (not a secret: it travels in URLs).
WAITING = "connect_ac_waiting"
NOTICE = "connect_ac_notice"
PASTE_PROBLEM = "connect_ac_paste_problem"
# Streamlit's XSRF cookie: set once per browser, sent by every tab, so it ties a sign-in to its browser.
BROWSER_COOKIE = "_streamlit_xsrf"
NOT_WAITING = (
    "This address carries an answer for a sign-in this server is not waiting for: it was used already, "
    f"it waited more than {PENDING_LIFETIME // 60} minutes, or another server started it. Build a new "
    "authorization URL to sign in again."
)
CAME_BACK = (
    "You are signed in: your browser came back to this page with the code, which left the address bar at "
    "once. The state matched, the code was exchanged for tokens and the tokens were checked; each step is below."
)
CAME_BACK_FAILED = (
    "Your browser came back to this page with the answer, which left the address bar at once, but a step "
    "did not go through; it is below, with what was said."
)
OTHER_BROWSER = (
    "This answer came back to another browser than the one that started the sign-in, so it is not used "
    "(an answer carried from one browser to another is how a stolen code would arrive). Sign in again here."
)


def _binding() -> str:
    return browser_binding(st.context.cookies.get(BROWSER_COOKIE))


def _own_address() -> str | None:
    return own_callback(st.context.url)


# --- the answer comes back -------------------------------------------------------------------------


def pick_up_answer() -> None:
    """Before anything is drawn: an answer in this page's query is taken off the address bar and used."""
    params = st.query_params.to_dict()
    if not is_answer(params):
        return
    # First of all: the code leaves the address bar (and the browser's history entry) now.
    st.query_params.clear()
    st.query_params["flow"] = FLOW
    taken, entry = PENDING.take(params["state"], _binding())
    if entry is None:
        st.session_state[NOTICE] = OTHER_BROWSER if taken is Taken.OTHER_BROWSER else NOT_WAITING
        return
    st.query_params["instance"] = entry.provider.instance
    st.session_state[PROVIDER] = entry.provider
    st.session_state["connect_instance"] = entry.provider.instance
    app = entry.run.app
    # The settings form shows what this sign-in was built with (never the secret).
    st.session_state.update(
        connect_ac_client_id=app.client_id, connect_ac_redirect=entry.run.auth.redirect_uri, connect_ac_scope=app.scope
    )
    # Without the browser's own address (no front end), the page is the redirect URI the answer was sent to.
    page = _own_address() or entry.run.auth.redirect_uri
    done = _finish(entry.run, landed_url(page, params))
    st.session_state[NOTICE] = CAME_BACK if done else CAME_BACK_FAILED


def answer_notice() -> None:
    """What became of an answer that came back to this page (shown once, at the top)."""
    notice = st.session_state.pop(NOTICE, None)
    if notice == CAME_BACK:
        st.success(notice, icon=":material/login:")
    elif notice:
        st.warning(notice, icon=":material/schedule:")


def _finish(run: FlowRun, landed: str) -> bool:
    """Check the answer (state, iss, address), then redeem the code and validate the tokens; True when all held."""
    st.session_state[RUNS[FLOW]] = run
    st.session_state.pop(WAITING, None)
    if run.accept_callback(landed).ok and run.redeem_code().error is None:
        return run.validate().ok
    return False


def _accept_paste() -> None:
    """The paste form's callback: a pasted address that cannot be this sign-in's answer leaves it waiting."""
    st.session_state.pop(PASTE_PROBLEM, None)
    state = st.session_state.get(WAITING, "")
    entry = PENDING.peek(state)
    landed = st.session_state.get("connect_ac_landed", "")
    if entry is None or not landed.strip():
        return
    problem = paste_problem(landed, entry.run.auth.redirect_uri, _own_address())
    if problem is not None:
        st.session_state[PASTE_PROBLEM] = problem
        return
    # The client compares the pasted state with this sign-in's own; a forged one is refused there.
    taken, entry = PENDING.take(state, _binding())
    if entry is None:
        st.session_state[NOTICE] = OTHER_BROWSER if taken is Taken.OTHER_BROWSER else NOT_WAITING
        return
    _finish(entry.run, landed)


# --- starting a sign-in ----------------------------------------------------------------------------


def _forget_waiting() -> None:
    state = st.session_state.pop(WAITING, None)
    entry = PENDING.peek(state) if state else None
    if entry is not None:
        PENDING.discard(state)
        entry.run.http.close()


def _start(found: Provider, app: ClientConfig) -> None:
    """A new run: discovery and the authorization URL; the sign-in then waits for its answer."""
    _forget_waiting()
    old = run_of(FLOW)
    if old is not None:
        old.http.close()
    st.session_state.pop(RUNS[FLOW], None)
    audience = st.session_state.get("connect_audience") or DEFAULT_AUDIENCE
    run = make_run(found, FLOW, app, connect_http(), audience)
    if run.discover().error is None and run.authorization_request().error is None:
        PENDING.put(run.auth.state, PendingSignIn(run, found, _binding()))
        st.session_state[WAITING] = run.auth.state
    else:
        st.session_state[RUNS[FLOW]] = run


def _settings_form(found: Provider, own: str | None) -> None:
    """The application's settings; Build makes a new run that discovers and builds the authorization URL."""
    # An empty field is filled too: the browser's address may reach the server only after the first run.
    if own and not st.session_state.get("connect_ac_redirect"):
        st.session_state["connect_ac_redirect"] = own
    with st.form("connect_ac_form"):
        client_id = st.text_input("Client id (the Trusted Application's ApplicationUri)", key="connect_ac_client_id")
        redirect_uri = st.text_input("Redirect URI (registered with the application)", key="connect_ac_redirect")
        secret = st.text_input(
            "Client secret (only for a Confidential application)", type="password", key="connect_ac_secret"
        )
        scope = st.text_input("Scope", value="openid profile offline_access read", key="connect_ac_scope")
        build = st.form_submit_button("Build the authorization URL", type="primary")
    if not build:
        return
    if not client_id.strip() or not redirect_uri.strip():
        st.error("Give the client id and the redirect URI registered for it.", icon=":material/error:")
        return
    kind = "Confidential" if secret else "Public"
    method = auth_method(found.document)
    _start(found, ClientConfig(client_id.strip(), kind, secret or None, redirect_uri.strip(), scope.strip(), method))


def _own_address_view(own: str | None) -> None:
    if own is None:
        return
    st.markdown(
        "**This page's own address.** Register it as a redirect URI of your application "
        "(in the Trusted Application's ImpersonateLoginUrl, or your provider's list of redirect URIs) and give "
        "it below: after signing in, your browser comes back here, and this page takes the code off the "
        "address bar at once and carries on by itself."
    )
    st.code(own, language=None)


# --- while it waits --------------------------------------------------------------------------------


def _authorization_url(values: dict[str, Any], reveal: bool, caught: bool) -> None:
    st.markdown("#### The authorization URL")
    verifier = values.get("code_verifier", "")
    st.markdown(
        "\n".join(
            [
                f"- **code_verifier** (kept on this server, sent only with the code): "
                f"{md_literal(verifier if reveal else mask(verifier))}",
                f"- **code_challenge** (S256 of the verifier): {md_literal(values.get('code_challenge', ''))}",
                f"- **state** (must come back unchanged): {md_literal(values.get('state', ''))}",
                f"- **nonce** (the ID token must echo it): {md_literal(values.get('nonce') or '(none)')}",
            ]
        )
    )
    url = values.get("authorization_url", "")
    st.code(url, language=None, wrap_lines=True)
    st.link_button("Open the sign-in page in a new tab", url, icon=":material/open_in_new:", type="primary")
    minutes = PENDING_LIFETIME // 60
    if caught:
        st.caption(
            f"After you sign in, the new tab comes back to this page and finishes there. The sign-in waits "
            f"{minutes} minutes, on this server only, and its answer is used once."
        )
    else:
        st.caption(f"The sign-in waits {minutes} minutes on this server, and its answer is used once.")


def _paste_form(run: FlowRun) -> None:
    """The fallback: paste the address the browser landed on; the state and the code are then checked."""
    with st.form("connect_ac_callback"):
        st.text_input(
            "The address your browser landed on after signing in",
            key="connect_ac_landed",
            placeholder=f"{run.auth.redirect_uri}?code=…&state=…",
        )
        st.form_submit_button("Check the state and exchange the code", type="primary", on_click=_accept_paste)
    if problem := st.session_state.get(PASTE_PROBLEM):
        st.warning(md_sentences(problem), icon=":material/link_off:")


def _waiting_view(entry: PendingSignIn, reveal: bool, own: str | None) -> None:
    run = entry.run
    results_view(run, reveal, skip=("authorize",))
    start = next((r for r in run.results if r.step == "authorize"), None)
    if start is None:
        return
    caught = own is not None and run.auth.redirect_uri == own
    _authorization_url(start.values, reveal, caught)
    if caught:
        st.markdown("If your browser lands somewhere else, paste the address it shows here instead:")
    _paste_form(run)


# --- the flow --------------------------------------------------------------------------------------


def authorization_code(found: Provider, reveal: bool) -> None:
    st.markdown(
        "A person signs in in their own browser tab. This page makes the PKCE verifier and challenge, the "
        "state and the nonce, and builds the authorization URL; you open it and sign in, and your browser "
        "comes back to the redirect URI with the code. Give this page's own address as the redirect URI and "
        "it catches the code itself; otherwise paste back the address you land on."
    )
    if flow_support(found.document, FLOW)[0].ok is not True:
        st.error("The provider publishes no authorization_endpoint, so there is nowhere to sign in.")
        return
    own = _own_address()
    _own_address_view(own)
    _settings_form(found, own)
    answer_notice()
    state = st.session_state.get(WAITING)
    entry = PENDING.peek(state) if state else None
    if entry is not None:
        _waiting_view(entry, reveal, own)
        return
    if state:
        st.info(
            "This sign-in's answer came back in another tab, which carries on from there, or it waited too long. "
            "Build a new authorization URL to sign in again here.",
            icon=":material/tab:",
        )
        return
    run = run_of(FLOW)
    if run is None:
        return
    results_view(run, reveal)
    tokens_view(run, found, reveal)
    refresh_view(run, reveal)
    if run.tokens.access_token:
        api_call_view(run, found, reveal)
