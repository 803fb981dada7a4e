"""The start page: the overview picture and a way into each part of the app."""

from __future__ import annotations

import html
import re

from conftest import run_page

from flowguide.content import brand
from flowguide.pages.ui import LINK_KEY


def test_start_page_shows_the_overview_and_links_to_every_part() -> None:
    at = run_page("home")
    assert not at.exception
    assert at.title[0].value == "How apps sign in to ERP.net"
    # The start page's picture comes with its Markdown (a first visit does not wait for the component).
    svg = next(m.value for m in at.markdown if 'data-diagram="home_overview-whole"' in m.value)
    # Box labels wrap onto lines ("Background" / "service"): join each box's lines to read its name.
    boxes = [
        " ".join(re.findall(r"<text\b[^>]*>([^<]*)</text>", box))
        for box in re.findall(r'<g id="home_overview-whole-node\d+" class="node">(.*?)</g>', svg, flags=re.S)
    ]
    for participant in ("David", "Web app", "Background service", "ERP.net APIs"):
        assert participant in html.unescape(svg)
        assert any(participant in html.unescape(box) for box in boxes), boxes
    links = [link.proto.page for link in at.get("page_link")]
    assert {"guide", "flows", "simulator", "tokens"} <= {p.rsplit("/", 1)[-1].removesuffix(".py") for p in links}


def test_the_start_pages_link_is_sent_only_once_link_to_this_is_opened() -> None:
    # Closed, the page holds no code block, so the browser need not load its syntax highlighter.
    at = run_page("home")
    assert [e.label for e in at.expander if e.label == "Link to this"] == ["Link to this"]
    assert not at.code
    at.session_state[LINK_KEY] = True
    at.run()
    assert not at.exception
    assert [c.value for c in at.code][:1] == [f"{brand().app_url}/"]
    assert f"[How apps sign in to {brand().name}]({brand().app_url}/)" in [c.value for c in at.code]
