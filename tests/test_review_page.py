"""The /review page through AppTest: the document, its diagrams and the two downloads."""

from __future__ import annotations

import re

from conftest import run_page
from drawn_markup import markups


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def diagrams_shown(at) -> list[str]:
    """The names of the diagrams drawn on the page (each SVG's data-diagram), in order."""
    return [n for m in markups(at) for n in re.findall(r'<svg\b[^>]*\bdata-diagram="([^"]+)"', m)]


def test_hybrid_review_shows_the_document_diagrams_and_two_downloads() -> None:
    at = run_page("review", {"signin": "yes", "unattended": "yes", "client": "web"})
    assert not at.exception and not at.warning
    body = markdown_text(at)
    assert body.startswith("# Design review: Hybrid")
    assert "### 1 of 2: Sign-in part" in body and "### 2 of 2: Unattended part" in body
    assert "- ☐ **No user token forwarded to the backend" in body
    assert diagrams_shown(at) == [
        "review_hybrid-whole",
        "review_authorization_code-whole",
        "review_client_credentials-whole",
    ]
    buttons = {d.proto.label: d for d in at.get("download_button")}
    assert set(buttons) == {"Markdown", "HTML page"}


def test_bad_query_values_show_a_notice_and_the_review_uses_the_rest() -> None:
    at = run_page("review", {"signin": "no", "unattended": "yes", "client": "toaster", "utm_source": "docs"})
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert any("utm_source" in n for n in notices)
    assert any("client=toaster" in n for n in notices)
    assert markdown_text(at).startswith("# Design review: Client Credentials")
    assert diagrams_shown(at) == ["review_client_credentials-whole"]


def test_missing_answers_say_which_and_link_back() -> None:
    at = run_page("review", {"signin": "yes"})
    assert not at.exception
    body = markdown_text(at)
    assert "answers missing" in body
    assert "“Does any part run with no person present?”" in body
    assert "/guide?signin=yes" in body
    assert diagrams_shown(at) == []
    assert "once the guide has the answers" in at.info[0].value
