"""The view of a reference token (``enrt_``) in the token inspector: what it is, and why nothing is decoded.

Everything pasted is shown inert (masked in a code block); what this session's sandbox knows of the token
comes from its store, looked up by the value's hash, without counting as a use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from flowguide.pages.inert import md_text
from flowguide.reference_tokens import ReferenceInspection, reference_content
from flowguide.sandbox import Sandbox
from flowguide.sandbox.reference_tokens import iso
from flowguide.transcript import mask

if TYPE_CHECKING:
    from flowguide.client import StepResult

SAMPLE_FORM = {"trusted_application": "com.example/report-script", "scope": "read", "description": "Inspector sample"}
SAMPLE_LIFETIME = 30 * 24 * 3600
SAMPLE_USER = ("david", "demo")


def sample_reference_token(sandbox: Sandbox) -> tuple[str | None, str | None]:
    """A PAT issued for real on this session's sandbox's Profile site: (value, None) or (None, why not)."""
    form = SAMPLE_FORM | {"expiration_time": iso(sandbox.clock.now() + SAMPLE_LIFETIME)}
    with sandbox.http_client() as client:
        answer = client.post("/profile/security/tokens", auth=SAMPLE_USER, data=form)
    if answer.status_code == 201:
        return answer.json()["token"], None
    return None, f"The sandbox's Profile site refused the sample (HTTP {answer.status_code})."


def _sandbox_record(inspection: ReferenceInspection, sandbox: Sandbox) -> None:
    store = sandbox.reference_tokens
    record = store.find(inspection.value)
    if record is None:
        st.info(
            "This session's sandbox did not issue this token, so it cannot say more: only the instance that "
            "issued a reference token can look it up.",
            icon=":material/search_off:",
        )
        return
    problem = store.refusal(record)
    if problem:
        st.error(f"This session's sandbox issued it, and the API refuses it now. {md_text(problem)}")
    else:
        st.success("This session's sandbox issued it, and the API accepts it now.", icon=":material/key:")
    rows = record.listed()
    st.table(
        [
            {"Field": f"`{name}`", "Value": md_text(value if value is not None else "never")}
            for name, value in rows.items()
        ],
        hide_index=True,
        alt="What the sandbox's record of this token holds",
    )


def reference_view(inspection: ReferenceInspection, sandbox: Sandbox, *, key: str) -> None:
    """A pasted reference token: its kind, the value masked, what the sandbox knows, and how such tokens work."""
    words = reference_content()
    st.markdown(f":green-badge[{words.title}] {words.summary}")
    for note in inspection.notes:
        st.caption(note)
    reveal = st.toggle("Show the whole token", key=f"{key}_reveal", help="Tokens are credentials: reveal with care.")
    st.code(inspection.value if reveal else mask(inspection.value), language=None, wrap_lines=True)
    if not inspection.well_formed:
        st.error(words.malformed, icon=":material/error:")
    else:
        _sandbox_record(inspection, sandbox)
    st.markdown("\n".join(f"- **{p.title}.** {p.text}" for p in words.points))
    st.markdown("Documentation: " + " · ".join(f"[{d.title}]({d.url})" for d in words.docs))
    with st.expander("What Flow Guide's sandbox chose where the documentation leaves it open"):
        st.markdown("\n".join(f"- {choice}" for choice in words.sandbox_choices))


def _listing_rows(result: StepResult) -> list[dict[str, str]]:
    """The Profile site's token list as the last exchange brought it back (values from the wire, shown inert)."""
    body = result.exchanges[-1].response_json() if result.exchanges else None
    listed = body.get("tokens") if isinstance(body, dict) else None
    columns = ("kind", "description", "scope", "expiration_time", "last_used")
    rows = [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []
    return [
        {name: md_text(row.get(name) if row.get(name) is not None else "never") for name in columns} for row in rows
    ]


def reference_step_panel(result: StepResult, *, reveal: bool) -> None:
    """In the simulator's reference-token walk: the value shown once, or the token list with its last use."""
    value = result.values.get("reference_token")
    if isinstance(value, str) and value:
        st.success(
            f"**Shown once.** The {result.values.get('kind', '')} is `enrt_` and 64 hex digits; copy it to a vault "
            "now. The identity service keeps only its hash, so no page can show it again.",
            icon=":material/key:",
        )
        st.code(value if reveal else mask(value), language=None, wrap_lines=True)
    if "last_used" in result.values:
        rows = _listing_rows(result)
        if rows:
            st.markdown("**What the Profile site lists** (never the value)")
            st.table(rows, hide_index=True, alt="The person's reference tokens with their last use")
