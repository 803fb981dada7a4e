"""Showing untrusted values (from a URL or a form) back to the reader, safely inside Markdown."""

from __future__ import annotations


def shown(value: object, limit: int = 40) -> str:
    """A value as a short code span: printable, no backticks, so nothing in it becomes Markdown or a link."""
    text = value if isinstance(value, str) else repr(value)
    cleaned = "".join(ch for ch in text if ch.isprintable() and ch != "`")
    return f"`{cleaned[:limit]}{'…' if len(cleaned) > limit else ''}`"
