"""The start page: the overview picture and a way into each part of the app."""

from __future__ import annotations

from conftest import run_page


def test_start_page_shows_the_overview_and_links_to_every_part() -> None:
    at = run_page("home")
    assert not at.exception
    assert at.title[0].value == "How apps sign in to ERP.net"
    dot = at.get("graphviz_chart")[0].proto.spec
    for participant in ("David", "Web app", "Background service", "ERP.net APIs"):
        assert participant in dot
    links = [link.proto.page for link in at.get("page_link")]
    assert {"guide", "flows", "simulator", "tokens"} <= {p.rsplit("/", 1)[-1].removesuffix(".py") for p in links}
