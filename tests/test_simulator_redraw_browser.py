"""/simulator in Chromium: a Next reruns only the stepper fragment, and the browser patches the page.

The browser's own request is read off the websocket (Streamlit's BackMsg protobuf): a Next asks for a
rerun of the fragment, not of the page. The diagram beside the step becomes the new step's SVG, while
the panels around the step keep their DOM nodes (same elements in the same places every step; the
diagram's box stays and only its picture is replaced), and the
whole diagram is only sent while its expander is open.
"""

from __future__ import annotations

import pytest
from conftest import wait_for_app
from streamlit.proto.BackMsg_pb2 import BackMsg

pytestmark = pytest.mark.browser

FOCUS = ".st-key-sim_side svg[data-diagram='simulator-focus']"
WHOLE = ".st-key-sim_side svg[data-diagram='simulator-whole']"
# Found by what they show, so the same finders work whatever containers hold them.
KEPT_JS_FINDERS = """(diagram) => {
  const button = text => [...document.querySelectorAll('button')].find(b => b.innerText.includes(text));
  const summary = text => [...document.querySelectorAll('summary')].find(s => s.innerText.includes(text));
  const column = document.querySelector('.st-key-sim_side')?.closest('[data-testid="stColumn"]');
  const found = {
    'title': document.querySelector('h1'),
    'flow box': document.querySelector('[data-testid="stSelectbox"]'),
    'side column': column,
    'diagram': document.querySelector(diagram)?.closest('.fg-markup'),
    'clock panel': button('Clock +1 hour')?.closest('[data-testid="stVerticalBlock"]'),
    'link expander': summary('Link to this')?.closest('[data-testid="stExpander"]'),
  };
  window.__kept = found;
  return Object.fromEntries(Object.entries(found).map(([name, el]) => [name, !!el]));
}"""
KEPT = ("title", "flow box", "side column", "diagram", "clock panel", "link expander")
KEPT_JS = "() => Object.fromEntries(Object.entries(window.__kept).map(([name, el]) => [name, el.isConnected]))"


def _reruns(page) -> list[BackMsg]:
    """Every rerun request the page sends over Streamlit's websocket, decoded."""
    sent: list[BackMsg] = []

    def on_socket(ws) -> None:
        def on_frame(payload) -> None:
            if isinstance(payload, bytes):
                msg = BackMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "rerun_script":
                    sent.append(msg)

        ws.on("framesent", on_frame)

    page.on("websocket", on_socket)
    return sent


def _step_shown(page, step: str) -> None:
    page.wait_for_selector(f"{FOCUS}[data-step='{step}']", timeout=60_000)
    wait_for_app(page)


def test_next_reruns_only_the_fragment_and_patches_the_page(streamlit_server, page) -> None:
    sent = _reruns(page)
    page.goto(f"{streamlit_server}/simulator?flow=authorization_code")
    wait_for_app(page)
    page.get_by_role("button", name="Next", exact=True).click()
    _step_shown(page, "discovery")
    assert page.evaluate(KEPT_JS_FINDERS, FOCUS) == dict.fromkeys(KEPT, True)
    before = len(sent)

    page.get_by_role("button", name="Next", exact=True).click()
    _step_shown(page, "authorize")

    # The browser asked for the stepper fragment alone, once.
    asked = sent[before:]
    assert [m.rerun_script.fragment_id != "" for m in asked] == [True], asked
    # The same DOM nodes, patched: nothing outside the step's panels was rebuilt.
    assert page.evaluate(KEPT_JS) == dict.fromkeys(KEPT, True)
    assert page.locator(FOCUS).count() == 1
    assert page.locator(f"{FOCUS} g.edge.message.current").count() >= 1


def test_the_whole_diagram_is_sent_only_while_its_expander_is_open(streamlit_server, page) -> None:
    page.goto(f"{streamlit_server}/simulator?flow=client_credentials&step=2")
    wait_for_app(page)
    _step_shown(page, "token")
    assert page.locator(WHOLE).count() == 0
    page.locator(".st-key-sim_side").get_by_text("The whole diagram", exact=True).click()
    page.wait_for_selector(f"{WHOLE}[data-step='token']", timeout=60_000)
    # Open, it follows the walk like the step's own picture.
    page.get_by_role("button", name="Next", exact=True).click()
    _step_shown(page, "validate")
    page.wait_for_selector(f"{WHOLE}[data-step='validate']", timeout=60_000)
    assert page.locator(WHOLE).count() == 1
    assert page.console_errors == []
