"""Graphviz DOT for a diagram spec: a sequence diagram with one step highlighted, or the overview flowchart.

The sequence layout follows STYLE.md's recipe, with one change so that no label crosses a lifeline:
each arrow's label sits in the gap next to its sender, on that row's ordering edge, which dot widens
to fit it; the arrow itself carries no label. A run's outcome (flowguide.diagram_outcome) marks the
failed step in the error colour with the answer it really got, and the steps after it as not reached.
Colours are the light theme's (flowguide.diagram_theme); the page maps them to the dark theme's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import graphviz

from flowguide.diagram_outcome import Outcome, StepOutcome
from flowguide.diagram_spec import DiagramSpec, Message, Participant
from flowguide.diagram_theme import DARK_BG, LIGHT, LIGHT_BG, contrast_ratio, relative_luminance

# PostScript names: Graphviz maps them to a CSS font family (and weight) in SVG.
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_ITALIC = "Helvetica-Oblique"
PARTICIPANT_FILL = {
    "person": LIGHT["person"],
    "browser": LIGHT["person"],
    "app": LIGHT["app"],
    "service": LIGHT["service"],
    "identity": LIGHT["identity"],
    "api": LIGHT["api"],
    "data": LIGHT["api"],
}
PARTICIPANT_TEXT = LIGHT["box_text"]
LIFELINE = LIGHT["lifeline"]
DONE = LIGHT["done"]
CURRENT = LIGHT["current"]
PENDING = LIGHT["pending"]
FAILED = LIGHT["failed"]
NEUTRAL = LIGHT["done"]
#: Text colours used on the transparent background; tests hold them to a contrast ratio on both themes.
TEXT_COLOURS = (DONE, CURRENT, PENDING, NEUTRAL, FAILED)
MessageState = Literal["done", "current", "pending", "neutral", "failed", "unreached"]
STATE_COLOUR: dict[str, str] = {
    "done": DONE,
    "current": CURRENT,
    "pending": PENDING,
    "neutral": NEUTRAL,
    "failed": FAILED,
    "unreached": PENDING,
}
LABEL_SIZE = "12"
# The step on screen (and a failed one) is larger and bold, so it reads first.
STRONG_SIZE = "13"
FAILURE_MARK = "✗"
# Characters a line of the overview's boxes and arrows may hold: it must fit a phone.
OVERVIEW_WRAP = 9
# Points: a label's line height as dot sets it, the room kept between a label and the arrow above it,
# and half the space dot leaves between ranks (ranksep).
LINE_HEIGHT = 1.2
LABEL_MARGIN = 6.0
RANK_GAP = 10.0

EDGE_STYLE: dict[str, dict[str, str]] = {
    "request": {"style": "solid", "arrowhead": "normal"},
    "response": {"style": "dashed", "arrowhead": "normal"},
    "redirect": {"style": "dotted", "arrowhead": "vee", "penwidth": "2"},
}

__all__ = ["DARK_BG", "LIGHT_BG", "contrast_ratio", "relative_luminance"]


# --- which state each arrow is in -------------------------------------------------------------------


def message_state(spec: DiagramSpec, step: str | None, highlight_step: str | None, outcome: Outcome) -> MessageState:
    """How one step's arrows are drawn: a run's outcome first, then where the walkthrough stands."""
    result = outcome.get(step or "")
    if result is not None and result.state == "failed":
        return "failed"
    if result is not None and result.state == "not_reached":
        return "unreached"
    order = spec.step_ids()
    if highlight_step is None or highlight_step not in order:
        return "done" if result is not None else "neutral"
    here, there = order.index(step or ""), order.index(highlight_step)
    return "current" if here == there else ("done" if here < there else "pending")


def message_label(spec: DiagramSpec, index: int, result: StepOutcome | None) -> str:
    """An arrow's words; the last arrow of a failed step says what really came back instead of success."""
    message = spec.messages[index]
    if result is None or result.state != "failed" or not _last_of_step(spec, index):
        return message.label
    failure = f"{FAILURE_MARK} {result.failure}"
    return failure if message.kind == "response" else f"{message.label}\n{failure}"


def _last_of_step(spec: DiagramSpec, index: int) -> bool:
    later = spec.messages[index + 1 :]
    return not later or later[0].step != spec.messages[index].step


def focus_window(spec: DiagramSpec, step: str, neighbours: int = 1) -> list[int]:
    """The indexes of a step's arrows and of up to ``neighbours`` arrows either side between the same actors.

    A neighbour that would bring in another participant is left out: the focus stays as narrow as the step.
    """
    mine = [i for i, m in enumerate(spec.messages) if m.step == step]
    if not mine:
        return list(range(len(spec.messages)))
    actors = {end for i in mine for end in (spec.messages[i].source, spec.messages[i].target)}
    before = range(mine[0] - 1, max(mine[0] - neighbours, 0) - 1, -1)
    after = range(mine[-1] + 1, min(mine[-1] + neighbours, len(spec.messages) - 1) + 1)
    near = [i for i in (*before, *after) if {spec.messages[i].source, spec.messages[i].target} <= actors]
    return sorted([*mine, *near])


def wrap_label(text: str, width: int | None, after: str = "?,/&-") -> str:
    """Break a label into lines of about ``width`` characters at spaces, or after a character of ``after``."""
    if width is None:
        return text
    return "\n".join(line for paragraph in text.split("\n") for line in _lines(_pieces(paragraph, after), width))


# A last line shorter than this takes the previous line's last piece with it: "code&state", not "state".
MIN_LAST_LINE = 8


def _lines(pieces: list[str], width: int) -> list[str]:
    lines: list[list[str]] = [[]]
    for piece in pieces:
        if lines[-1] and len("".join(lines[-1])) + len(piece) > width:
            lines.append([])
        lines[-1].append(piece)
    last = "".join(lines[-1]).strip()
    if len(lines) > 1 and len(last) < MIN_LAST_LINE and len(lines[-2]) > 1:
        moved = lines[-2].pop()
        if len(moved.strip()) + len(last) <= width:
            lines[-1].insert(0, moved)
        else:
            lines[-2].append(moved)
    return ["".join(line).strip() for line in lines]


def _pieces(text: str, after: str) -> list[str]:
    pieces, current = [], ""
    for char in text:
        if char == " " and current:
            pieces.append(current)
            current = ""
        current += char
        # A path breaks after a slash, but never right after the slash that starts it ("/id", "/.well-known").
        if char in after and len(current.strip()) > 1:
            pieces.append(current)
            current = ""
    return [*pieces, current] if current else pieces


# --- Graphviz -------------------------------------------------------------------------------------


def _participant_attrs(p: Participant, wrap: int | None = None) -> dict[str, str]:
    return {
        # "\\n" is DOT's own line break, centred.
        "label": wrap_label(p.label, wrap, after="").replace("\n", "\\n"),
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": PARTICIPANT_FILL[p.role],
        "color": PARTICIPANT_FILL[p.role],
        "fontcolor": PARTICIPANT_TEXT,
        "fontname": FONT,
        "fontsize": "13",
        "margin": "0.12,0.06",
    }


@dataclass(frozen=True)
class View:
    """What to draw of a sequence: which arrows (all, or a focus window) and how wide a label line may be."""

    rows: tuple[int, ...] | None = None
    wrap: int | None = None
    # Characters a participant's name may hold a line (the focus view wraps them to stay narrow).
    box_wrap: int | None = None


def to_digraph(
    spec: DiagramSpec,
    highlight_step: str | None = None,
    outcome: Outcome | None = None,
    view: View | None = None,
) -> graphviz.Digraph:
    """The spec as a Graphviz graph: a sequence diagram, or a flowchart for the overview.

    With ``highlight_step`` the step's arrows stand out, earlier steps read as done, later as pending;
    ``outcome`` (step id -> ok, failed, not reached) draws what a run really did. ``view`` picks the
    arrows to draw (their numbers stay those of the whole diagram) and wraps long labels.
    """
    if spec.kind == "overview":
        return _overview_digraph(spec)
    return _sequence_digraph(spec, highlight_step, outcome or {}, view or View())


def _sequence_digraph(spec: DiagramSpec, highlight_step: str | None, outcome: Outcome, view: View) -> graphviz.Digraph:
    # Recipe (STYLE.md): participants in one row, lifelines of point nodes, one rank per message.
    rows = list(view.rows if view.rows is not None else range(len(spec.messages)))
    involved = {end for i in rows for end in (spec.messages[i].source, spec.messages[i].target)}
    cast = [p for p in spec.participants if p.id in involved]
    g = graphviz.Digraph(spec.id)
    g.attr(bgcolor="transparent", newrank="true", nodesep="0.3", splines="line", fontname=FONT)
    g.attr(ranksep=f"{RANK_GAP / 72:.3f}")
    g.attr(outputorder="edgesfirst")
    g.attr("node", fontname=FONT)
    g.attr("edge", fontname=FONT, fontsize=LABEL_SIZE)
    for edge in ("head", "foot"):
        with g.subgraph() as row:
            row.attr(rank="min" if edge == "head" else "max")
            for p in cast:
                row.node(f"{edge}_{p.id}", id=f"{edge}_{p.id}", **_participant_attrs(p, view.box_wrap))
            _order_row(row, [f"{edge}_{p.id}" for p in cast])
    for i in rows:
        _message_row(g, spec, i, cast, _MessageLook.of(spec, i, highlight_step, outcome, view.wrap))
    for p in cast:
        chain = [f"head_{p.id}", *(f"{p.id}_{part}{i + 1}" for i in rows for part in ("above_", "")), f"foot_{p.id}"]
        for a, b in zip(chain, chain[1:], strict=False):
            g.edge(a, b, style="dashed", arrowhead="none", weight="100", color=LIFELINE, **{"class": "lifeline"})
    return g


@dataclass(frozen=True)
class _MessageLook:
    state: MessageState
    label: str

    @classmethod
    def of(
        cls, spec: DiagramSpec, index: int, highlight: str | None, outcome: Outcome, wrap: int | None
    ) -> _MessageLook:
        step = spec.messages[index].step
        state = message_state(spec, step, highlight, outcome)
        label = f"{index + 1}. {message_label(spec, index, outcome.get(step or ''))}"
        return cls(state, wrap_label(label, wrap))

    @property
    def pad_inches(self) -> float:
        """The height the row above the arrow needs besides the two rank gaps, for the label to fit."""
        size = float(STRONG_SIZE if self.strong else LABEL_SIZE)
        height = (self.label.count("\n") + 1) * size * LINE_HEIGHT + LABEL_MARGIN
        return max(height - 2 * RANK_GAP, 0.0) / 72

    @property
    def strong(self) -> bool:
        return self.state in ("current", "failed")

    def text_attrs(self) -> dict[str, str]:
        font = FONT_BOLD if self.strong else (FONT_ITALIC if self.state == "unreached" else FONT)
        size = STRONG_SIZE if self.strong else LABEL_SIZE
        return {"fontcolor": STATE_COLOUR[self.state], "fontname": font, "fontsize": size}


def _message_row(
    g: graphviz.Digraph, spec: DiagramSpec, index: int, cast: list[Participant], look: _MessageLook
) -> None:
    m: Message = spec.messages[index]
    n = index + 1
    column = {p.id: c for c, p in enumerate(cast)}
    names = [f"{p.id}_{n}" for p in cast]
    source, target = column[m.source], column[m.target]
    left, right = min(source, target), max(source, target)
    # The label's gap: between the sender and its neighbour towards the receiver.
    gap = source if target > source else source - 1
    label = {"label": _escape(look.label), **look.text_attrs()}
    with g.subgraph() as above:
        # An empty row above each arrow: dot puts a flat edge's label in the rank above it, so it lands here.
        above.attr(rank="same")
        for p in cast:
            above.node(f"{p.id}_above_{n}", shape="point", width="0", height="0", label="", color=LIFELINE)
        # dot leaves that row too little height for a label of several lines; an invisible post makes it tall enough.
        above.node(f"pad_{n}", shape="box", style="invis", label="", width="0.01", height=f"{look.pad_inches:.2f}")
        _order_row(above, [f"pad_{n}", *(f"{p.id}_above_{n}" for p in cast)])
    with g.subgraph() as row:
        row.attr(rank="same")
        for name in names:
            row.node(name, shape="point", width="0", height="0", label="", color=LIFELINE)
        for c, (a, b) in enumerate(zip(names, names[1:], strict=False)):
            if c != gap:
                row.edge(a, b, style="invis")
            elif right - left > 1:
                # Drawn in no colour but its label's: it holds the label, and dot makes room for it.
                classes = f"label {m.kind} {look.state}"
                row.edge(a, b, color="transparent", arrowhead="none", id=f"label_{n}", **{"class": classes}, **label)
    # Every message is declared left to right, so it also keeps the columns in order; dir draws its way.
    style = _arrow_style(m, look, forward=target > source)
    attrs = {"id": f"msg_{n}", "class": f"message {m.kind} {look.state}", "color": STATE_COLOUR[look.state]}
    if right - left == 1:
        attrs.update(label)
    else:
        attrs["constraint"] = "false"
    g.edge(names[left], names[right], **style, **attrs)


def _arrow_style(m: Message, look: _MessageLook, forward: bool) -> dict[str, str]:
    style = dict(EDGE_STYLE[m.kind])
    if look.state == "unreached":
        style["style"] = "dashed"
    style["penwidth"] = "3" if look.strong else style.get("penwidth", "1.3")
    head = style.pop("arrowhead")
    return {**style, "dir": "forward", "arrowhead": head} if forward else {**style, "dir": "back", "arrowtail": head}


def _escape(label: str) -> str:
    # Plain-text labels (HTML-like ones need expat, which the WebAssembly build lacks); lines end left-aligned.
    return label.replace("\\", "\\\\").replace("\n", "\\l") + ("\\l" if "\n" in label else "")


def _order_row(row: graphviz.Digraph, names: Sequence[str]) -> None:
    for a, b in zip(names, names[1:], strict=False):
        row.edge(a, b, style="invis")


def _overview_digraph(spec: DiagramSpec) -> graphviz.Digraph:
    # Top to bottom, so it fits a phone: the person; the two clients with the identity service between
    # them (each talks to it sideways); the APIs both call, below; the data under the APIs. No arrow crosses.
    g = graphviz.Digraph(spec.id)
    g.attr(bgcolor="transparent", rankdir="TB", nodesep="0.2", ranksep="0.45", fontname=FONT)
    g.attr("edge", fontname=FONT, fontsize=LABEL_SIZE, color=NEUTRAL, fontcolor=NEUTRAL)
    for p in spec.participants:
        attrs = _participant_attrs(p, OVERVIEW_WRAP)
        if p.role == "data":
            attrs.update(shape="cylinder", style="filled")
        elif p.role == "person":
            attrs.update(style="rounded,filled,bold")
        g.node(p.id, **attrs)
    middle = [p.id for role in ("app", "identity", "service") for p in spec.participants if p.role == role]
    with g.subgraph() as row:
        row.attr(rank="same")
        for a, b in zip(middle, middle[1:], strict=False):
            row.edge(a, b, style="invis")
    for i, m in enumerate(spec.messages, start=1):
        label = wrap_label(m.label, OVERVIEW_WRAP, after="").replace("\n", "\\n")
        attrs = {**EDGE_STYLE[m.kind], "id": f"msg_{i}", "class": f"message {m.kind} neutral", "label": label}
        if m.kind == "response":
            # Answers run back against the reading direction; they must not reorder the columns.
            attrs["constraint"] = "false"
        g.edge(m.source, m.target, **attrs)
    return g
