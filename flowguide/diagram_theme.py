"""Diagram colours for Streamlit's light and dark themes, and the CSS that switches between them.

Graphviz writes one colour per attribute; the page's diagrams are drawn with the light colours and a
small stylesheet maps each to its dark twin with CSS ``light-dark()``, which follows the
``color-scheme`` Streamlit sets on the app (so the settings menu's theme, not only the system's).
Every colour reads at 4.5:1 or more on the page background of its theme, and text on a filled box at
4.5:1 or more on that box (WCAG 2 relative luminance).
"""

from __future__ import annotations

import re

# Streamlit's light background, its dark one before 1.46 and the dark one it paints today (1.67).
LIGHT_BG = "#ffffff"
DARK_BG = "#0e1117"
DARK_BGS = (DARK_BG, "#171614")

# Each role's colour on the light theme and on the dark theme.
PAIRS: dict[str, tuple[str, str]] = {
    "done": ("#1c5fc4", "#7cb3ff"),
    "current": ("#b54708", "#ffa066"),
    "failed": ("#c92a2a", "#ff8080"),
    "pending": ("#5f6670", "#a8aeb6"),
    "lifeline": ("#6b7280", "#9aa1aa"),
    # Participant boxes: a strong fill with white text on light, a light fill with dark text on dark.
    "person": ("#6741d9", "#b59dfc"),
    "app": ("#1864ab", "#74b9f5"),
    "service": ("#0b6e80", "#5fd0df"),
    "identity": ("#2b7a3b", "#7fdc8f"),
    "api": ("#495057", "#c4cad1"),
    "box_text": ("#ffffff", "#171614"),
    # The decision tree: quiet boxes, and the visitor's path in green with a tinted fill.
    "tree_text": ("#1f2328", "#edebe8"),
    "tree_fill": ("#f1f3f5", "#201f1d"),
    "tree_on": ("#1b7a3d", "#5fd38d"),
    "tree_on_fill": ("#d3f9d8", "#124d2c"),
}
LIGHT = {role: pair[0] for role, pair in PAIRS.items()}
DARK = {role: pair[1] for role, pair in PAIRS.items()}
# Fills that sit behind text (boxes), held to contrast with their text rather than with the page.
BOX_FILLS = ("person", "app", "service", "identity", "api", "tree_fill", "tree_on_fill")
# Streamlit's own font, which the page has loaded; narrower than the Helvetica that dot measured, so
# a label never outgrows the room dot left for it.
PAGE_FONT = '"Source Sans", "Source Sans Pro", Helvetica, Arial, sans-serif'

_COLOUR_ATTR = re.compile(r'\b(fill|stroke)="(#[0-9a-fA-F]{6})"')


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two #rrggbb colours."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def dark_twin(colour: str) -> str:
    """The dark theme's colour for a light theme's one (unknown colours are kept)."""
    twins = {light.lower(): dark for light, dark in PAIRS.values()}
    return twins.get(colour.lower(), colour)


def themed_svg(svg: str, theme: str) -> str:
    """The SVG with every palette colour swapped for the theme's (``light`` leaves it as drawn)."""
    if theme == "light":
        return svg
    return _COLOUR_ATTR.sub(lambda m: f'{m.group(1)}="{dark_twin(m.group(2))}"', svg)


def theme_css(scope: str) -> str:
    """CSS that repaints the palette inside ``.scope`` for the dark theme and sets the page's font."""
    rules = [f".{scope} text{{font-family:{PAGE_FONT}}}"]
    for light, dark in PAIRS.values():
        for attr in ("fill", "stroke"):
            rules.append(f'.{scope} [{attr}="{light}"]{{{attr}:light-dark({light},{dark})}}')
    return "".join(rules)
