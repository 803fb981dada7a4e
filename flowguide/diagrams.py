"""Sequence diagrams of the flows: spec (diagrams/*.yaml) -> Graphviz DOT, SVG, Mermaid, words.

A sequence spec lists participants and ordered messages; each message names the step of
``content/flows/<flow>.yaml`` it belongs to, so a walkthrough can highlight one step. The overview
spec is the documentation's picture of the whole solution (who talks to whom), drawn as a flowchart.

This module loads specs, caches their DOT and each drawn state, and says where a walkthrough stands; it re-exports the
rest, so callers keep importing diagrams from here:

- flowguide.diagram_spec: the spec's model and the checks every spec passes;
- flowguide.diagram_dot: spec -> graphviz.Digraph, step highlighting, a run's outcome, a focus window;
- flowguide.diagram_theme: colours for Streamlit's light and dark themes, and the CSS that switches them;
- flowguide.diagram_outcome: a run's results as ok, failed (status and error) or not reached;
- flowguide.diagram_export: SVG on the server and inline in the page, Mermaid text, the diagram in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from flowguide.content import DIAGRAMS_DIR, ContentError, flows, load_file
from flowguide.diagram_dot import (
    CURRENT,
    DONE,
    EDGE_STYLE,
    FAILED,
    FONT,
    FONT_BOLD,
    LIFELINE,
    NEUTRAL,
    PARTICIPANT_FILL,
    PARTICIPANT_TEXT,
    PENDING,
    TEXT_COLOURS,
    View,
    focus_window,
    to_digraph,
)
from flowguide.diagram_export import (
    MERMAID_ARROW,
    SCOPE,
    Renderer,
    dot_available,
    message_count,
    page_svg,
    render_svg,
    text_alternative,
    to_mermaid,
)
from flowguide.diagram_outcome import NOT_REACHED, OK, Outcome, StepOutcome, failed, run_outcome, step_outcome
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
from flowguide.diagram_theme import DARK_BG, LIGHT_BG, contrast_ratio, relative_luminance, theme_css, themed_svg
from flowguide.text import shown

# --- loading --------------------------------------------------------------------------------------


def diagram_ids() -> tuple[str, ...]:
    """Every diagram the app ships: one per flow, then the overview."""
    return (*SEQUENCE_IDS, OVERVIEW_ID)


@cache
def load_spec(diagram_id: str) -> DiagramSpec:
    """The diagram as drawn by default: diagrams/<diagram_id>.yaml, its params at their default values."""
    return load_spec_with_variants(diagram_id).resolved()


@cache
def load_spec_with_variants(diagram_id: str) -> DiagramSpec:
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


@lru_cache(maxsize=64)
def resolved_spec(diagram_id: str, variant: str | None = None, params: tuple[tuple[str, str], ...] = ()) -> DiagramSpec:
    """A diagram as one kind of client sees it (``web``, ``spa``, ``native``, ``cli``), with its params filled."""
    return load_spec_with_variants(diagram_id).resolved(variant, dict(params))


# --- the page's pictures: the whole diagram, or the step on screen and its neighbours ----------------

# Characters a label line may hold: the focus view must fit a phone, the whole diagram a desktop column.
FOCUS_WRAP = 14
FULL_WRAP = 32
FOCUS_BOX_WRAP = 12
_ID = re.compile(r'\bid="')


def diagram_html(
    spec: DiagramSpec,
    highlight_step: str | None = None,
    outcome: Outcome | None = None,
    *,
    focus: bool = False,
    name: str = "diagram",
) -> str:
    """The diagram drawn on the server, inline for the page; ``focus`` draws only the step and its neighbours.

    ``name`` prefixes every id in the SVG, so two views of one diagram on a page never share one.
    """
    rows = tuple(focus_window(spec, highlight_step)) if focus and highlight_step else None
    view = View(rows, FOCUS_WRAP, FOCUS_BOX_WRAP) if rows is not None else View(None, FULL_WRAP)
    svg = render_svg(to_digraph(spec, highlight_step, outcome, view).source)
    words = text_alternative(spec, outcome)
    shown_words = [words[i] for i in rows] if rows is not None else words
    label = f"{spec.title}: " + " ".join(shown_words)
    return page_svg(_ID.sub(f'id="{name}-', svg), label, name, theme_css(SCOPE), spec.title, highlight_step)


@lru_cache(maxsize=128)
def tree_html(dot: str, label: str, name: str = "decision-tree", title: str = "The decision tree") -> str:
    """A tree or flowchart's DOT drawn on the server, inline for the page (once per DOT, label and name)."""
    return page_svg(_ID.sub(f'id="{name}-', render_svg(dot)), label, name, theme_css(SCOPE), title)


# --- each state drawn once per process --------------------------------------------------------------

# A state is a diagram x variant x params x step x outcome x focus x name: a few hundred in all, 12-60 KB each.
STATES_CACHED = 512
Params = tuple[tuple[str, str], ...]
OutcomeKey = tuple[tuple[str, StepOutcome], ...]


def outcome_key(outcome: Outcome | None) -> OutcomeKey:
    """A run's outcome as part of a cache key (no outcome and an empty one draw the same picture)."""
    return tuple(sorted((outcome or {}).items()))


@lru_cache(maxsize=STATES_CACHED)
def state_html(
    diagram_id: str,
    variant: str | None = None,
    params: Params = (),
    highlight_step: str | None = None,
    outcome: OutcomeKey = (),
    *,
    focus: bool = False,
    name: str = "diagram",
) -> str:
    """:func:`diagram_html` of one state, laid out by Graphviz once and then served from memory.

    Every argument is part of the key, so two states never share a picture. Both themes share it:
    the SVG's own CSS repaints it (``light-dark()``), so the theme is not part of the state.
    """
    spec = resolved_spec(diagram_id, variant, params)
    return diagram_html(spec, highlight_step, dict(outcome), focus=focus, name=name)


@lru_cache(maxsize=STATES_CACHED)
def state_words(
    diagram_id: str, variant: str | None = None, params: Params = (), outcome: OutcomeKey = ()
) -> tuple[str, ...]:
    """:func:`text_alternative` of one state, worded once."""
    return tuple(text_alternative(resolved_spec(diagram_id, variant, params), dict(outcome)))


@lru_cache(maxsize=64)
def export_texts(diagram_id: str, variant: str | None = None, params: Params = ()) -> tuple[str, str]:
    """The plain diagram's DOT and Mermaid text, for the export buttons (no step, no run, light colours)."""
    spec = resolved_spec(diagram_id, variant, params)
    return to_digraph(spec).source, to_mermaid(spec)


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
    "FAILED",
    "FOCUS_WRAP",
    "FULL_WRAP",
    "NOT_REACHED",
    "OK",
    "Outcome",
    "StepOutcome",
    "View",
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
    "diagram_html",
    "diagram_ids",
    "export_texts",
    "failed",
    "focus_window",
    "dot_available",
    "dot_source",
    "load_spec",
    "load_spec_with_variants",
    "message_count",
    "relative_luminance",
    "render_svg",
    "resolve_position",
    "resolved_spec",
    "outcome_key",
    "run_outcome",
    "state_html",
    "state_words",
    "step_outcome",
    "themed_svg",
    "tree_html",
    "text_alternative",
    "to_digraph",
    "to_mermaid",
]
