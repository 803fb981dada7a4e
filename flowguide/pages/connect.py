"""/connect: run the simulator's client against the visitor's own instance (or any OpenID provider).

Deep link: ``/connect?instance=<base URL>&flow=<client_credentials|authorization_code>``. No secret,
code, verifier or token ever goes into the URL; they live in this browser session's memory only.
Every outbound request goes through the guard (flowguide.outbound); every failure is one sentence.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from flowguide import outbound
from flowguide.client import ClientConfig, FlowRun, StepError, StepResult
from flowguide.connect import (
    CONNECT_FLOWS,
    DEFAULT_AUDIENCE,
    ConnectError,
    Provider,
    api_url,
    auth_method,
    connect_http,
    explain_error,
    fetch_provider,
    flow_support,
    make_run,
    metadata_rows,
)
from flowguide.content import brand, docs_url
from flowguide.pages import ui
from flowguide.pages.exchange_view import checks_view, exchange_title
from flowguide.pages.inert import md_literal, md_text
from flowguide.pages.jwt_view import CHECK_ICONS, jwt_view
from flowguide.tokens import verify
from flowguide.transcript import Exchange, mask

PROVIDER = "connect_provider"
RUNS = {flow: f"connect_run_{flow}" for flow in CONNECT_FLOWS}
FLOW_TITLES = {"client_credentials": "Client Credentials", "authorization_code": "Authorization Code with PKCE"}
STEP_TITLES = {
    "discovery": "Discovery",
    "authorize": "The authorization URL",
    "callback": "The URL you landed on",
    "token": "Token request",
    "validate": "Token validation",
    "refresh": "Refresh",
    "api_call": "API call",
}
EXAMPLE = "https://acme.my.erp.net"
MAX_SHOWN_BODY = 4000


# --- state -----------------------------------------------------------------------------------------


def _provider() -> Provider | None:
    value = st.session_state.get(PROVIDER)
    return value if isinstance(value, Provider) else None


def _run(flow: str) -> FlowRun | None:
    value = st.session_state.get(RUNS[flow])
    return value if isinstance(value, FlowRun) else None


def _new_run(provider: Provider, flow: str, app: ClientConfig) -> FlowRun:
    old = _run(flow)
    if old is not None:
        old.http.close()
    run = make_run(provider, flow, app, connect_http(), st.session_state.get("connect_audience") or DEFAULT_AUDIENCE)
    st.session_state[RUNS[flow]] = run
    return run


def _connect() -> None:
    text = st.session_state.get("connect_instance", "")
    for key in (PROVIDER, *RUNS.values()):
        st.session_state.pop(key, None)
    try:
        st.session_state[PROVIDER] = fetch_provider(text)
        st.session_state.pop("connect_error", None)
        st.query_params["instance"] = text.strip()
    except ConnectError as exc:
        st.session_state["connect_error"] = exc.message


# --- views -----------------------------------------------------------------------------------------


def _exchange(exchange: Exchange, reveal: bool) -> None:
    with st.expander(md_text(exchange_title(exchange)), icon=":material/swap_horiz:"):
        st.code(exchange.render_http(reveal=reveal, max_body=MAX_SHOWN_BODY), language="http", wrap_lines=True)
        st.code(exchange.to_curl(reveal=reveal, multiline=True), language="bash", wrap_lines=True)


def _error(error: StepError, flow: str, step: str) -> None:
    """The provider's error as it gave it, and the product's explanation when its documentation has one."""
    if error.code == "request_failed":
        st.error(md_text(error.description), icon=":material/cloud_off:")
        return
    status = f"HTTP {error.status} · " if error.status else ""
    said = f": {md_text(error.description)}" if error.description else ""
    st.error(f"{status}{md_literal(error.code)}{said}", icon=":material/error:")
    documented = explain_error(error.code, "refresh" if step == "refresh" else flow, error.status)
    if documented is not None:
        with st.container(border=True):
            st.markdown(f"**What {brand().name}'s documentation says: {documented.title}.**")
            st.markdown(f"**Cause.** {documented.cause}")
            st.markdown(f"**Fix.** {documented.fix}")
            st.markdown(" · ".join(f"[{d.title}]({docs_url(d.page)})" for d in documented.docs))


def _step(result: StepResult, flow: str, reveal: bool) -> None:
    icon = CHECK_ICONS[result.ok]
    st.markdown(f"#### {icon} {STEP_TITLES.get(result.step, result.step)}")
    for exchange in result.exchanges:
        _exchange(exchange, reveal)
    checks_view(result.checks)
    if result.error is not None:
        _error(result.error, flow, result.step)


def _tokens(run: FlowRun, provider: Provider, reveal: bool) -> None:
    """The tokens held now, decoded and verified against the keys fetched when connecting."""
    now = time.time()
    held = run.tokens
    shown = [("Access token", held.access_token, run.audience), ("ID token", held.id_token, run.app.client_id)]
    for title, token, audience in shown:
        if not token:
            continue
        with st.expander(f"{title}, decoded and verified", expanded=title == "Access token", icon=":material/token:"):
            verification = verify(token, provider.jwks, provider.issuer, audience, now) if provider.jwks else None
            source = "the provider's published keys" if provider.jwks else "no keys"
            jwt_view(token, key=f"connect_{run.flow}_{title}", now=now, verification=verification, source=source)
    if held.refresh_token:
        shown_refresh = held.refresh_token if reveal else mask(held.refresh_token)
        st.markdown(f"**Refresh token** (opaque to the app): {md_literal(shown_refresh)}")


def _results(run: FlowRun, reveal: bool, skip: tuple[str, ...] = ()) -> None:
    for result in run.results:
        if result.step not in skip:
            _step(result, run.flow, reveal)


def _metadata(provider: Provider) -> None:
    st.subheader("What the provider publishes")
    st.markdown(f"Discovery document: {md_literal(provider.discovery_url)} · issuer {md_literal(provider.issuer)}")
    if provider.jwks_problem:
        st.warning(md_text(provider.jwks_problem), icon=":material/key_off:")
    else:
        keys = provider.jwks.get("keys", []) if provider.jwks else []
        st.caption(f"{len(keys)} signing key{'s' if len(keys) != 1 else ''} fetched from the JWKS.")
    columns = st.columns(len(CONNECT_FLOWS))
    for column, flow in zip(columns, CONNECT_FLOWS, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**{FLOW_TITLES[flow]}**")
            st.markdown(
                "\n".join(
                    f"- {CHECK_ICONS[r.ok]} {md_text(r.name)}: {md_text(r.detail)}"
                    for r in flow_support(provider.document, flow)
                )
            )
    with st.expander("The metadata, field by field", icon=":material/table:"):
        st.dataframe(metadata_rows(provider.document), hide_index=True, width="stretch")


def _client_credentials(provider: Provider, reveal: bool) -> None:
    st.markdown(
        "A service signs in as itself: its client id and secret buy an access token that acts as the "
        "application's System User. Nothing leaves this session but the request to your token endpoint."
    )
    with st.form("connect_cc_form"):
        client_id = st.text_input("Client id (the Trusted Application's ApplicationUri)", key="connect_cc_client_id")
        secret = st.text_input("Client secret", type="password", key="connect_cc_secret")
        scope = st.text_input("Scope", value="read", key="connect_cc_scope")
        asked = st.form_submit_button("Request a token", type="primary")
    if asked:
        if not client_id.strip() or not secret:
            st.error("Give the client id and the secret of a Confidential application.", icon=":material/error:")
        else:
            app = ClientConfig(
                client_id.strip(), "Confidential", secret, None, scope.strip(), auth_method(provider.document)
            )
            run = _new_run(provider, "client_credentials", app)
            if run.discover().error is None and run.client_credentials_token().error is None:
                run.validate()
    run = _run("client_credentials")
    if run is None:
        return
    _results(run, reveal)
    _tokens(run, provider, reveal)
    if run.tokens.access_token:
        _api_call(run, provider)


def _api_call(run: FlowRun, provider: Provider) -> None:
    st.markdown("##### One call to your API with this token (optional)")
    default = "/api/domain/odata/$metadata" if provider.instance != provider.issuer else "/"
    with st.form(f"connect_api_{run.flow}"):
        path = st.text_input(
            f"A path on {md_text(provider.instance)}", value=default, key=f"connect_api_path_{run.flow}"
        )
        call = st.form_submit_button("Call the API")
    if call:
        try:
            run.call_api(api_url(provider, path))
        except ConnectError as exc:
            st.error(exc.message, icon=":material/error:")


def _authorization_form(provider: Provider) -> None:
    """The application's settings; Build makes a new run that discovers and builds the authorization URL."""
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
    app = ClientConfig(
        client_id.strip(),
        kind,
        secret or None,
        redirect_uri.strip(),
        scope.strip(),
        auth_method(provider.document),
    )
    run = _new_run(provider, "authorization_code", app)
    if run.discover().error is None:
        run.authorization_request()


def _callback_form(run: FlowRun) -> None:
    """Where the visitor pastes the address they landed on; the code is then checked and redeemed."""
    with st.form("connect_ac_callback"):
        landed = st.text_input(
            "The address your browser landed on after signing in",
            key="connect_ac_landed",
            placeholder=f"{run.app.redirect_uri}?code=…&state=…",
        )
        go = st.form_submit_button("Check the state and exchange the code", type="primary")
    if go and landed.strip():
        callback = run.accept_callback(landed)
        if callback.ok and run.redeem_code().error is None:
            run.validate()
        st.rerun()


def _authorization_code(provider: Provider, reveal: bool) -> None:
    st.markdown(
        "A person signs in in their own browser tab. This page makes the PKCE verifier and challenge, the "
        "state and the nonce, and builds the authorization URL; you open it, sign in, and paste back the "
        "address your browser lands on (your redirect URI, with the code in it)."
    )
    if flow_support(provider.document, "authorization_code")[0].ok is not True:
        st.error("The provider publishes no authorization_endpoint, so there is nowhere to sign in.")
        return
    _authorization_form(provider)
    run = _run("authorization_code")
    if run is None:
        return
    _results(run, reveal, skip=("authorize",))
    start = next((r for r in run.results if r.step == "authorize"), None)
    if start is None:
        return
    _authorization_url(start.values, reveal)
    if not any(r.step == "callback" for r in run.results):
        _callback_form(run)
        return
    _tokens(run, provider, reveal)
    if run.tokens.refresh_token and st.button("Refresh the tokens", icon=":material/refresh:"):
        run.refresh()
        st.rerun()
    if run.tokens.access_token:
        _api_call(run, provider)


def _authorization_url(values: dict[str, Any], reveal: bool) -> None:
    st.markdown("#### The authorization URL")
    verifier = values.get("code_verifier", "")
    st.markdown(
        "\n".join(
            [
                f"- **code_verifier** (kept here, sent only with the code): "
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


# --- the page --------------------------------------------------------------------------------------

st.title("Your own instance")
st.markdown(
    f"Run the same client as the simulator against your {brand().name} instance, with your own Trusted "
    "Application, and see the real tokens. Any other OpenID provider works too: give its issuer or its "
    "discovery URL."
)
if outbound.allow_private_default():
    st.caption("This server may reach loopback and private addresses (a local run).")
else:
    st.caption("This server reaches public https addresses only.")

flow = st.query_params.get("flow", "client_credentials")
if flow not in CONNECT_FLOWS:
    st.warning(f"There is no flow {md_literal(flow)} here; showing Client Credentials.", icon=":material/link_off:")
    flow = "client_credentials"
if "connect_instance" not in st.session_state:
    st.session_state["connect_instance"] = st.query_params.get("instance", "")

with st.form("connect_form"):
    st.text_input("Instance, issuer or discovery URL", key="connect_instance", placeholder=EXAMPLE)
    st.form_submit_button("Connect", type="primary", on_click=_connect)
if error := st.session_state.get("connect_error"):
    st.error(md_text(error), icon=":material/cloud_off:")

provider = _provider()
if provider is not None:
    _metadata(provider)
    st.divider()
    chosen = st.segmented_control(
        "Flow", CONNECT_FLOWS, default=flow, format_func=FLOW_TITLES.__getitem__, key="connect_flow"
    )
    flow = chosen or flow
    st.query_params["flow"] = flow
    left, right = st.columns([3, 2])
    reveal = left.toggle("Show secrets and tokens in full", key="connect_reveal")
    right.text_input("Audience the access token must name (aud)", value=DEFAULT_AUDIENCE, key="connect_audience")
    st.subheader(FLOW_TITLES[flow])
    if flow == "client_credentials":
        _client_credentials(provider, reveal)
    else:
        _authorization_code(provider, reveal)
    if any(_run(f) for f in CONNECT_FLOWS):
        st.caption("Secrets and tokens stay in this browser session's memory; nothing is logged or stored.")

link_params = ({"instance": provider.instance} if provider is not None else {}) | {"flow": flow}
ui.link_to_this(f"Try the {brand().name} sign-in flows against your own instance", "connect", link_params)
