"""/flows in Chromium: the browser really draws each diagram, and Next moves the highlight."""

from __future__ import annotations

import pytest
from conftest import wait_for_app

from flowguide import diagrams

pytestmark = pytest.mark.browser

CHART_SVG = "[data-testid='stGraphVizChart'] svg"


def _open(page, base: str, query: str) -> None:
    page.failed = []
    page.on("response", lambda r: page.failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{base}/flows?{query}")
    wait_for_app(page)
    page.wait_for_selector(CHART_SVG, timeout=30_000)


def _real_errors(page) -> list[str]:
    """Console errors, less the 404s of Streamlit's own base-path probe (/flows/_stcore/...)."""
    probes = [
        u for u in page.failed if u.split("?")[0].endswith(("/flows/_stcore/health", "/flows/_stcore/host-config"))
    ]
    failed_loads = [e for e in page.console_errors if e.startswith("Failed to load resource")]
    assert len(page.failed) == len(probes), page.failed
    return [e for e in page.console_errors if e not in failed_loads] + failed_loads[len(probes) :]


def _highlighted(page) -> list[str]:
    return page.eval_on_selector_all(f"{CHART_SVG} g.edge.message.current", "els => els.map(e => e.id)")


@pytest.mark.parametrize("flow", diagrams.SEQUENCE_IDS)
def test_diagram_draws_every_arrow(streamlit_server: str, page, flow: str) -> None:
    _open(page, streamlit_server, f"flow={flow}")
    spec = diagrams.load_spec(flow)
    drawn = page.eval_on_selector_all(f"{CHART_SVG} g.edge.message", "els => els.length")
    assert drawn == len(spec.messages)
    names = page.eval_on_selector_all(f"{CHART_SVG} g.node text", "els => els.map(e => e.textContent)")
    assert {p.label for p in spec.participants} <= set(names)
    box = page.locator(CHART_SVG).first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert _real_errors(page) == []


def test_next_moves_the_highlight(streamlit_server: str, page) -> None:
    _open(page, streamlit_server, "flow=authorization_code&step=sign_in")
    assert _highlighted(page) == ["msg_5", "msg_6"]
    page.get_by_role("button", name="Next").click()
    page.wait_for_function(
        "() => document.querySelectorAll(\"[data-testid='stGraphVizChart'] svg g.edge.current\").length === 3"
        " && document.querySelector(\"[data-testid='stGraphVizChart'] svg #msg_7.current\")",
        timeout=30_000,
    )
    assert _highlighted(page) == ["msg_7", "msg_8", "msg_9"]
    assert "step=consent" in page.url
    assert _real_errors(page) == []
