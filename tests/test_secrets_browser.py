"""No secret leaks in a real `streamlit run` server driven by Chromium: a whole Authorization Code walk
and a whole hybrid walk, then every code, verifier, state, nonce and token the page showed (revealed) is
searched for in the server's log, in every URL the browser was at, and in the share links of the pages
that offer "Link to this" (opened in the same session). The demo secrets and the password: not in the log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, wait_for_app
from test_secrets import DEMO_SECRETS, PASSWORD, PASSWORD_IN_LOG, found_in

from flowguide.client import FLOW_STEPS
from flowguide.transcript import JWT_PATTERN

pytestmark = pytest.mark.browser

SERVER_LOG = ROOT / ".pytest_cache" / "streamlit-server.log"
# Credentials as the revealed page writes them: in URLs and forms, in JSON, and JWTs anywhere.
IN_FORM = re.compile(r"\b(code|code_verifier|refresh_token|state|nonce)=([A-Za-z0-9._~-]{8,})")
IN_JSON = re.compile(r'"(code|code_verifier|refresh_token|access_token|id_token)"\s*:\s*"([^"]{8,})"')
# Pages of the navigation that offer "Link to this", by their title in the sidebar.
SHARE_PAGES = ("Start here", "Flow walkthrough")


def _press(page, name: str, step: int, total: int, urls: list[str]) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_text(f"Step {step} of {total}", exact=True).wait_for(timeout=30_000)
    wait_for_app(page)
    urls.append(page.url)


def _walk(page, base: str, flow: str) -> list[str]:
    page.goto(f"{base}/simulator?flow={flow}")
    wait_for_app(page)
    urls = [page.url]
    total = len(FLOW_STEPS[flow])
    for step in range(1, total + 1):
        _press(page, {3: "Sign in", 4: "Allow"}.get(step, "Next"), step, total, urls)
    return urls


def _open_exchanges(page) -> None:
    """Open every request the step shows collapsed: its transcript is sent only once the reader opens it."""
    closed = page.locator("[data-testid='stExpander'] details:not([open]) > summary", has_text="→")
    while closed.count():
        closed.first.click()
        wait_for_app(page)


def _revealed(page, flow: str, urls: list[str]) -> dict[str, set[str]]:
    """Reveal secrets and go Back through every step; each credential shown, by its kind."""
    page.locator("label", has_text="Reveal secrets").click()
    page.locator("label", has_text="Reveal secrets").locator("input:checked").wait_for()
    wait_for_app(page)
    seen: dict[str, set[str]] = {}
    total = len(FLOW_STEPS[flow])
    for step in range(total, 0, -1):
        if step < total:
            _press(page, "Back", step, total, urls)
        _open_exchanges(page)
        # What is drawn, and each code block whole (those in tabs not shown are not drawn, yet are there).
        texts = [page.locator("[data-testid='stMain']").inner_text()]
        texts += page.locator("[data-testid='stCode']").all_text_contents()
        for text in texts:
            for kind, value in IN_FORM.findall(text) + IN_JSON.findall(text):
                seen.setdefault(kind, set()).add(value)
            seen.setdefault("jwt", set()).update(JWT_PATTERN.findall(text))
    return seen


def _share_links(page, urls: list[str], base: str) -> list[str]:
    """Open each page with a share link from the sidebar (same session) and read its "Link to this"."""
    links: list[str] = []
    for title in SHARE_PAGES:
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()
        wait_for_app(page)
        urls.append(page.url)
        expander = page.locator("[data-testid='stExpander']", has_text="Link to this")
        expander.locator("summary").click()  # the start page sends its link once the reader opens it
        blocks = expander.locator("[data-testid='stCode']")
        blocks.first.wait_for(state="attached")
        wait_for_app(page)
        links += [blocks.nth(i).text_content() or "" for i in range(blocks.count())]
    # Links start at the address the browser is on (the served app), not at a configured one.
    assert all(link and base in link for link in links), links
    return links


@pytest.mark.parametrize("flow", ["authorization_code", "hybrid"])
def test_a_whole_walk_leaves_no_credential_in_the_log_the_urls_or_the_share_links(
    streamlit_server, page, flow: str
) -> None:
    urls = _walk(page, streamlit_server, flow)
    seen = _revealed(page, flow, urls)
    # The page did show this run's credentials, so the search below has something to find.
    assert {"code", "code_verifier", "state", "nonce", "refresh_token"} <= set(seen), seen.keys()
    # Each part's access token (the ID token sits in a tab not opened; the AppTest search covers it).
    assert len(seen["jwt"]) >= (2 if flow == "hybrid" else 1)
    secrets = set().union(*seen.values())
    links = _share_links(page, urls, streamlit_server)
    assert found_in(secrets, "\n".join(urls)) == set()
    assert found_in(secrets, "\n".join(links)) == set()
    logged = Path(SERVER_LOG).read_text()
    assert found_in((secrets | DEMO_SECRETS) - {PASSWORD}, logged) == set()
    assert PASSWORD_IN_LOG.search(logged) is None
