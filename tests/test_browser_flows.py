"""/flows in Chromium: the browser really draws each diagram, and Next moves the highlight."""

from __future__ import annotations

import pytest
from conftest import wait_for_app

from flowguide import diagrams

pytestmark = pytest.mark.browser

# The whole diagram, in the page even while its expander is closed; the step drawn large beside it.
WHOLE_SVG = "svg.fg-svg[data-diagram='walkthrough-whole']"
FOCUS_SVG = "svg.fg-svg[data-diagram='walkthrough-focus']"


def _open(page, base: str, query: str) -> None:
    page.failed = []
    page.on("response", lambda r: page.failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{base}/flows?{query}")
    wait_for_app(page)
    page.wait_for_selector(FOCUS_SVG, timeout=30_000)
    page.wait_for_selector(WHOLE_SVG, state="attached", timeout=30_000)


def _real_errors(page) -> list[str]:
    """Console errors, less the 404s of Streamlit's own base-path probe (/flows/_stcore/...)."""
    probes = [
        u for u in page.failed if u.split("?")[0].endswith(("/flows/_stcore/health", "/flows/_stcore/host-config"))
    ]
    failed_loads = [e for e in page.console_errors if e.startswith("Failed to load resource")]
    assert len(page.failed) == len(probes), page.failed
    return [e for e in page.console_errors if e not in failed_loads] + failed_loads[len(probes) :]


def _highlighted(page, view: str = WHOLE_SVG) -> list[str]:
    """The highlighted arrows' ids, less the view's prefix: ``msg_5`` for ``walkthrough-whole-msg_5``."""
    ids = page.eval_on_selector_all(f"{view} g.edge.message.current", "els => els.map(e => e.id)")
    return [i.removeprefix("walkthrough-whole-").removeprefix("walkthrough-focus-") for i in ids]


@pytest.mark.parametrize("flow", diagrams.SEQUENCE_IDS)
def test_diagram_draws_every_arrow(streamlit_server: str, page, flow: str) -> None:
    _open(page, streamlit_server, f"flow={flow}")
    spec = diagrams.load_spec(flow)
    drawn = page.eval_on_selector_all(f"{WHOLE_SVG} g.edge.message", "els => els.length")
    assert drawn == len(spec.messages)
    # Box labels wrap onto lines: join each box's lines to read its name.
    names = page.eval_on_selector_all(
        f"{WHOLE_SVG} g.node", "els => els.map(g => [...g.querySelectorAll('text')].map(t => t.textContent).join(' '))"
    )
    assert {p.label for p in spec.participants} <= set(names), names
    # The browser really lays it out: the whole diagram once its expander opens, the step as it stands.
    page.get_by_text("The whole diagram").first.click()
    page.locator(WHOLE_SVG).first.wait_for(timeout=10_000)
    for view in (WHOLE_SVG, FOCUS_SVG):
        box = page.locator(view).first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200, (view, box)
    assert _real_errors(page) == []


def test_next_moves_the_highlight(streamlit_server: str, page) -> None:
    _open(page, streamlit_server, "flow=authorization_code&step=sign_in")
    assert _highlighted(page) == ["msg_5", "msg_6"]
    assert _highlighted(page, FOCUS_SVG) == ["msg_5", "msg_6"]
    page.get_by_role("button", name="Next").click()
    page.wait_for_function(
        f'() => document.querySelectorAll("{WHOLE_SVG} g.edge.message.current").length === 3'
        " && document.querySelector('#walkthrough-whole-msg_7.current')",
        timeout=30_000,
    )
    assert _highlighted(page) == ["msg_7", "msg_8", "msg_9"]
    assert _highlighted(page, FOCUS_SVG) == ["msg_7", "msg_8", "msg_9"]
    assert "step=consent" in page.url
    assert _real_errors(page) == []
