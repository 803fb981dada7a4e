"""Text from outside shown inert inside Streamlit's Markdown (bodies, alerts, captions, labels, table cells).

Anything a provider, a JWKS, a token or a visitor's paste says is untrusted: it goes through one of
these before it reaches Markdown, so it can add no link, image, HTML, formatting, icon or emoji, and
no bidi control can reorder what the reader sees. Our own content is Markdown and needs none of this.
"""

from __future__ import annotations

import html
import re

from flowguide.text import without_bidi

MAX_SHOWN_VALUE = 300
# Every character CommonMark lets a backslash escape that could start or end a construct here.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^])")
# GFM links URLs and email addresses even when escaped, and Streamlit turns :name: words into icons,
# emoji or its logo from the parsed text; a code span keeps such words inert.
_LINKABLE = re.compile(r"://|www\.|@|:[A-Za-z_+-][^\s:]*:", re.IGNORECASE)


# Unicode TR9's embeddings, overrides, isolates and marks: they reorder how the text around them reads.
def _flat(text: object) -> str:
    """One line, no bidi controls, at most MAX_SHOWN_VALUE characters (then an ellipsis)."""
    flat = " ".join(without_bidi(str(text)).split())
    return flat[:MAX_SHOWN_VALUE] + " …" if len(flat) > MAX_SHOWN_VALUE else flat


def md_escape(text: object) -> str:
    """Untrusted text made literal for st.markdown / st.table (every Markdown character escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _flat(text))


def md_literal(text: object) -> str:
    """Untrusted text as a code span: nothing inside is Markdown, and URLs and emails are not linked."""
    flat = _flat(text)
    # The fence is longer than any run of backticks inside, so none of them can close the span early.
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space each side; it is needed only where a backtick would touch the fence.
    pad = " " if not flat or flat[0] == "`" or flat[-1] == "`" else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _word(word: str) -> str:
    if not _LINKABLE.search(word):
        return md_escape(word)
    # A sentence's own full stop or comma after an address stays outside the code span, as GFM would leave it.
    core = word.rstrip(".,;!?")
    return md_literal(core) + md_escape(word[len(core) :]) if core else md_literal(word)


def md_text(text: object) -> str:
    """Untrusted text for Markdown: escaped word by word, URL-, email- or :icon:-like words as code spans."""
    return " ".join(_word(w) for w in _flat(text).split(" "))


def html_text(text: object) -> str:
    """Untrusted text for an HTML cell or attribute: one line, no bidi control, every special character escaped."""
    return html.escape(_flat(text), quote=True)
