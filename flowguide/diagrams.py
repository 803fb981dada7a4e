"""Sequence diagrams of the flows: spec (diagrams/*.yaml) -> Graphviz DOT, SVG, Mermaid, words.

A sequence spec lists participants and ordered messages; each message names the step of
``content/flows/<flow>.yaml`` it belongs to, so a walkthrough can highlight one step. The overview
spec is the documentation's picture of the whole solution (who talks to whom), drawn as a flowchart.

This module loads specs, caches their DOT and says where a walkthrough stands; it re-exports the
rest, so callers keep importing diagrams from here:

- flowguide.diagram_spec: the spec's model and the checks every spec passes;
- flowguide.diagram_dot: spec -> graphviz.Digraph, step highlighting, colours for light and dark;
- flowguide.diagram_export: SVG on the server, Mermaid text, the diagram in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from flowguide.content import DIAGRAMS_DIR, ContentError, flows, load_file
from flowguide.diagram_dot import (
    CURRENT,
    DARK_BG,
    DONE,
    EDGE_STYLE,
    FONT,
    FONT_BOLD,
    LIFELINE,
    LIGHT_BG,
    NEUTRAL,
    PARTICIPANT_FILL,
    PARTICIPANT_TEXT,
    PENDING,
    TEXT_COLOURS,
    contrast_ratio,
    relative_luminance,
    to_digraph,
)
from flowguide.diagram_export import (
    MERMAID_ARROW,
    Renderer,
    dot_available,
    message_count,
    render_svg,
    text_alternative,
    to_mermaid,
)
from flowguide.diagram_spec import (
    ID_PATTERN,
    OVERVIEW_ID,
    SEQUENCE_IDS,
    DiagramSpec,
    Message,
    MessageKind,
    Participant,
    Role,
)
from flowguide.text import shown

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


@lru_cache(maxsize=128)
def dot_source(diagram_id: str, highlight_step: str | None = None) -> str:
    """The DOT text of a diagram with a step highlighted; built once per process (specs never change)."""
    return to_digraph(load_spec(diagram_id), highlight_step).source


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


__all__ = [
    "CURRENT",
    "DARK_BG",
    "DEFAULT_FLOW",
    "DONE",
    "DiagramSpec",
    "EDGE_STYLE",
    "FONT",
    "FONT_BOLD",
    "ID_PATTERN",
    "LIFELINE",
    "LIGHT_BG",
    "MERMAID_ARROW",
    "Message",
    "MessageKind",
    "NEUTRAL",
    "OVERVIEW_ID",
    "PARTICIPANT_FILL",
    "PARTICIPANT_TEXT",
    "PENDING",
    "Participant",
    "Position",
    "Renderer",
    "Role",
    "SEQUENCE_IDS",
    "TEXT_COLOURS",
    "contrast_ratio",
    "diagram_ids",
    "dot_available",
    "dot_source",
    "load_spec",
    "message_count",
    "relative_luminance",
    "render_svg",
    "resolve_position",
    "text_alternative",
    "to_digraph",
    "to_mermaid",
]
