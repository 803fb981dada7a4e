"""The guide's "What about …?": the ways not offered, what to use instead, and the sandbox's real refusal."""

from __future__ import annotations

import streamlit as st

from flowguide.not_offered import Way, not_offered, refusal
from flowguide.pages import inert, ui
from flowguide.pages.exchange_view import STANDALONE_COMMAND, standalone_curl
from flowguide.text import shown

ABOUT_PARAM = "about"


def about_from_url(value: object) -> tuple[str | None, str | None]:
    """The ``about`` query value as a way id, or a short notice when it names none."""
    if value is None:
        return None, None
    if isinstance(value, str) and not_offered().way(value) is not None:
        return value, None
    valid = ", ".join(w.id for w in not_offered().ways)
    return None, f"Ignored {shown(f'about={value}')}: it must be one of {valid}."


def _answer(way: Way) -> None:
    st.markdown(f"{way.answer}\n\n**Instead.** {way.offers_instead}\n\n**Why.** {way.why}")
    if way.note:
        st.caption(way.note)
    if way.contradiction:
        st.warning(f"**The documentation disagrees with itself.** {way.contradiction}", icon=":material/rule:")
    got = refusal(way.id)
    st.markdown(f"**What Flow Guide's sandbox answers**, as the product does: {inert.md_literal(got.error)}")
    answer = got.exchange.location or got.exchange.response_body
    curl = standalone_curl(got.exchange, reveal=False)
    st.code(f"{curl}\n\n# HTTP {got.exchange.status}\n{answer}", language="bash", wrap_lines=True)
    st.caption(
        f"Try it against the standalone sandbox (`{STANDALONE_COMMAND}`); a masked value is the demo app's "
        "secret or the demo user's password, both in Flow Guide's README."
    )
    docs = " · ".join(f"[{d.title}]({d.url})" for d in way.docs)
    st.markdown(f"Documentation: {docs} · Standard: [{way.standard.ref}]({way.standard.url})")
    st.page_link(
        ui.page("guide"),
        label="What to use instead, in the guide",
        icon=":material/alt_route:",
        query_params=way.instead,
    )


def show_selected(way_id: str) -> None:
    """The answer a link asked for (``/guide?about=<id>``), at the top of the page."""
    way = not_offered().way(way_id)
    if way is not None:
        with st.container(border=True):
            st.markdown(f"### {way.question}")
            _answer(way)


def show_all() -> None:
    """Every way not offered as an expander, closed (a link's own answer is already open at the top)."""
    st.markdown("## What about …?")
    st.markdown(not_offered().intro)
    for way in not_offered().ways:
        with st.expander(way.question):
            _answer(way)
