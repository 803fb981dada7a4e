"""Graphviz DOT for a diagram spec: a sequence diagram with one step highlighted, or the overview flowchart.

Colours read on Streamlit's light and dark backgrounds (Graphviz charts do not follow the app theme);
the sequence layout follows STYLE.md's recipe.
"""

from __future__ import annotations

import graphviz

from flowguide.diagram_spec import DiagramSpec, Participant

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
