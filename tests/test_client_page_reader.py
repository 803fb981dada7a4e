"""The browser's page reader reads what the standard library's HTML parser reads, on every page worth reading.

The client reads the identity service's pages with one regular expression per token, not with
``html.parser`` (a quarter of the run's time went there). Here the standard library's parser is the
reference: on the sandbox's own pages and on thousands of generated well-formed pages (any case, any
quoting, entities, comments, scripts, nested alerts and errors) both must see the same forms, fields,
buttons, error and alert text. Broken markup must never raise.
"""

from __future__ import annotations

import dataclasses
import random
from html import escape
from html.parser import HTMLParser

import pytest

from flowguide.client import HtmlForm, HtmlPage, parse_page
from flowguide.client.browser import _PageReader
from flowguide.sandbox import pages

# --- the reference: the standard library's parser, driven by the reader's own handlers ----------------


class _Reference(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.reader = _PageReader()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.reader.handle_starttag(tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        self.reader.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        self.reader.handle_data(data)


def reference(html: str) -> HtmlPage:
    parser = _Reference()
    parser.feed(html)
    parser.close()
    parser.reader.close()
    return parser.reader.page


# --- generated well-formed pages -----------------------------------------------------------------------

_VALUE_CHARS = "ab Z09<>&\"'=/;#é\n"
_TAGS = ("p", "div", "main", "span", "b", "label", "h1", "h2", "section", "code", "ul", "li")


def _value(rnd: random.Random) -> str:
    return "".join(rnd.choice(_VALUE_CHARS) for _ in range(rnd.randint(0, 8)))


def _attribute(rnd: random.Random, name: str, value: str | None) -> str:
    name = "".join(c.upper() if rnd.random() < 0.2 else c for c in name)
    if value is None:
        return f" {name}"
    if value and all(c.isalnum() or c in "_-./" for c in value) and rnd.random() < 0.4:
        return f" {name}={value}"
    quote = rnd.choice("\"'")
    shown = escape(value, quote=True)
    return f" {name}{rnd.choice(['=', ' = '])}{quote}{shown}{quote}"


def _tag(rnd: random.Random, name: str, attrs: list[tuple[str, str | None]]) -> str:
    shown = name.upper() if rnd.random() < 0.2 else name
    return "<" + shown + "".join(_attribute(rnd, k, v) for k, v in attrs) + rnd.choice([">", " >", "\n>"])


def _control(rnd: random.Random) -> str:
    kind = rnd.choice(["text", "hidden", "password", "checkbox", "radio", "submit", "image", "button", None])
    attrs: list[tuple[str, str | None]] = [("name", rnd.choice(["username", "password", "request_id", "x", ""]))]
    if kind:
        attrs.append(("type", kind))
    if rnd.random() < 0.7:
        attrs.append(("value", _value(rnd)))
    if rnd.random() < 0.3:
        attrs.append(("checked", None))
    if rnd.random() < 0.5:
        button = [("type", rnd.choice(["submit", "button", "reset"]))] if rnd.random() < 0.5 else []
        named = [("name", "decision"), ("value", rnd.choice(["allow", "deny"]))]
        return _tag(rnd, "button", button + named) + escape(_value(rnd)) + "</button>"
    return _tag(rnd, "input", attrs) + rnd.choice(["", "</input>"])


def _element(rnd: random.Random, depth: int) -> str:
    roll = rnd.random()
    if roll < 0.15:
        return escape(_value(rnd), quote=False)
    if roll < 0.2:
        return f"<!-- {rnd.choice(['<form action=/c>', 'note', '- x -'])} -->"
    if roll < 0.25:
        return rnd.choice(["<br>", "<br/>", "<img src=x alt='a'>", "<hr />"])
    if roll < 0.3:
        raw = rnd.choice(["script", "style"])
        return f"<{raw}>if (a<b) x('<form action=/s>')</{raw}>"
    if roll < 0.45 or depth > 3:
        return _control(rnd)
    attrs: list[tuple[str, str | None]] = []
    if rnd.random() < 0.2:
        attrs.append(("role", rnd.choice(["alert", "status"])))
    if rnd.random() < 0.15:
        attrs.append(("data-error", rnd.choice(["invalid_client", "access_denied", _value(rnd)])))
    if rnd.random() < 0.15:
        name = "form"
        attrs += [("action", rnd.choice(["/id/account/login", "https://app.example/cb?a=1&b=2"])), ("method", "POST")]
    else:
        name = rnd.choice(_TAGS)
    inner = "".join(_element(rnd, depth + 1) for _ in range(rnd.randint(0, 4)))
    return _tag(rnd, name, attrs) + inner + f"</{name}>"


def generated_page(seed: int) -> str:
    rnd = random.Random(seed)
    body = "".join(_element(rnd, 0) for _ in range(rnd.randint(1, 6)))
    return f"<!doctype html>\n<html><head><title>T &amp; t</title><style>p{{}}</style></head><body>{body}</body></html>"


def _as_dict(page: HtmlPage) -> dict:
    return dataclasses.asdict(page)


# --- the tests -----------------------------------------------------------------------------------------

SANDBOX_PAGES = [
    pages.sign_in_page("r" * 32, "com.example/web", "An <b>app</b> & co"),
    pages.sign_in_page("r" * 32, "com.example/web", "", "The user name or the password is not right.", 'da"<vid>'),
    pages.consent_page("r" * 32, "com.example/web", "David & co", ["openid", "read", "x&y"]),
    pages.form_post_page("https://app.example/cb?x=1&y=2", [("code", "abc"), ("state", "s&t\"<>'")]),
    pages.error_page("invalid_client", "No such <app> &amp; more"),
    pages.signed_out_page(),
]


@pytest.mark.parametrize("html", SANDBOX_PAGES)
def test_the_sandbox_pages_read_as_the_standard_parser_reads_them(html: str) -> None:
    assert _as_dict(parse_page(html)) == _as_dict(reference(html))


def test_generated_pages_read_as_the_standard_parser_reads_them() -> None:
    for seed in range(3000):
        html = generated_page(seed)
        assert _as_dict(parse_page(html)) == _as_dict(reference(html)), html


def test_the_sign_in_page_is_read_field_by_field() -> None:
    page = parse_page(SANDBOX_PAGES[1])
    form = page.form_with_input("password")
    assert form == HtmlForm(
        action="/id/account/login",
        method="post",
        fields={"request_id": "r" * 32, "username": 'da"<vid>', "password": ""},
        input_types={"request_id": "hidden", "username": "text", "password": "password"},
        buttons=[("", "")],
    )
    assert page.alert_text == "The user name or the password is not right."


def test_markup_inside_comments_scripts_and_quoted_values_is_not_a_form() -> None:
    html = (
        "<!-- <form action=/one></form> --><script>x('<form action=/two>')</script>"
        "<STYLE>a::after{content:'<form action=/three>'}</Style >"
        '<p title="<form action=/four>">text</p><form action="/real?a=1&amp;b=2"></form>'
    )
    assert [f.action for f in parse_page(html).forms] == ["/real?a=1&b=2"]


@pytest.mark.parametrize(
    "html",
    [
        "<![CATtextA[ x ]]><form action=/f></form>",  # html.parser raises AssertionError on this one
        "<form <method='post' action=/x\"><input name='a value=1></form>",
        '<main data-error="e><p role=alert>x<</p></main>',
        "<" * 50 + "form" + '"' * 50 + "'" * 50,
        "</ >< /form></></p <p>&#;&#x;&bogus;<script>never closed",
    ],
)
def test_broken_markup_is_read_without_raising(html: str) -> None:
    assert isinstance(parse_page(html), HtmlPage)
