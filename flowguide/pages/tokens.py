"""/tokens: paste a JWT, see it decoded and explained, verify it against the sandbox or a JWKS URL.

The token stays in this browser session's memory: never in the URL, a log, a file or a cache.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from flowguide import outbound
from flowguide.content import brand
from flowguide.pages import ui
from flowguide.pages.inert import md_text
from flowguide.pages.jwt_view import jwt_view
from flowguide.pages.reference_view import reference_view, sample_reference_token
from flowguide.pages.session import get_sandbox
from flowguide.reference_tokens import inspect_reference
from flowguide.tokens import Verification, verify

# Query parameters that would carry a token; they are dropped unread.
TOKEN_QUERY_NAMES = ("token", "access_token", "id_token", "refresh_token", "jwt")
SAMPLE_CLIENT_ID = "com.example/nightly-sync"
SAMPLE_CLIENT_SECRET = "nightly-sync-secret"
SOURCES = {
    "sandbox": "This session's sandbox keys",
    "url": "A JWKS URL",
    "none": "Don't verify, only decode",
}
CURRENT = "tokens_current"


def _inspect_pasted() -> None:
    st.session_state[CURRENT] = st.session_state.get("tokens_input", "")
    st.session_state.pop("tokens_sample_error", None)


def _use_sample() -> None:
    # A real Client Credentials request to this session's sandbox (in-process, RFC 6749 §4.4).
    sandbox = get_sandbox()
    form = {
        "grant_type": "client_credentials",
        "client_id": SAMPLE_CLIENT_ID,
        "client_secret": SAMPLE_CLIENT_SECRET,
        "scope": "read update",
    }
    with sandbox.http_client() as client:
        response = client.post("/id/connect/token", data=form)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code == 200 and isinstance(body.get("access_token"), str):
        st.session_state[CURRENT] = body["access_token"]
        st.session_state["tokens_source"] = "sandbox"
        st.session_state.pop("tokens_sample_error", None)
    else:
        error = body.get("error", f"HTTP {response.status_code}")
        st.session_state["tokens_sample_error"] = f"The sandbox refused the sample request ({error})."


def _use_sample_reference() -> None:
    value, problem = sample_reference_token(get_sandbox())
    st.session_state[CURRENT] = value
    st.session_state["tokens_sample_error"] = problem


def _forget() -> None:
    st.session_state.pop(CURRENT, None)


def _jwks_from_url(url: str) -> dict[str, Any] | None:
    """The key set at a URL (or at the jwks_uri of a discovery document), fetched through the guard."""
    remembered = st.session_state.get("tokens_jwks")
    if remembered and remembered[0] == url:
        return remembered[1]
    try:
        document = outbound.fetch_json(url)
        if "keys" not in document and isinstance(document.get("jwks_uri"), str):
            document = outbound.fetch_json(document["jwks_uri"])
    except outbound.OutboundError as exc:
        st.error(md_text(exc.message), icon=":material/cloud_off:")
        return None
    st.session_state["tokens_jwks"] = (url, document)
    return document


dropped = [name for name in TOKEN_QUERY_NAMES if name in st.query_params]
for name in dropped:
    del st.query_params[name]

st.title("Token inspector")
st.markdown(
    f"Paste an access token or ID token from {brand().name} Identity (or any JWT) to see what is inside, "
    "what each claim means, and whether it is genuine, or a reference token (`enrt_…`) to see what it is. "
    "The token stays in this browser session on the server: it is never put in a URL, a log or a file."
)
if dropped:
    st.warning(
        "The page address carried a token, so it was removed from the address without being read. "
        "Tokens never belong in URLs: they end up in browser history, server logs and Referer headers. "
        "Paste the token in the box instead.",
        icon=":material/link_off:",
    )

paste_col, options_col = st.columns([3, 2], gap="large")
with paste_col:
    with st.form("tokens_form", clear_on_submit=True, border=False):
        st.text_area(
            "Token",
            key="tokens_input",
            height=130,
            placeholder='eyJhbGciOiJSUzI1NiIs…  (a "Bearer " prefix is fine)',
            help="The box empties after Inspect so the token is not left on screen.",
        )
        st.form_submit_button("Inspect", type="primary", icon=":material/search:", on_click=_inspect_pasted)
    with st.container(horizontal=True):
        st.button(
            "Use a sample token from the sandbox",
            icon=":material/science:",
            on_click=_use_sample,
            help=f"Runs Client Credentials as {SAMPLE_CLIENT_ID} against this session's sandbox.",
        )
        st.button(
            "Use a sample reference token (PAT)",
            icon=":material/key:",
            on_click=_use_sample_reference,
            help="Issues a personal access token for com.example/report-script as david on this session's sandbox.",
        )
        st.button("Forget the token", icon=":material/delete:", on_click=_forget)
    if error := st.session_state.get("tokens_sample_error"):
        st.error(error)

with options_col:
    source = st.radio(
        "Verify the signature against",
        options=list(SOURCES),
        format_func=SOURCES.__getitem__,
        key="tokens_source",
    )
    jwks_url = ""
    if source == "url":
        jwks_url = st.text_input(
            "JWKS URL",
            key="tokens_jwks_url",
            placeholder="https://acme.my.erp.net/id/.well-known/openid-configuration/jwks",
            help="A discovery URL works too. Only https; the app fetches it with a short timeout and a size cap.",
        )
    issuer = st.text_input(
        "Expected issuer (optional)",
        key="tokens_issuer",
        placeholder="https://acme.my.erp.net/id",
        help="Blank while verifying against the sandbox means the sandbox's own issuer.",
    ).strip()
    audience = st.text_input("Expected audience (optional)", key="tokens_audience", placeholder="DomainAPI").strip()

token = st.session_state.get(CURRENT)
reference = inspect_reference(token) if token is not None else None
if reference is not None:
    # An enrt_ value is opaque by design: explained, and looked up in this session's sandbox, never decoded.
    st.divider()
    reference_view(reference, get_sandbox(), key="tokens_reference")
elif token is not None:
    st.divider()
    verification: Verification | None = None
    now = time.time()
    described = ""
    if source == "sandbox":
        sandbox = get_sandbox()
        now = sandbox.clock.now()
        verification = verify(token, sandbox.jwks(), issuer or sandbox.issuer, audience or None, now=now)
        described = "this session's sandbox keys"
    elif source == "url" and jwks_url.strip():
        jwks = _jwks_from_url(jwks_url.strip())
        if jwks is not None:
            verification = verify(token, jwks, issuer or None, audience or None, now=now)
            described = "the keys at the JWKS URL"
    elif source == "url":
        st.info("Give a JWKS URL to verify the signature; the token is decoded below meanwhile.")
    jwt_view(token, key="tokens_view", now=now, verification=verification, source=described)

ui.link_to_this(f"Inspect a {brand().name} access token", "tokens")
