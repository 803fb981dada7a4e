"""The simulator driven with the keyboard alone, and the walked page still passing the axe-core scan."""

from __future__ import annotations

import pytest
from conftest import serious_violations, wait_for_app

from flowguide.client import FLOW_STEPS

pytestmark = pytest.mark.browser

# A button's text ends with its label; an icon before it reads as its ligature name ("arrow_forward").
FOCUSED_TEXT = (
    "() => { const e = document.activeElement; if (!e || e.tagName !== 'BUTTON') return '';"
    " return (e.innerText || '').split('\\n').map(s => s.trim()).filter(Boolean).pop() || ''; }"
)


def press_by_keyboard(page, label: str, max_tabs: int = 400) -> None:
    """Tab through the page until the button named `label` has focus, then press Enter: no mouse at all.

    Focus that is already on the button counts (after Next it stays there); otherwise Tab may have to go
    round the whole page, whose token tables hold a documentation link per claim.
    """
    for _ in range(max_tabs):
        if page.evaluate(FOCUSED_TEXT) == label:
            page.keyboard.press("Enter")
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"no button {label!r} could be reached with Tab")


def wait_for_step(page, step: int, total: int) -> None:
    page.get_by_text(f"Step {step} of {total}", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_authorization_code_walk_with_the_keyboard_alone(streamlit_server, chromium, scheme: str) -> None:
    context = chromium.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/simulator?flow=authorization_code")
        wait_for_app(page)
        total = len(FLOW_STEPS["authorization_code"])
        # The sign-in form is prefilled with the demo user; the visitor presses its button.
        labels = ["Next", "Next", "Sign in", "Allow", "Next", "Next", "Next", "Next"]
        for step, label in enumerate(labels, start=1):
            press_by_keyboard(page, label)
            wait_for_step(page, step, total)
        page.get_by_text("200 OK: the API returned", exact=False).first.wait_for(timeout=20_000)

        bad = serious_violations(page)
        assert not bad, "\n".join(bad)
    finally:
        context.close()
