"""The views /connect draws: its session state, a step's exchanges and checks, errors (the provider's and
the client's own), the tokens held, the provider's metadata, and one API call drawn under its button.

Everything that comes from the visitor's provider is outside text: it goes through md_text / md_literal
or st.code, never through Markdown as it is.
"""

from __future__ import annotations

import re
import time

import streamlit as st

from flowguide.client import ClientConfig, FlowRun, StepError, StepResult
from flowguide.connect import (
    CONNECT_FLOWS,
    DEFAULT_AUDIENCE,
    ConnectError,
    Provider,
    api_url,
    connect_http,
    explain_error,
    flow_support,
    make_run,
    metadata_rows,
)
from flowguide.connect_results import client_refusal, curl_note, dropped
from flowguide.content import brand, docs_url
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
MAX_SHOWN_BODY = 4000
# Drawn where their buttons are, not in the list of steps above them.
AT_THEIR_BUTTONS = ("refresh", "api_call")


# --- state -----------------------------------------------------------------------------------------


def md_sentences(text: str) -> str:
    """Our own sentences carrying outside values (addresses, claims): each made inert, none cut short.

    md_text shortens what it is given to a few hundred characters, as an outside value should be; a
    paragraph of ours is longer, so it goes a sentence (or clause) at a time.
    """
    return " ".join(md_text(part) for part in re.split(r"(?<=[.;:]) (?=\S)", text))


def provider() -> Provider | None:
    value = st.session_state.get(PROVIDER)
    return value if isinstance(value, Provider) else None


def run_of(flow: str) -> FlowRun | None:
    value = st.session_state.get(RUNS[flow])
    return value if isinstance(value, FlowRun) else None


def new_run(found: Provider, flow: str, app: ClientConfig) -> FlowRun:
    """A new run of ``flow`` for this session; the one it replaces lets go of its connections."""
    old = run_of(flow)
    if old is not None:
        old.http.close()
    audience = st.session_state.get("connect_audience") or DEFAULT_AUDIENCE
    run = make_run(found, flow, app, connect_http(), audience)
    st.session_state[RUNS[flow]] = run
    return run


# --- a step ----------------------------------------------------------------------------------------


def exchange_view(exchange: Exchange, reveal: bool, expanded: bool = False) -> None:
    with st.expander(md_text(exchange_title(exchange)), expanded=expanded, icon=":material/swap_horiz:"):
        st.code(exchange.render_http(reveal=reveal, max_body=MAX_SHOWN_BODY), language="http", wrap_lines=True)
        st.code(exchange.to_curl(reveal=reveal, multiline=True), language="bash", wrap_lines=True)
        masked = " Masked values are shown in full with “Show secrets and tokens in full”." if not reveal else ""
        st.caption(md_sentences(curl_note(exchange)) + masked)


def error_view(result: StepResult, flow: str) -> None:
    """The provider's error as it gave it with the documentation's explanation, or the client's own refusal."""
    error: StepError | None = result.error
    if error is None:
        return
    if error.code == "request_failed":
        st.error(md_text(error.description), icon=":material/cloud_off:")
        return
    refusal = client_refusal(result)
    if refusal is not None:
        # The client's own check: no provider said this, so no provider error is explained.
        st.error(md_sentences(refusal), icon=":material/gpp_bad:")
        return
    status = f"HTTP {error.status} · " if error.status else ""
    said = f": {md_text(error.description)}" if error.description else ""
    st.error(f"{status}{md_literal(error.code)}{said}", icon=":material/error:")
    documented = explain_error(error.code, "refresh" if result.step == "refresh" else flow, error.status)
    if documented is not None:
        with st.container(border=True):
            st.markdown(f"**What {brand().name}'s documentation says: {documented.title}.**")
            st.markdown(f"**Cause.** {documented.cause}")
            st.markdown(f"**Fix.** {documented.fix}")
            st.markdown(" · ".join(f"[{d.title}]({docs_url(d.page)})" for d in documented.docs))


def step_view(result: StepResult, flow: str, reveal: bool, expanded: bool = False) -> None:
    icon = CHECK_ICONS[result.ok]
    st.markdown(f"#### {icon} {STEP_TITLES.get(result.step, result.step)}")
    if url := result.values.get("authorization_url"):
        # Opened by the visitor's own browser, not by this server: no exchange to show, only the URL.
        st.code(url, language=None, wrap_lines=True)
    for exchange in result.exchanges:
        exchange_view(exchange, reveal, expanded)
    checks_view(result.checks)
    error_view(result, flow)


def results_view(run: FlowRun, reveal: bool, skip: tuple[str, ...] = ()) -> None:
    for result in run.results:
        if result.step not in skip + AT_THEIR_BUTTONS:
            step_view(result, run.flow, reveal)


def last_result(run: FlowRun, step: str) -> StepResult | None:
    return next((r for r in reversed(run.results) if r.step == step), None)


# --- tokens ----------------------------------------------------------------------------------------


def tokens_view(run: FlowRun, found: Provider, reveal: bool) -> None:
    """The tokens held now, decoded and verified against the keys fetched when connecting."""
    now = time.time()
    held = run.tokens
    for sentence in dropped(run.app.scope, held.scope, held.refresh_token) if held.access_token else []:
        st.warning(md_sentences(sentence), icon=":material/remove_circle:")
    shown = [("Access token", held.access_token, run.audience), ("ID token", held.id_token, run.app.client_id)]
    for title, token, audience in shown:
        if not token:
            continue
        with st.expander(f"{title}, decoded and verified", expanded=title == "Access token", icon=":material/token:"):
            verification = verify(token, found.jwks, found.issuer, audience, now) if found.jwks else None
            source = "the provider's published keys" if found.jwks else "no keys"
            jwt_view(token, key=f"connect_{run.flow}_{title}", now=now, verification=verification, source=source)
    if held.refresh_token:
        shown_refresh = held.refresh_token if reveal else mask(held.refresh_token)
        st.markdown(f"**Refresh token** (opaque to the app): {md_literal(shown_refresh)}")


def refresh_view(run: FlowRun, reveal: bool) -> None:
    """The refresh button, and what the last refresh did right under it."""
    if not run.tokens.refresh_token:
        return
    st.button("Refresh the tokens", icon=":material/refresh:", key="connect_refresh", on_click=run.refresh)
    done = last_result(run, "refresh")
    if done is not None:
        step_view(done, run.flow, reveal, expanded=True)


# --- the provider ----------------------------------------------------------------------------------


def metadata_view(found: Provider) -> None:
    st.subheader("What the provider publishes")
    st.markdown(f"Discovery document: {md_literal(found.discovery_url)} · issuer {md_literal(found.issuer)}")
    if found.jwks_problem:
        st.warning(md_text(found.jwks_problem), icon=":material/key_off:")
    else:
        keys = found.jwks.get("keys", []) if found.jwks else []
        st.caption(f"{len(keys)} signing key{'s' if len(keys) != 1 else ''} fetched from the JWKS.")
    columns = st.columns(len(CONNECT_FLOWS))
    for column, flow in zip(columns, CONNECT_FLOWS, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**{FLOW_TITLES[flow]}**")
            st.markdown(
                "\n".join(
                    f"- {CHECK_ICONS[r.ok]} {md_text(r.name)}: {md_text(r.detail)}"
                    for r in flow_support(found.document, flow)
                )
            )
    with st.expander("The metadata, field by field", icon=":material/table:"):
        st.dataframe(metadata_rows(found.document), hide_index=True, width="stretch")


# --- one API call ----------------------------------------------------------------------------------


def _api_error_key(flow: str) -> str:
    return f"connect_api_error_{flow}"


def _call_api(flow: str) -> None:
    """The button's callback: the call runs before the page is drawn, so its answer is drawn under the button."""
    run, found = run_of(flow), provider()
    st.session_state.pop(_api_error_key(flow), None)
    if run is None or found is None:
        return
    try:
        run.call_api(api_url(found, st.session_state.get(f"connect_api_path_{flow}", "")))
    except ConnectError as exc:
        st.session_state[_api_error_key(flow)] = exc.message


def api_call_view(run: FlowRun, found: Provider, reveal: bool) -> None:
    """One GET on the instance with the access token held; its answer right under the button."""
    st.markdown("##### One call to your API with this token (optional)")
    default = "/api/domain/odata/$metadata" if found.instance != found.issuer else "/"
    with st.form(f"connect_api_{run.flow}"):
        st.text_input(f"A path on {md_text(found.instance)}", value=default, key=f"connect_api_path_{run.flow}")
        st.form_submit_button("Call the API", on_click=_call_api, args=(run.flow,))
    if problem := st.session_state.get(_api_error_key(run.flow)):
        st.error(md_text(problem), icon=":material/error:")
        return
    done = last_result(run, "api_call")
    if done is None:
        return
    status = done.values.get("status")
    if status is not None:
        st.markdown(f"**The API answered HTTP {int(status)}.**")
    step_view(done, run.flow, reveal, expanded=True)
