"""Every colour a diagram draws reads at 4.5:1 or more, on Streamlit's light and dark themes, read from the SVG.

axe does not look inside SVG, so the colours are measured here: each text against what is behind it (a
participant's box, or the page), each line, arrowhead and box edge against the page. The dark theme is
the SVG with the palette's dark twins (what the page's light-dark() CSS paints); a Chromium test checks
that the page really paints them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from flowguide import diagrams
from flowguide.decision_tree import decision_tree
from flowguide.diagram_theme import DARK_BGS, LIGHT, LIGHT_BG, PAIRS, contrast_ratio, themed_svg

MIN_RATIO = 4.5
SVG_NS = "{http://www.w3.org/2000/svg}"
NO_COLOUR = {"none", "transparent"}


def _failure_at(spec: diagrams.DiagramSpec, step: str) -> dict[str, diagrams.StepOutcome]:
    """A run that failed at ``step``: the steps before it ok, the ones after not reached."""
    order = spec.step_ids()
    cut = order.index(step)
    outcome = {s: diagrams.OK for s in order[:cut]} | {s: diagrams.NOT_REACHED for s in order[cut + 1 :]}
    return outcome | {step: diagrams.failed(400, "invalid_grant")}


def _sequence_sources() -> Iterator[tuple[str, str]]:
    for flow in diagrams.SEQUENCE_IDS:
        for variant in (None, *diagrams.load_spec_with_variants(flow).variants):
            spec = diagrams.resolved_spec(flow, variant)
            middle = spec.step_ids()[len(spec.step_ids()) // 2]
            rows = tuple(diagrams.focus_window(spec, middle))
            yield f"{flow}/{variant}/plain", diagrams.to_digraph(spec).source
            yield f"{flow}/{variant}/step", diagrams.to_digraph(spec, middle).source
            failed = diagrams.to_digraph(spec, middle, _failure_at(spec, middle), diagrams.View(rows, 14, 12))
            yield f"{flow}/{variant}/failed-focus", failed.source


def _sources() -> Iterator[tuple[str, str]]:
    yield from _sequence_sources()
    yield "overview", diagrams.to_digraph(diagrams.load_spec("overview")).source
    for answers in ({}, {"signin": "yes", "unattended": "yes"}, {"signin": "no", "unattended": "no"}):
        yield f"tree/{answers}", decision_tree(answers).source


SOURCES = dict(_sources())


@pytest.fixture(scope="module")
def svgs() -> dict[str, str]:
    return {name: diagrams.render_svg(source) for name, source in SOURCES.items()}


def _colour(value: str | None) -> str | None:
    return None if value is None or value in NO_COLOUR else value.lower()


def _box_fill(group: ET.Element) -> str | None:
    """The fill of a node's own shape, which its text sits on (None when the text sits on the page)."""
    for shape in group:
        if shape.tag in (f"{SVG_NS}polygon", f"{SVG_NS}path", f"{SVG_NS}ellipse"):
            fill = _colour(shape.get("fill"))
            if fill is not None:
                return fill
    return None


def pairs_to_check(svg: str, page: str) -> Iterator[tuple[str, str, str]]:
    """(what, colour, background) for everything the SVG paints: texts on their box or the page,
    lines and arrowheads and box edges on the page. A node's own fill is the background of its text."""
    root = ET.fromstring(svg)
    for group in root.iter(f"{SVG_NS}g"):
        kind = group.get("class", "")
        if not kind.startswith(("node", "edge")):
            continue
        behind = _box_fill(group) if kind.startswith("node") else None
        for element in group:
            tag = element.tag.removeprefix(SVG_NS)
            if tag == "text":
                if (fill := _colour(element.get("fill"))) is not None:
                    yield f"text {element.text!r}", fill, behind or page
                continue
            if (stroke := _colour(element.get("stroke"))) is not None:
                yield f"{tag} edge of {kind}", stroke, page
            fill = _colour(element.get("fill"))
            if fill is not None and fill != behind:
                yield f"{tag} fill of {kind}", fill, page


def _failures(svg: str, page: str) -> list[str]:
    return [
        f"{what}: {colour} on {background} is {contrast_ratio(colour, background):.2f}:1"
        for what, colour, background in pairs_to_check(svg, page)
        if contrast_ratio(colour, background) < MIN_RATIO
    ]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_colour_reads_on_the_light_theme(name: str, svgs: dict[str, str]) -> None:
    assert _failures(svgs[name], LIGHT_BG) == []


@pytest.mark.parametrize("page", DARK_BGS)
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_colour_reads_on_the_dark_theme(name: str, page: str, svgs: dict[str, str]) -> None:
    assert _failures(themed_svg(svgs[name], "dark"), page) == []


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_colour_drawn_is_one_the_dark_theme_repaints(name: str, svgs: dict[str, str]) -> None:
    # The page's CSS maps exactly the palette's light colours; any other colour would stay as drawn on dark.
    drawn = {colour for _what, colour, _bg in pairs_to_check(svgs[name], LIGHT_BG)}
    assert drawn <= {c.lower() for c in LIGHT.values()}


def test_the_checker_sees_what_a_diagram_paints(svgs: dict[str, str]) -> None:
    # Texts on the page, texts on boxes, arrows: a checker that found nothing would pass anything.
    checked = list(pairs_to_check(svgs["authorization_code/None/failed-focus"], LIGHT_BG))
    assert any(what.startswith("text") and bg == LIGHT_BG for what, _c, bg in checked)
    assert any(what.startswith("text") and bg == LIGHT["app"] for what, _c, bg in checked)
    assert any(colour == LIGHT["failed"] and what.startswith("path") for what, colour, _bg in checked)


@pytest.mark.parametrize("role", sorted(PAIRS))
def test_each_palette_colour_has_a_dark_twin_of_the_same_role(role: str) -> None:
    light, dark = PAIRS[role]
    assert light != dark and themed_svg(f'<g fill="{light}"/>', "dark") == f'<g fill="{dark}"/>'


def _distance(a: str, b: str) -> float:
    return sum((int(a[i : i + 2], 16) - int(b[i : i + 2], 16)) ** 2 for i in (1, 3, 5)) ** 0.5


# How far apart (in RGB) the path taken and the rest must be, in border and in fill, on each theme.
MIN_DISTANCE = 40


@pytest.mark.parametrize("theme", [0, 1], ids=["light", "dark"])
def test_the_highlighted_tree_path_differs_from_the_rest(theme: int) -> None:
    assert _distance(PAIRS["tree_on"][theme], PAIRS["lifeline"][theme]) >= MIN_DISTANCE
    assert _distance(PAIRS["tree_on_fill"][theme], PAIRS["tree_fill"][theme]) >= MIN_DISTANCE
    # Not by colour alone: the path is drawn twice as thick, and its words bold.
    dot = decision_tree({"signin": "yes", "unattended": "no"}).source
    highlighted = [line for line in dot.splitlines() if "penwidth=2.4" in line]
    assert len(highlighted) == 5 and all("Helvetica-Bold" in line for line in highlighted)
    assert "penwidth=1.2" in dot
