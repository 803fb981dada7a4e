"""Showing untrusted values (from a URL or a form) back to the reader, safely inside Markdown."""

from __future__ import annotations

import re

# Bidi controls reorder what the reader sees (a right-to-left override can make "gpj.exe" read "exe.jpg").
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi(text: str) -> str:
    """The text without bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)."""
    return _BIDI_CONTROLS.sub("", text)


def shown(value: object, limit: int = 40) -> str:
    """A value as a short code span: printable, no backticks, so nothing in it becomes Markdown or a link."""
    text = value if isinstance(value, str) else repr(value)
    cleaned = "".join(ch for ch in text if ch.isprintable() and ch != "`")
    return f"`{cleaned[:limit]}{'…' if len(cleaned) > limit else ''}`"
