"""The view of one JWT: its kind, the raw token (masked), header and claims explained, and checks.

Used by /tokens, /connect and the simulator. Everything that comes from the token is untrusted text: it is
escaped before it reaches Markdown or HTML, so a claim cannot inject links, images, markup or formatting.
"""

from __future__ import annotations

import html

import streamlit as st

from flowguide.claims import claims
from flowguide.pages.html_table import code, html_table
from flowguide.pages.inert import html_text, md_text
from flowguide.tokens import ClaimExplanation, DecodedToken, Verification, decode, explain, token_kind
from flowguide.transcript import mask

CHECK_ICONS = {
    True: ":green[:material/check_circle:]",
    False: ":red[:material/cancel:]",
    None: ":grey[:material/remove:]",
}
COLUMNS = ("Field", "Value", "What it means")


def _meaning(row: ClaimExplanation) -> str:
    # Meanings and documentation links are our own content (content/claims.yaml); escaped all the same.
    if not row.known:
        return f"<em>{html_text(row.meaning)}</em>"
    text = html.escape(row.meaning)
    if row.docs:
        title, url = row.docs[0]
        text += f' <a href="{html.escape(url)}" target="_blank">{html.escape(title)}</a>'
    return text


def claims_table(rows: list[ClaimExplanation], label: str) -> str:
    """One HTML table of fields, values and meanings; every name and value from the token escaped, inert."""
    cells = ([code(r.name) if r.known else html_text(r.name), html_text(r.rendered), _meaning(r)] for r in rows)
    return html_table(COLUMNS, cells, label)


def _table(rows: list[ClaimExplanation], label: str) -> None:
    st.html(claims_table(rows, label))


def kind_summary(decoded: DecodedToken) -> None:
    """One line: which kind of token this is and what that means."""
    kind = token_kind(decoded)
    info = claims().kind(kind)
    if info is None:
        st.markdown(
            ":grey-badge[Unrecognised token] Not shaped like a user or service access token or an ID token "
            "of the product; the claims below are still decoded."
        )
        return
    colour = {"user": "blue", "service": "violet", "id": "orange"}[info.id]
    st.markdown(f":{colour}-badge[{info.title}] {info.summary}")


def raw_token(decoded: DecodedToken, *, key: str) -> None:
    """The token itself, masked unless the visitor asks to see it."""
    reveal = st.toggle("Show the whole token", key=f"{key}_reveal", help="Tokens are credentials: reveal with care.")
    st.code(decoded.token if reveal else mask(decoded.token), language=None, wrap_lines=True)


def verification_view(verification: Verification, *, source: str) -> None:
    """The verdict and each check in one line, failures first in the reader's eye via colour."""
    if verification.valid:
        st.success(f"Valid: every check passed against {source}.", icon=":material/verified:")
    else:
        failures = len(verification.failures)
        plural = "check" if failures == 1 else "checks"
        st.error(f"Not valid: {failures} {plural} failed against {source}.", icon=":material/gpp_bad:")
    st.markdown(
        "\n".join(f"- {CHECK_ICONS[c.passed]} **{c.name}**: {md_text(c.sentence)}" for c in verification.checks)
    )


def jwt_view(
    token: str,
    *,
    key: str,
    now: float,
    verification: Verification | None = None,
    source: str = "the keys given",
) -> DecodedToken:
    """Show one token decoded and explained (and its verification, when given). Never raises."""
    decoded = decode(token)
    for note in decoded.notes:
        st.caption(note)
    if not decoded.ok:
        st.error(decoded.problem, icon=":material/error:")
        return decoded
    kind_summary(decoded)
    raw_token(decoded, key=key)
    rows = explain(decoded, now=now)
    if verification is not None:
        st.subheader("Verification")
        verification_view(verification, source=source)
    st.subheader("Claims")
    _table([r for r in rows if r.part == "payload"], "The token's claims with what each means")
    st.subheader("Header")
    _table([r for r in rows if r.part == "header"], "The token's header fields with what each means")
    return decoded
