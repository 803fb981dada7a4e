"""Layout rules that keep diagrams readable: the focus view fits a phone, labels stay beside their sender,
long labels wrap where a reader expects, and a diagram never shrinks its text below the minimum."""

from __future__ import annotations

import re

import pytest

from flowguide import diagrams
from flowguide.decision_tree import decision_tree
from flowguide.diagram_dot import wrap_label
from flowguide.diagram_export import MIN_FONT_PX, PX_PER_PT

# The narrowest column a diagram is shown in: a 390 px phone less Streamlit's padding.
PHONE_COLUMN_PX = 358
WIDTHS = re.compile(r"max-width:(\d+)px;min-width:(\d+)px")
CASES = [
    (flow, variant, step)
    for flow in diagrams.SEQUENCE_IDS
    for variant in (None, *diagrams.load_spec_with_variants(flow).variants)
    for step in diagrams.load_spec(flow).step_ids()
]


def _narrowest(html: str) -> int:
    return int(WIDTHS.search(html).group(2))


@pytest.mark.parametrize(("flow", "variant", "step"), CASES)
def test_the_step_on_screen_fits_a_phone_without_shrinking_its_text(flow: str, variant: str | None, step: str) -> None:
    spec = diagrams.resolved_spec(flow, variant)
    assert _narrowest(diagrams.diagram_html(spec, step, focus=True)) <= PHONE_COLUMN_PX


def test_the_decision_tree_and_the_overview_fit_a_phone() -> None:
    for answers in ({}, {"signin": "yes", "unattended": "yes"}):
        assert _narrowest(diagrams.tree_html(decision_tree(answers).source, "tree")) <= PHONE_COLUMN_PX
    assert _narrowest(diagrams.diagram_html(diagrams.load_spec("overview"))) <= PHONE_COLUMN_PX


@pytest.mark.parametrize("flow", diagrams.SEQUENCE_IDS)
def test_a_diagram_never_gets_narrower_than_its_smallest_text_allows(flow: str) -> None:
    html = diagrams.diagram_html(diagrams.load_spec(flow))
    natural, narrowest = (int(n) for n in WIDTHS.search(html).groups())
    smallest = min(float(s) for s in re.findall(r'font-size="([\d.]+)"', html))
    assert narrowest / natural * smallest * PX_PER_PT == pytest.approx(MIN_FONT_PX, abs=0.05)
    # Wider than its column, it scrolls sideways instead of shrinking; the keyboard can scroll it too (axe's
    # scrollable-region-focusable), and a screen reader hears which diagram the box holds.
    assert 'style="overflow-x:auto' in html
    assert re.search(r'<div class="fg-diagram" role="region" aria-label="[^"]+" tabindex="0"', html)


def test_the_focus_keeps_to_the_actors_of_the_step() -> None:
    spec = diagrams.load_spec("authorization_code")
    rows = diagrams.focus_window(spec, "token")
    # 11 and 12 are the step; 13 (the JWKS request) joins, 10 (from the browser) would bring in another actor.
    assert [r + 1 for r in rows] == [11, 12, 13]
    assert [r + 1 for r in diagrams.focus_window(spec, "authorize")] == [2, 3, 4, 5]


def test_a_label_of_an_arrow_that_skips_a_lifeline_sits_beside_its_sender() -> None:
    spec = diagrams.load_spec("hybrid")
    svg = diagrams.render_svg(diagrams.to_digraph(spec).source)
    column = {p.id: i for i, p in enumerate(spec.participants)}
    for n, m in enumerate(spec.messages, start=1):
        arrow = re.search(rf'<g id="msg_{n}" class="edge message[^"]*">(.*?)</g>', svg, re.DOTALL).group(1)
        skips = abs(column[m.source] - column[m.target]) > 1
        # Skipping arrows carry no text; their label is on the carrier in the gap next to the sender.
        assert ("<text" in arrow) != skips
        assert (f'id="label_{n}"' in svg) == skips


def test_only_the_web_apps_own_api_call_skips_a_lifeline_in_the_hybrid() -> None:
    spec = diagrams.load_spec("hybrid")
    column = {p.id: i for i, p in enumerate(spec.participants)}
    skipping = {m.step for m in spec.messages if abs(column[m.source] - column[m.target]) > 1}
    # The browser always reaches the identity service past the web app; nothing else crosses a lifeline.
    browser_steps = {m.step for m in spec.messages if "browser" in (m.source, m.target) and m.step != "user_callback"}
    assert skipping - browser_steps == {"user_api_call"}


@pytest.mark.parametrize(
    ("text", "width", "wrapped"),
    [
        ("9. 302 to redirect_uri?code&state", 32, "9. 302 to redirect_uri?\ncode&state"),
        ("1. GET /.well-known/openid-configuration", 32, "1. GET /.well-known/openid-\nconfiguration"),
        ("12. ✗ 400 invalid_grant", 14, "12. ✗ 400\ninvalid_grant"),
        ("GET /connect/authorize", None, "GET /connect/authorize"),
        ("POST allow", 32, "POST allow"),
    ],
)
def test_labels_wrap_at_spaces_and_after_punctuation_without_a_widow(text: str, width: int, wrapped: str) -> None:
    assert wrap_label(text, width) == wrapped
