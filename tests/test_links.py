"""Links into the app: stable URLs and Markdown snippets that never carry a secret."""

from __future__ import annotations

import markdown
import pytest
from conftest import run_page

from flowguide.links import SECRET_PARAMS, app_link, markdown_link


def test_app_link_builds_the_public_url_of_a_page() -> None:
    assert app_link("flows", {"flow": "refresh", "step": "expire"}, base="https://guide.example/") == (
        "https://guide.example/flows?flow=refresh&step=expire"
    )
    assert app_link("", base="https://guide.example") == "https://guide.example/"


@pytest.mark.parametrize("name", sorted(SECRET_PARAMS) + ["Code", "ACCESS_TOKEN"])
def test_a_link_refuses_any_parameter_that_would_carry_a_secret(name: str) -> None:
    with pytest.raises(ValueError, match="must not carry"):
        app_link("simulator", {"flow": "authorization_code", name: "x"})


def test_markdown_snippet_renders_as_one_link_whatever_the_title() -> None:
    snippet = markdown_link("Step [3]: the ] callback\n", "https://guide.example/flows?flow=a b")
    html = markdown.markdown(snippet)
    assert html.count("<a ") == 1 and 'href="https://guide.example/flows?flow=a%20b"' in html
    assert "Step [3]: the ] callback" in html


def test_walkthrough_offers_the_link_to_the_step_shown() -> None:
    at = run_page("flows", {"flow": "refresh", "step": "expire"})
    codes = [c.value for c in at.code]
    assert "http://localhost:8501/flows?flow=refresh&step=expire" in codes
    assert any(c.startswith("[Refresh tokens, step 2:") for c in codes)
    at.button(key="flows_next").click().run()
    assert "http://localhost:8501/flows?flow=refresh&step=refresh" in [c.value for c in at.code]


def test_guide_link_reproduces_the_answers() -> None:
    at = run_page("guide", {"signin": "no", "unattended": "yes", "service_writes": "yes"})
    assert "http://localhost:8501/guide?signin=no&unattended=yes&service_writes=yes" in [c.value for c in at.code]


def test_simulator_link_names_the_flow_and_the_mistake_and_nothing_secret() -> None:
    at = run_page("simulator", {"flow": "client_credentials", "mistake": "wrong_client_secret"})
    codes = [c.value for c in at.code]
    assert "http://localhost:8501/simulator?flow=client_credentials&mistake=wrong_client_secret" in codes
    for _ in range(2):  # discovery, then the token request that meets invalid_client
        at.button(key="sim_next").click().run()
    links = [c for c in (c.value for c in at.code) if c.startswith("http://localhost:8501/simulator")]
    assert links and all("secret=" not in c and "eyJ" not in c for c in links)


@pytest.mark.parametrize(
    ("page", "query", "expected"),
    [
        ("tokens", {}, "http://localhost:8501/tokens"),
        ("review", {"signin": "no", "unattended": "yes"}, "http://localhost:8501/review?signin=no&unattended=yes"),
        ("connect", {"flow": "authorization_code"}, "http://localhost:8501/connect?flow=authorization_code"),
    ],
)
def test_every_page_offers_its_link(page: str, query: dict[str, str], expected: str) -> None:
    at = run_page(page, query)
    assert expected in [c.value for c in at.code]
