"""Diagrams measured where they are shown, in Chromium: desktop (1400×900) and phone (390×844), light and dark.

From the page's own SVG: the height of every diagram text box (getBoundingClientRect of <text>), the
step on screen at 12 px or more and no text under 10 px; every text, line and arrowhead at 4.5:1 or more
against what is painted behind it (the colours the page really computes, so the dark theme's light-dark()
repaint is what is measured); no arrow label across a lifeline. Screenshots in /tmp/shots/diagrams/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/diagrams")
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
MIN_TEXT_PX = 10
MIN_CURRENT_PX = 12
MIN_RATIO = 4.5
PAGES = {
    "home": "/",
    "guide": "/guide?signin=yes&unattended=yes&client=spa",
    "flows": "/flows?flow=authorization_code&step=token",
    "hybrid": "/flows?flow=hybrid&step=user_api_call",
    "simulator": "/simulator?flow=authorization_code&mistake=wrong_verifier",
}
# Pages whose diagram marks the step on screen.
WITH_A_STEP = ("flows", "hybrid", "simulator")

MEASURE = """(minRatio) => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = c => {
    const l = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
  const ratio = (a, b) => {
    const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const painted = v => v && v !== 'none' && !v.startsWith('rgba(0, 0, 0, 0)') && v !== 'transparent';
  const page = getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor;
  const out = [];
  for (const svg of document.querySelectorAll('svg.fg-svg')) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;  // in a closed expander: not shown
    const texts = [], contrast = [], crossings = [];
    const lifelines = [...new Set([...svg.querySelectorAll('g.lifeline path')].map(p => {
      const r = p.getBoundingClientRect(); return Math.round((r.left + r.right) / 2); }))];
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      const group = t.closest('g.node, g.edge');
      const current = !!t.closest('g.current, g.failed');
      texts.push({text: t.textContent, height: r.height, current});
      const shape = group && group.classList.contains('node') ? group.querySelector('polygon, path, ellipse') : null;
      const behind = shape && painted(getComputedStyle(shape).fill) ? getComputedStyle(shape).fill : page;
      const fill = getComputedStyle(t).fill;
      if (ratio(fill, behind) < minRatio) contrast.push(`text ${t.textContent}: ${fill} on ${behind}`);
      if (group && group.classList.contains('edge'))
        for (const x of lifelines) if (x > r.left + 1 && x < r.right - 1) crossings.push(`${t.textContent} at x=${x}`);
    }
    for (const el of svg.querySelectorAll('g.node polygon, g.node path, g.node ellipse, g.edge path, g.edge polygon')) {
      const style = getComputedStyle(el);
      if (painted(style.stroke) && ratio(style.stroke, page) < minRatio)
        contrast.push(`${el.closest('g').id} line: ${style.stroke} on ${page}`);
      if (el.closest('g.edge') && painted(style.fill) && ratio(style.fill, page) < minRatio)
        contrast.push(`${el.closest('g').id} arrowhead: ${style.fill} on ${page}`);
    }
    out.push({name: svg.dataset.diagram, width: box.width, texts, contrast, crossings});
  }
  return {page, diagrams: out};
}"""


def _run_the_simulator_to_its_end(page) -> None:
    for _ in range(12):
        next_button = page.get_by_role("button", name="Next", exact=True)
        if next_button.is_disabled():
            return
        next_button.click()
        wait_for_app(page)
    raise AssertionError("the simulator's mistake run did not stop")


def _shot(page, name: str, width: int) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window to fit it first."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(height, 844), 9000)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture(params=["light", "dark"])
def scheme(request) -> str:
    return request.param


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_diagrams_read_where_shown(streamlit_server: str, chromium, name: str, size: str, scheme: str) -> None:
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(streamlit_server + PAGES[name])
        wait_for_app(page)
        page.wait_for_selector("svg.fg-svg", timeout=30_000)
        if name == "simulator":
            _run_the_simulator_to_its_end(page)
        expanders = page.get_by_text("The whole diagram", exact=True).all()
        for expander in expanders:
            expander.click()
        # The simulator sends its whole diagram only once the expander is open: wait until it is there.
        whole = page.locator("svg.fg-svg[data-diagram$='-whole']")
        page.wait_for_function(
            "n => document.querySelectorAll(\"svg.fg-svg[data-diagram$='-whole']\").length >= n",
            arg=len(expanders),
            timeout=60_000,
        )
        wait_for_app(page)
        assert whole.count() >= len(expanders)
        page.wait_for_timeout(500)
        measured = page.evaluate(MEASURE, MIN_RATIO)
        _shot(page, f"{name}_{size}_{scheme}", width)
    finally:
        context.close()
    # The theme really is the one asked for (Streamlit follows the system's colour scheme).
    assert (measured["page"] == "rgb(255, 255, 255)") == (scheme == "light")
    shown = measured["diagrams"]
    assert shown, "no diagram drawn"
    for diagram in shown:
        small = [(t["text"], round(t["height"], 1)) for t in diagram["texts"] if t["height"] < MIN_TEXT_PX]
        assert small == [], f"{diagram['name']}: text under {MIN_TEXT_PX} px"
        assert diagram["contrast"] == [], diagram["name"]
        assert diagram["crossings"] == [], f"{diagram['name']}: a label across a lifeline"
    if name in WITH_A_STEP:
        focus = next(d for d in shown if d["name"].endswith("-focus"))
        current = [t["height"] for t in focus["texts"] if t["current"]]
        assert current and min(current) >= MIN_CURRENT_PX, f"the step on screen is {min(current, default=0):.1f} px"


FAILED_ARROW = """() => [...document.querySelectorAll('svg.fg-svg[data-diagram$="-focus"] g.failed')].map(g => ({
  words: [...g.querySelectorAll('text')].map(t => t.textContent).join(' '),
  stroke: [...g.querySelectorAll('path')].map(p => getComputedStyle(p).stroke)}))"""


def test_the_simulator_draws_the_failing_arrow_with_its_real_status(streamlit_server: str, chromium) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(streamlit_server + "/simulator?flow=client_credentials&mistake=wrong_client_secret")
        wait_for_app(page)
        _run_the_simulator_to_its_end(page)
        # The step's picture can land a moment after the run's last rerun: wait for a failed arrow (a run that
        # draws none still fails, by timeout).
        page.wait_for_function(f"({FAILED_ARROW})().length > 0", timeout=30_000)
        failed = page.evaluate(FAILED_ARROW)
        # The whole diagram is sent once its expander is open.
        page.get_by_text("The whole diagram", exact=True).click()
        whole = page.locator('svg.fg-svg[data-diagram$="-whole"]')
        whole.wait_for(state="attached", timeout=60_000)
        unreached = whole.locator("g.message.unreached").count()
    finally:
        context.close()
    assert any("✗ 401 invalid_client" in arrow["words"] for arrow in failed), failed
    # The error colour, as the page paints it (light theme: the palette's failed red).
    assert any("rgb(201, 42, 42)" in arrow["stroke"] for arrow in failed)
    assert unreached == 4  # the validate and API steps, each a request and its response
