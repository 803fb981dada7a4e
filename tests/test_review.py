"""The design review: one per outcome of the guide, its Markdown and its standalone HTML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import markdown
import pytest

from flowguide.content import ContentError, brand
from flowguide.guide import guide_content, recommend
from flowguide.review import (
    ReviewContent,
    blocks,
    build_review,
    check_conditions,
    guide_url,
    review_content,
    review_url,
    to_html,
    to_markdown,
)

# Every outcome the guide can reach, and each client type of the sign-in part.
COMPLETE = {
    "authorization_code_web": {"signin": "yes", "unattended": "no", "client": "web"},
    "authorization_code_spa": {"signin": "yes", "unattended": "no", "client": "spa", "long_sessions": "yes"},
    "authorization_code_native": {"signin": "yes", "unattended": "no", "client": "native", "users": "community"},
    "authorization_code_cli": {"signin": "yes", "unattended": "no", "client": "cli"},
    "client_credentials": {"signin": "no", "unattended": "yes", "service_writes": "yes"},
    "hybrid_web": {"signin": "yes", "unattended": "yes", "client": "web", "long_sessions": "yes", "user_writes": "yes"},
    "hybrid_spa": {"signin": "yes", "unattended": "yes", "client": "spa"},
    "hybrid_native": {"signin": "yes", "unattended": "yes", "client": "native", "users": "both"},
    "hybrid_cli": {"signin": "yes", "unattended": "yes", "client": "cli"},
}
INCOMPLETE = {
    "nothing": {},
    "signin_only": {"signin": "yes"},
    "no_client": {"signin": "yes", "unattended": "yes"},
    "nowhere": {"signin": "no", "unattended": "no"},
}
RFC_PREFIXES = ("https://www.rfc-editor.org/rfc/", "https://datatracker.ietf.org/", "https://openid.net/specs/")


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each table row's cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html_text: str) -> Tags:
    parser = Tags()
    parser.feed(html_text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def exports() -> dict[str, tuple[object, str, str]]:
    out = {}
    for name, answers in {**COMPLETE, **INCOMPLETE}.items():
        review = build_review(answers)
        out[name] = (review, to_markdown(review), to_html(review))
    return out


@pytest.mark.parametrize("name", COMPLETE)
def test_a_complete_review_names_the_flow_and_each_part(name, exports) -> None:
    review, md, html_text = exports[name]
    rec = recommend(COMPLETE[name])
    assert review.complete and review.recommendation.flow == rec.flow
    assert md.startswith(f"# Design review: {rec.title}")
    for registration in rec.registrations:
        assert f"{registration.title} (" in md
    for section in ("## The parts of the solution", "## Diagrams", "## Trusted Application registrations"):
        assert section in md
    for section in ("## Scopes requested", "## Token lifetimes and renewal", "## Security checklist"):
        assert section in md
    assert "## Open questions for the review" in md
    assert "<h1" in html_text and rec.title.split(":")[0] in html_text


@pytest.mark.parametrize("name", COMPLETE)
def test_every_registration_field_the_guide_produced_is_in_both_exports(name, exports) -> None:
    review, md, html_text = exports[name]
    rows = parse(html_text).rows
    registrations = recommend(COMPLETE[name]).registrations
    assert registrations
    for registration in registrations:
        for field, value in registration.items():
            assert f"| `{field}` | `{value}` |" in md, (field, value)
            why = registration.why[field]
            assert [field, value, why] in rows, (field, value)


@pytest.mark.parametrize("name", [*COMPLETE, *INCOMPLETE])
def test_html_is_standalone_with_one_svg_per_diagram_and_only_allowed_links(name, exports) -> None:
    review, _md, html_text = exports[name]
    tags = parse(html_text).tags
    names = [t for t, _ in tags]
    assert names.count("svg") == html_text.count("<svg") == len(review.diagrams)
    for forbidden in ("script", "link", "img", "iframe", "object", "embed", "base"):
        assert forbidden not in names
    assert "<script" not in html_text.lower() and "<link" not in html_text.lower()
    assert "url(" not in html_text and "@import" not in html_text
    allowed = (f"{brand().app_url}/guide", f"{brand().app_url}/review", brand().docs_base, *RFC_PREFIXES, "#")
    for tag, attrs in tags:
        for attr, value in attrs.items():
            assert attr not in ("src", "srcset", "xlink:href", "action", "formaction"), (tag, attr, value)
            if attr == "href":
                assert value and value.startswith(allowed), value


@pytest.mark.parametrize("name", COMPLETE)
def test_each_inlined_svg_parses_and_shows_its_diagram(name, exports) -> None:
    review, _md, html_text = exports[name]
    svgs = re.findall(r"<svg\b.*?</svg>", html_text, flags=re.S)
    assert len(svgs) == len(review.diagrams) >= 1
    from flowguide.diagrams import load_spec

    for diagram_id, svg in zip(review.diagrams, svgs, strict=True):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
        text = " ".join(t for t in root.itertext())
        first_label = load_spec(diagram_id).messages[0].label
        assert first_label.split()[0] in text


def test_hybrid_shows_both_flows_and_the_refresh_diagram_only_when_asked(exports) -> None:
    assert exports["hybrid_web"][0].diagrams == ("hybrid", "authorization_code", "client_credentials", "refresh")
    assert exports["hybrid_spa"][0].diagrams == ("hybrid", "authorization_code", "client_credentials")
    assert exports["client_credentials"][0].diagrams == ("client_credentials",)


@pytest.mark.parametrize("name", [*COMPLETE, *INCOMPLETE])
def test_markdown_converts_cleanly(name, exports) -> None:
    review, md, _html = exports[name]
    out = markdown.markdown(md, extensions=["tables", "toc", "fenced_code"])
    table_count = sum(1 for line in md.splitlines() if line.startswith("|---"))
    assert out.count("<table>") == table_count
    # A table that failed to convert leaves its pipes in a paragraph.
    assert not re.search(r"<p>\s*\|", out)
    assert "```" not in out
    assert out.count('<code class="language-mermaid">') == len(review.diagrams)
    tasks = [line for line in md.splitlines() if line.startswith("- [ ] ")]
    assert len(tasks) == len(review.checklist)


@pytest.mark.parametrize("name", [*COMPLETE, *INCOMPLETE])
def test_both_exports_carry_the_brand_and_links_back_with_the_same_answers(name, exports) -> None:
    review, md, html_text = exports[name]
    answers = {**COMPLETE, **INCOMPLETE}[name]
    query = "&".join(f"{k}={v}" for k, v in answers.items())
    for url in (guide_url(answers), review_url(answers)):
        assert url.endswith(f"?{query}" if query else ("/guide", "/review"))
        assert f"({url})" in md
        assert f'href="{url.replace("&", "&amp;")}"' in html_text
    assert brand().name in md and brand().name in html_text


def test_missing_answers_say_which_and_link_back_to_the_guide(exports) -> None:
    review, md, html_text = exports["signin_only"]
    assert not review.complete and review.diagrams == () and review.checklist == ()
    assert md.startswith("# Design review: answers missing")
    assert "“Does any part run with no person present?”" in md
    assert "“Where does the sign-in part run?”" in md
    assert f"[Answer the questions in the decision guide]({guide_url({'signin': 'yes'})})" in md
    assert "Do people sign in to your app?" in md  # the answer already given is listed


def test_nowhere_gives_the_guides_advice_not_an_empty_review(exports) -> None:
    review, md, _html = exports["nowhere"]
    nowhere = guide_content().outcomes["nowhere"]
    assert not review.complete
    assert md.startswith(f"# Design review: {nowhere.title}")
    assert nowhere.summary.split(".")[0] in md
    assert "## Trusted Application registrations" not in md


def test_bad_values_are_ignored_with_a_notice_and_never_reach_the_links() -> None:
    review = build_review({"signin": "yes", "unattended": "maybe", "client": "web", "evil": "<b>x</b>"})
    assert any("unattended=maybe" in n for n in review.notices)
    assert any("Ignored `evil`" in n for n in review.notices)
    assert review.answers == {"signin": "yes", "client": "web"}
    md, html_text = to_markdown(review), to_html(review)
    assert "maybe" not in md and "evil" not in md and "<b>" not in html_text


def test_checklist_and_questions_apply_only_when_relevant(exports) -> None:
    def ids(name: str, kind: str) -> set[str]:
        return {i.id for i in getattr(exports[name][0], kind)}

    spa, web, service = (
        ids("authorization_code_spa", "checklist"),
        ids("hybrid_web", "checklist"),
        ids("client_credentials", "checklist"),
    )
    assert {"pkce", "exact_redirect_uris", "browser_token_storage", "no_secret_in_public_client"} <= spa
    assert not {"secret_on_server", "secret_rotation", "least_privilege_system_user"} & spa
    assert {"secret_on_server", "secret_rotation", "no_user_token_to_backend", "refresh_token_storage"} <= web
    assert "browser_token_storage" not in web
    assert {"least_privilege_system_user", "secret_on_server"} <= service
    assert not {"pkce", "exact_redirect_uris", "no_user_token_to_backend"} & service
    assert "loopback_redirects" in ids("authorization_code_native", "checklist")
    assert "public_refresh" in ids("authorization_code_spa", "open_questions")
    assert "public_refresh" not in ids("hybrid_web", "open_questions")
    assert "secret_rotation_owner" in ids("hybrid_web", "open_questions")
    assert "system_user_rights" in ids("client_credentials", "open_questions")


def test_token_lifetimes_follow_the_client_type_and_note_the_contradiction(exports) -> None:
    _review, spa_md, _ = exports["authorization_code_spa"]
    assert "| Refresh token | 24 hours (Public client)" in spa_md
    assert "The documentation disagrees with itself about public clients" in spa_md
    _review, web_md, _ = exports["hybrid_web"]
    assert "| Refresh token | 1 month (Confidential client)" in web_md
    assert "disagrees with itself" not in web_md
    assert "| Unattended part | Access token | 1 hour | No refresh token." in web_md
    _review, short_md, _ = exports["authorization_code_web"]
    assert "Refresh token |" not in short_md
    assert "sends the person through sign-in again" in short_md


def test_scopes_requested_are_explained(exports) -> None:
    _review, md, _ = exports["hybrid_web"]
    for scope in ("openid", "profile", "offline_access", "read", "update"):
        assert f"| `{scope}` |" in md
    assert "| `offline_access` | no, needs no registration |" in md


def test_html_escapes_what_comes_from_input(monkeypatch) -> None:
    monkeypatch.setenv("FLOWGUIDE_BRAND", 'Evil<script>alert(1)</script> & "Co"')
    brand.cache_clear()
    try:
        review = build_review({"signin": "no", "unattended": "yes"})
        html_text, md = to_html(review), to_markdown(review)
    finally:
        monkeypatch.delenv("FLOWGUIDE_BRAND")
        brand.cache_clear()
    assert "<script" not in html_text
    assert "Evil&lt;script&gt;" in html_text
    assert "Evil&lt;script>" in md  # the Markdown shows the name as text, not as a tag


def test_review_content_conditions_must_name_real_questions_and_options() -> None:
    good = review_content()
    check_conditions(good, guide_content())
    data = good.model_dump()
    data["checklist"][0]["when"] = {"client": ["toaster"]}
    with pytest.raises(ContentError, match="toaster"):
        check_conditions(ReviewContent.model_validate(data), guide_content())
    data["checklist"][0]["when"] = {"weather": ["yes"]}
    with pytest.raises(ContentError, match="names no question or fact"):
        check_conditions(ReviewContent.model_validate(data), guide_content())


def test_the_page_blocks_hold_each_diagram_once(exports) -> None:
    review = exports["hybrid_cli"][0]
    ids = [b.diagram_id for b in blocks(review) if not isinstance(b, str)]
    assert ids == list(review.diagrams)


def test_html_inlines_the_same_diagram_without_the_dot_binary() -> None:
    # Where no `dot` binary is installed the SVG comes from Graphviz compiled to WebAssembly.
    review = build_review({"signin": "no", "unattended": "yes"})
    html_text = to_html(review, engine="wasm")
    svgs = re.findall(r"<svg\b.*?</svg>", html_text, flags=re.S)
    assert len(svgs) == 1 and "<!DOCTYPE" not in html_text.split("<body>", 1)[1]
    assert "client_credentials" in " ".join(ET.fromstring(svgs[0]).itertext())
