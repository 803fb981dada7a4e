"""Links into the app: stable URLs and Markdown snippets that never carry a secret."""

from __future__ import annotations

import markdown
import pytest
from conftest import run_page
from pydantic import ValidationError

from flowguide.content import Brand, brand
from flowguide.links import (
    PUBLIC_URL_ENV,
    PUBLIC_URL_PROBLEM,
    SECRET_PARAMS,
    app_link,
    base_from_request,
    markdown_link,
    serve_links_from,
    valid_base,
)
from flowguide.pages.ui import LINK_KEY, link_to_this_key
from flowguide.review import build_review, to_html, to_markdown
from flowguide.streamlit_app import PAGE_PATHS, request_base


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
    at.session_state[link_to_this_key("simulator")] = True  # sent once "Link to this" is opened
    at.run()
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


# --- where links start: the configured public URL, the browser's address, content's app_url -----------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://guide.example.com", "https://guide.example.com"),
        ("https://guide.example.com/flowguide/", "https://guide.example.com/flowguide"),
        ("http://127.0.0.1:8599", "http://127.0.0.1:8599"),
        ("http://[::1]:8501/", "http://[::1]:8501"),
    ],
)
def test_a_base_is_an_absolute_http_address(value: str, expected: str) -> None:
    assert valid_base(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "guide.example.com",
        "//guide.example.com",
        "javascript:alert(1)",
        "ftp://guide.example.com",
        "https://",
        "https://user:secret@guide.example.com",
        "https://guide.example.com/?code=abc",
        "https://guide.example.com/#x",
        "https://guide.example.com:99999",
        "https://guide.example.com:port",
        "https://guide example.com",
        "https://guide.example.com/\u202e",
    ],
)
def test_anything_else_is_not_a_base(value: str) -> None:
    assert valid_base(value) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8123/simulator", "http://127.0.0.1:8123"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("https://docs.example.com/guide-app/flows", "https://docs.example.com/guide-app"),
        ("https://docs.example.com/guide-app", "https://docs.example.com/guide-app"),
        (None, None),
        ("about:blank", None),
    ],
)
def test_the_apps_address_is_the_browsers_less_the_pages_path(url: str | None, expected: str | None) -> None:
    assert base_from_request(url, PAGE_PATHS) == expected


def test_links_start_at_the_configured_public_url_then_the_browser_then_app_url(monkeypatch) -> None:
    monkeypatch.delenv(PUBLIC_URL_ENV, raising=False)
    serve_links_from(lambda: "http://10.0.0.5:8599")
    try:
        assert app_link("tokens") == "http://10.0.0.5:8599/tokens"
        monkeypatch.setenv(PUBLIC_URL_ENV, "https://guide.example.com/flowguide/")
        assert app_link("tokens") == "https://guide.example.com/flowguide/tokens"
        monkeypatch.setenv(PUBLIC_URL_ENV, "not a url")
        assert app_link("tokens") == "http://10.0.0.5:8599/tokens"
        serve_links_from(lambda: None)
        assert app_link("tokens") == f"{brand().app_url}/tokens"
    finally:
        serve_links_from(request_base)


def test_a_public_url_reaches_link_to_this_and_both_review_exports(monkeypatch) -> None:
    monkeypatch.setenv(PUBLIC_URL_ENV, "https://guide.example.com/flowguide")
    at = run_page("simulator", {"flow": "client_credentials", "step": "2"})
    at.session_state[link_to_this_key("simulator")] = True
    at.run()
    assert not at.warning
    assert "https://guide.example.com/flowguide/simulator?flow=client_credentials&step=2" in [c.value for c in at.code]
    review = build_review({"signin": "yes", "unattended": "no", "client": "web"})
    guide_link = "https://guide.example.com/flowguide/guide?signin=yes&unattended=no&client=web"
    assert guide_link in to_markdown(review)
    assert guide_link.replace("&", "&amp;") in to_html(review)
    assert "localhost:8501" not in to_markdown(review) + to_html(review)


@pytest.mark.parametrize("value", ["docs-host.test", "https://user:hunter2@docs-host.test", "javascript:x"])
def test_a_bad_public_url_is_ignored_with_a_notice_that_does_not_repeat_it(monkeypatch, caplog, value: str) -> None:
    monkeypatch.setenv(PUBLIC_URL_ENV, value)
    at = run_page("home")
    at.session_state[LINK_KEY] = True  # the start page sends its link once "Link to this" is opened
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [PUBLIC_URL_PROBLEM]
    codes = [c.value for c in at.code]
    assert f"{brand().app_url}/" in codes
    # The value is configuration (it may hold a password): not on the page, not in a log.
    assert not any(value in str(c) for c in codes + [w.value for w in at.warning])
    assert value not in caplog.text


@pytest.mark.parametrize(
    "app_url", ["http://", "https://user:pw@guide.example.com", "https://guide.example.com/?x=1", "https://a b"]
)
def test_content_refuses_an_app_url_that_is_not_a_base(app_url: str) -> None:
    with pytest.raises(ValidationError):
        Brand(name="ERP.net", docs_base="https://docs.erp.net/dev/", app_url=app_url)
    assert Brand(name="ERP.net", docs_base="https://docs.erp.net/dev/", app_url="https://guide.example.com/fg")
