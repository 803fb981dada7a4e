"""/connect: run the simulator's client against the visitor's own instance (or any OpenID provider).

Deep link: ``/connect?instance=<base URL>&flow=<client_credentials|authorization_code>``. No secret,
code, verifier or token ever goes into the URL; they live in this browser session's memory only, and a
sign-in waiting for its answer in the server's memory (flowguide.pending). An answer that comes back to
this page (``?code=…&state=…``) is taken off the address bar before anything else happens.
Every outbound request goes through the guard (flowguide.outbound); every failure is one sentence.
"""

from __future__ import annotations

import streamlit as st

from flowguide import outbound
from flowguide.client import ClientConfig
from flowguide.connect import CONNECT_FLOWS, DEFAULT_AUDIENCE, ConnectError, Provider, auth_method, fetch_provider
from flowguide.content import brand
from flowguide.pages import ui
from flowguide.pages.connect_code import answer_notice, authorization_code, pick_up_answer
from flowguide.pages.connect_view import (
    FLOW_TITLES,
    PROVIDER,
    RUNS,
    api_call_view,
    metadata_view,
    new_run,
    provider,
    results_view,
    run_of,
    tokens_view,
)
from flowguide.pages.inert import md_literal, md_text

EXAMPLE = "https://acme.my.erp.net"


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


def _client_credentials(found: Provider, reveal: bool) -> None:
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
            method = auth_method(found.document)
            app = ClientConfig(client_id.strip(), "Confidential", secret, None, scope.strip(), method)
            run = new_run(found, "client_credentials", app)
            if run.discover().error is None and run.client_credentials_token().error is None:
                run.validate()
    run = run_of("client_credentials")
    if run is None:
        return
    results_view(run, reveal)
    tokens_view(run, found, reveal)
    if run.tokens.access_token:
        api_call_view(run, found, reveal)


# --- the page --------------------------------------------------------------------------------------

pick_up_answer()
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
answer_notice()

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

found = provider()
if found is not None:
    metadata_view(found)
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
        _client_credentials(found, reveal)
    else:
        authorization_code(found, reveal)
    if any(run_of(f) for f in CONNECT_FLOWS):
        st.caption("Secrets and tokens stay in this browser session's memory; nothing is logged or stored.")

link_params = ({"instance": found.instance} if found is not None else {}) | {"flow": flow}
ui.link_to_this(f"Try the {brand().name} sign-in flows against your own instance", "connect", link_params)
