"""Markup we made ourselves put into the page as it is: diagrams Graphviz drew from our own specs, and our
own Markdown (content/) rendered once on the server.

st.markdown takes such markup apart with its Markdown and HTML parsers in the visitor's browser at every
rerun (in the simulator, most of a step's browser time), and st.html's sanitiser keeps no SVG. A custom
component (Streamlit's v2 components live in the page itself, not in an iframe) sets it as one element's
HTML instead, and only when it changed. Never for text from outside: ``markup`` escapes nothing, and
``own_markdown`` is for content/ only (raw HTML in it is escaped all the same). Styled like Streamlit's
Markdown by MARKUP_CSS (flowguide/streamlit_app.py).
"""

from __future__ import annotations

from functools import lru_cache

import streamlit as st
from markdown_it import MarkdownIt

# Reruns call this with the same data too: the browser touches the DOM only when the markup differs.
# The markup travels as UTF-8 bytes: a str would have Streamlit import pandas to ask whether it is a table.
JS = """
const utf8 = new TextDecoder();
export default function ({ data, parentElement }) {
  const markup = typeof data === 'string' ? data : utf8.decode(data);
  let box = parentElement.querySelector(':scope > div.fg-markup');
  if (!box) {
    box = document.createElement('div');
    box.className = 'fg-markup';
    parentElement.appendChild(box);
  }
  if (box.fgMarkup !== markup) {
    box.innerHTML = markup;
    box.fgMarkup = markup;
  }
}
"""
COMPONENT = "flowguide_markup"
_component = st.components.v2.component(COMPONENT, js=JS, isolate_styles=False)


# CommonMark, as Streamlit's own Markdown reads it; no raw HTML, even from our own files.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def markup(html: str, *, key: str) -> None:
    """Our own markup (an SVG diagram) drawn as it is; ``key`` must differ between two on one page."""
    _component(data=html.encode(), key=key)


@lru_cache(maxsize=1024)
def own_html(text: str) -> str:
    """Our own Markdown as HTML; links open in a new tab, as Streamlit's do."""
    return _MARKDOWN.render(text).replace("<a href=", '<a target="_blank" rel="noopener noreferrer" href=')


def own_markdown(text: str, *, key: str) -> None:
    """Our own Markdown (content/, never text from outside) drawn as HTML made once on the server."""
    markup(own_html(text), key=key)
