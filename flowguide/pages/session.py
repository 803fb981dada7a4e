"""Per-browser-session state: each visitor gets their own sandbox, kept in st.session_state."""

from __future__ import annotations

import streamlit as st

from flowguide.sandbox import Sandbox

SANDBOX_KEY = "flowguide_sandbox"


def get_sandbox() -> Sandbox:
    """This browser session's sandbox, created on first use (never shared through a cache)."""
    sandbox = st.session_state.get(SANDBOX_KEY)
    if not isinstance(sandbox, Sandbox):
        sandbox = Sandbox()
        st.session_state[SANDBOX_KEY] = sandbox
    return sandbox


def reset_sandbox() -> Sandbox:
    """Throw this session's sandbox away (keys, clock, codes, tokens) and start a fresh one."""
    st.session_state.pop(SANDBOX_KEY, None)
    return get_sandbox()
