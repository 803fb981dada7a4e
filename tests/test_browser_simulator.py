"""/simulator in Chromium: a whole Authorization Code run to the API's 200, and one mistake, with
screenshots in /tmp/shots/; no console errors; no code, verifier or token in the URL afterwards."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import wait_for_app

from flowguide import content
from flowguide.client import FLOW_STEPS
from flowguide.transcript import JWT_PATTERN

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


def _open(page, base: str, query: str) -> None:
    page.failed = []
    page.on("response", lambda r: page.failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{base}/simulator?{query}")
    wait_for_app(page)
    # The diagram beside the step, however the diagram view draws it.
    page.wait_for_selector(".st-key-sim_side svg", timeout=30_000)


def _real_errors(page) -> list[str]:
    """Console errors, less the 404s of Streamlit's own base-path probe (/simulator/_stcore/...)."""
    probes = [u for u in page.failed if "/simulator/_stcore/" in u]
    failed_loads = [e for e in page.console_errors if e.startswith("Failed to load resource")]
    assert len(page.failed) == len(probes), page.failed
    return [e for e in page.console_errors if e not in failed_loads] + failed_loads[len(probes) :]


def _press(page, name: str, step: int, total: int) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_text(f"Step {step} of {total}", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)


def _shot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window to fit it first."""
    SHOTS.mkdir(exist_ok=True)
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(max(height, 900), 8000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"simulator_{name}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def _assert_url_clean(page, query: dict[str, list[str]]) -> None:
    """The URL names the flow, the mistake and the step shown; no code, token or secret."""
    assert parse_qs(urlsplit(page.url).query) == query
    assert "code=" not in page.url and "eyJ" not in page.url and "token" not in page.url.lower()


def test_authorization_code_walk_reaches_a_200_and_leaves_no_secret_in_the_url(streamlit_server, page) -> None:
    _open(page, streamlit_server, "flow=authorization_code")
    total = len(FLOW_STEPS["authorization_code"])
    _shot(page, "ac_0_ready")
    _press(page, "Next", 1, total)
    _press(page, "Next", 2, total)
    page.get_by_text("BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))").first.wait_for()
    _shot(page, "ac_2_authorize_pkce")
    assert page.get_by_role("textbox", name="User name").input_value() == "david"
    _press(page, "Sign in", 3, total)
    _shot(page, "ac_3_consent_page")
    _press(page, "Allow", 4, total)
    _press(page, "Next", 5, total)
    page.get_by_text("state: sent and returned").wait_for()
    _shot(page, "ac_5_callback_state")
    _press(page, "Next", 6, total)
    _shot(page, "ac_6_token")
    _press(page, "Next", 7, total)
    page.get_by_text("Valid: every check passed", exact=False).first.wait_for()
    _shot(page, "ac_7_validate")
    _press(page, "Next", 8, total)
    page.get_by_text("200 OK: the API returned", exact=False).first.wait_for()
    _shot(page, "ac_8_api_200")
    assert page.get_by_role("button", name="Next", exact=True).is_disabled()
    _assert_url_clean(page, {"flow": ["authorization_code"], "step": ["8"]})
    # Nothing on the page carries a whole token while secrets are masked.
    assert JWT_PATTERN.search(page.content()) is None
    assert _real_errors(page) == []


def test_a_mistake_shows_the_sandbox_error_and_the_fix(streamlit_server, page) -> None:
    mistake = content.mistakes()["wrong_verifier"]
    _open(page, streamlit_server, "flow=authorization_code&mistake=wrong_verifier")
    total = len(FLOW_STEPS["authorization_code"])
    for step in range(1, 7):
        name = {3: "Sign in", 4: "Allow"}.get(step, "Next")
        _press(page, name, step, total)
    page.get_by_text("invalid_grant", exact=True).first.wait_for()
    page.get_by_text(mistake.fix).wait_for()
    _shot(page, "mistake_wrong_verifier")
    assert page.get_by_role("button", name="Next", exact=True).is_disabled()
    _assert_url_clean(page, {"flow": ["authorization_code"], "mistake": ["wrong_verifier"], "step": ["6"]})
    assert _real_errors(page) == []


def test_hybrid_lanes_side_by_side_each_reach_the_api(streamlit_server, page) -> None:
    _open(page, streamlit_server, "flow=hybrid")
    total = len(FLOW_STEPS["hybrid"])
    for step in range(1, total + 1):
        _press(page, {3: "Sign in", 4: "Allow"}.get(step, "Next"), step, total)
    # The two lanes are the innermost columns (they sit in the step's column).
    innermost = page.locator("[data-testid='stColumn']:not(:has([data-testid='stColumn']))")
    lanes = innermost.filter(has_text="API answered 200 OK")
    assert lanes.count() == 2
    page.get_by_text("acts as the System User", exact=False).first.wait_for()
    _shot(page, "hybrid_lanes")
    _assert_url_clean(page, {"flow": ["hybrid"], "step": [str(total)]})
    assert _real_errors(page) == []


def test_reset_starts_again_on_a_fresh_sandbox(streamlit_server, page) -> None:
    _open(page, streamlit_server, "flow=client_credentials")
    total = len(FLOW_STEPS["client_credentials"])
    _press(page, "Next", 1, total)
    _press(page, "Next", 2, total)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_role("heading", name="Ready").wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.get_by_text(f"{total} steps", exact=True).count() == 1
    _press(page, "Next", 1, total)
    assert _real_errors(page) == []
