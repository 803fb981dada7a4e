"""/simulator in Chromium, measured: it reads top to bottom in the order things happen (on a phone the step
starts within a screen of Next), the bar and the diagram stay in view, the step survives a reload, and
"Link to this" and the review's download name the host and port the browser is on."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import serious_violations, wait_for_app

from flowguide.client import FLOW_STEPS

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
AC_TOTAL = len(FLOW_STEPS["authorization_code"])
# Where an element is in the page (not the window): Streamlit scrolls inside its main block.
MAIN = "document.querySelector(\"[data-testid='stMain']\")"
PAGE_Y = f"e => e.getBoundingClientRect().top + {MAIN}.scrollTop"


def _open(context, base: str, query: str):
    page = context.new_page()
    page.goto(f"{base}/simulator?{query}")
    wait_for_app(page)
    return page


def _y(locator) -> float:
    return locator.first.evaluate(PAGE_Y)


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _step_heading(page, number: int):
    return page.get_by_role("heading", name=re.compile(rf"^{number}\. "))


def _scroll_to_the_end(page) -> None:
    page.evaluate(f"() => {MAIN}.scrollTo(0, {MAIN}.scrollHeight)")
    page.wait_for_timeout(400)


def _in_view(page, locator) -> bool:
    box = locator.first.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_step_starts_within_a_screen_of_next(streamlit_server, chromium, scheme: str) -> None:
    context = chromium.new_context(viewport=PHONE, color_scheme=scheme)
    try:
        page = _open(context, streamlit_server, "flow=authorization_code&step=2")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"simulator_phone_{scheme}.png"))
        next_y = _y(page.get_by_role("button", name="Next", exact=True))
        heading_y = _y(_step_heading(page, 2))
        assert 0 < heading_y - next_y < PHONE["height"], (next_y, heading_y)
        # What comes next (the sign-in page the browser shows) follows the step, not before it.
        sign_in_y = _y(page.get_by_text("The browser now shows the identity service's sign-in page"))
        assert sign_in_y > _y(page.get_by_text("What crossed the wire", exact=True)) > heading_y
        # Scrolled to the end, the bar is still there to press.
        _scroll_to_the_end(page)
        assert _in_view(page, page.get_by_role("button", name="Next", exact=True))
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_desktop_the_step_then_what_comes_next_with_the_bar_and_diagram_in_view(
    streamlit_server, chromium, scheme: str
) -> None:
    context = chromium.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = _open(context, streamlit_server, "flow=authorization_code&step=3")
        page.screenshot(path=str(SHOTS / f"simulator_desktop_{scheme}.png"))
        heading_y = _y(_step_heading(page, 3))
        wire_y = _y(page.get_by_text("What crossed the wire", exact=True))
        checked_y = _y(page.get_by_text("What the client checked", exact=True))
        consent_y = _y(page.get_by_text("The browser now shows the consent page"))
        assert heading_y < wire_y < checked_y < consent_y
        assert heading_y < DESKTOP["height"]
        # The page is longer than a screen; at its end the bar and the diagram beside the step are in view.
        assert page.evaluate(f"{MAIN}.scrollHeight") > DESKTOP["height"]
        _scroll_to_the_end(page)
        page.screenshot(path=str(SHOTS / f"simulator_desktop_{scheme}_end.png"))
        assert _in_view(page, page.get_by_role("button", name="Next", exact=True))
        # The column beside the step sticks: it is not left empty below the first screen.
        assert _in_view(page, page.locator("[data-testid='stColumn']:has(.st-key-sim_side)"))
        assert _in_view(page, page.locator(".st-key-sim_side svg"))
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_exchange_at_the_top_of_a_step_passes_the_axe_scan(streamlit_server, chromium, scheme: str) -> None:
    """The API call's request and response open first on the page, their code colours readable on both themes."""
    context = chromium.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        page = _open(context, streamlit_server, "flow=authorization_code&step=8")
        page.get_by_text("GET /api/domain/odata/Crm_Sales_Customers?$top=10 HTTP/1.1").first.wait_for()
        page.wait_for_timeout(1000)
        bad = serious_violations(page)
        assert not bad, "\n".join(bad)
    finally:
        context.close()


def test_a_link_to_step_5_reloads_to_step_5_and_the_url_follows_next_and_back(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/simulator?flow=authorization_code&step=5")
    page.get_by_text(f"Step 5 of {AC_TOTAL}", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)
    _step_heading(page, 5).wait_for()
    page.reload()
    page.get_by_text(f"Step 5 of {AC_TOTAL}", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)
    assert _query(page) == {"flow": ["authorization_code"], "step": ["5"]}
    page.get_by_role("button", name="Next", exact=True).click()
    page.get_by_text(f"Step 6 of {AC_TOTAL}", exact=True).wait_for(timeout=30_000)
    page.wait_for_url(re.compile(r"step=6"))
    page.reload()
    page.get_by_text(f"Step 6 of {AC_TOTAL}", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Back", exact=True).click()
    page.get_by_text(f"Step 5 of {AC_TOTAL}", exact=True).wait_for(timeout=30_000)
    page.wait_for_url(re.compile(r"step=5"))
    assert "code=" not in page.url and "eyJ" not in page.url
    assert page.console_errors == []


def test_a_bad_step_shows_a_notice_and_the_start(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/simulator?flow=authorization_code&step=99")
    wait_for_app(page)
    page.get_by_text("There is no step", exact=False).wait_for(timeout=30_000)
    page.get_by_role("heading", name="Ready").wait_for(timeout=30_000)
    assert page.get_by_text(f"{AC_TOTAL} steps", exact=True).count() == 1
    assert _query(page) == {"flow": ["authorization_code"]}


def _link_to_this(page) -> list[str]:
    expander = page.locator("[data-testid='stExpander']", has_text="Link to this")
    expander.get_by_text("Link to this").click()
    blocks = expander.locator("[data-testid='stCode']")
    blocks.first.wait_for()
    return [blocks.nth(i).inner_text().strip() for i in range(blocks.count())]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_link_to_this_names_the_host_and_port_the_browser_is_on(streamlit_server, page, host: str) -> None:
    base = streamlit_server.replace("127.0.0.1", host)
    page.goto(f"{base}/simulator?flow=client_credentials&step=2")
    page.get_by_text("Step 2 of 4", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)
    url, snippet = _link_to_this(page)
    assert url == f"{base}/simulator?flow=client_credentials&step=2"
    assert snippet.endswith(f"({url})")


def test_the_review_download_links_back_to_the_host_and_port_the_browser_is_on(streamlit_server, page) -> None:
    answers = "signin=yes&unattended=no&client=web"
    page.goto(f"{streamlit_server}/review?{answers}")
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Markdown").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"{streamlit_server}/guide?{answers}" in text
    assert "localhost:8501" not in text
