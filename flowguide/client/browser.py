"""The person's browser, as small as the flows need: the identity service's cookies, its HTML forms,
its redirects, and the address the browser was finally sent back to.

The sign-in and consent pages are read as a browser reads them (forms, inputs, buttons, the
``role="alert"`` text) and posted the same way, so the client works against any provider's pages.
They are read with one regular expression per token rather than ``html.parser`` (a tenth of a run's
time went there); tests/test_client_page_reader.py holds the reader to what ``html.parser`` reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

import httpx


@dataclass
class HtmlForm:
    """A form as a browser sees it: where it posts, its named inputs and its submit buttons."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    input_types: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class HtmlPage:
    forms: list[HtmlForm] = field(default_factory=list)
    error: str | None = None
    error_text: str = ""
    # What the page's role="alert" elements say (a refused sign-in says why).
    alert_text: str = ""

    def form_with_input(self, input_type: str) -> HtmlForm | None:
        return next((f for f in self.forms if input_type in f.input_types.values()), None)

    def form_with_button(self, name: str) -> HtmlForm | None:
        return next((f for f in self.forms if any(b[0] == name for b in f.buttons)), None)


# Elements with no end tag, which must not count as nesting.
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
_HEADINGS = frozenset({"h1", "h2", "h3", "title"})
# Elements whose content is text up to their own end tag, never markup (the HTML standard's raw text elements).
_RAW_TEXT = {tag: re.compile(rf"</\s*{tag}\s*>", re.IGNORECASE) for tag in ("script", "style")}
# Which start tags are read attribute by attribute; any other tag only counts as nesting.
_FORM_CONTROLS = frozenset({"input", "button"})

# One token of markup, as a browser splits a page: a comment; a declaration, processing instruction or
# bogus end tag (all skipped); an end tag; or a start tag, where only a value quoted after "=" may hold ">".
_MARKUP = re.compile(
    r"<!--.*?(?:--!?>|\Z)"
    r"|<[!?][^>]*+>?"
    r"|</(?:(?P<end>[a-zA-Z][^\s/>]*+)[^>]*+>|[^a-zA-Z][^>]*+>?)"
    r"|<(?P<start>[a-zA-Z][^\s/>]*+)(?P<attrs>(?:[^>\"'=]++|=\s*+(?:\"[^\"]*+\"|'[^']*+')|[=\"'])*+)>",
    re.DOTALL,
)
# An attribute, as html.parser reads one: a name, then an optional value, quoted or bare.
_ATTRIBUTE = re.compile(
    r"(?<=['\"\s/])(?P<name>[^\s/>][^\s/=>]*)(?:\s*=+\s*(?:'(?P<sq>[^']*)'|\"(?P<dq>[^\"]*)\"|(?!['\"])(?P<bare>[^>\s]*)))?"
)


def _attributes(text: str) -> dict[str, str]:
    """A start tag's attributes by lower-case name (the last of a repeated name wins, as html.parser's list gives)."""
    found: dict[str, str] = {}
    for m in _ATTRIBUTE.finditer(text):
        sq, dq, bare = m.group("sq", "dq", "bare")
        value = sq if sq is not None else dq if dq is not None else bare or ""
        found[m.group("name").lower()] = unescape(value) if "&" in value else value
    return found


def _closes_itself(attrs: str) -> bool:
    """Whether a start tag is written ``<tag/>``: it ends in a "/" that is not the end of a bare value."""
    if not attrs.endswith("/"):
        return False
    found = list(_ATTRIBUTE.finditer(attrs))
    return not found or not (found[-1].group("bare") and found[-1].end() == len(attrs))


class _PageReader:
    """Reads a page's forms, error and alert text in one pass over its markup (one regular expression)."""

    def __init__(self) -> None:
        self.page = HtmlPage()
        self._form: HtmlForm | None = None
        self._in_error = 0
        self._in_heading = False
        self._error_text: list[str] = []
        self._in_alert = 0
        self._alert_text: list[str] = []

    def feed(self, html: str) -> None:
        at = 0
        search = _MARKUP.search
        while (m := search(html, at)) is not None:
            if m.start() > at and (self._in_error or self._in_alert):
                self.handle_data(_text(html[at : m.start()]))
            at = m.end()
            end, tag = m.group("end", "start")
            if end is not None:
                self.handle_endtag(end.lower())
            elif tag is not None:
                at = self._start(html, tag.lower(), m.group("attrs"), at)
        if at < len(html) and (self._in_error or self._in_alert):
            self.handle_data(_text(html[at:]))

    def _start(self, html: str, tag: str, attrs: str, at: int) -> int:
        """A start tag (and its end, written as ``<tag/>``); past the raw text of a script or style."""
        if self._reads_attributes(tag, attrs):
            self.handle_starttag(tag, _attributes(attrs))
        else:
            self._nest(tag)
        if _closes_itself(attrs):
            self.handle_endtag(tag)
            return at
        if tag not in _RAW_TEXT:
            return at
        close = _RAW_TEXT[tag].search(html, at)
        stop = close.start() if close else len(html)
        if stop > at and (self._in_error or self._in_alert):
            self.handle_data(html[at:stop])
        if close:
            self.handle_endtag(tag)
        return close.end() if close else stop

    def _reads_attributes(self, tag: str, attrs: str) -> bool:
        """Whether a start tag's attributes can matter: a form, a form's control, or a possible error or alert."""
        if tag == "form" or (self._form is not None and tag in _FORM_CONTROLS):
            return True
        lowered = attrs.lower()
        return ("data-error" in lowered and self.page.error is None) or ("role" in lowered and not self._in_alert)

    def _nest(self, tag: str) -> None:
        """What handle_starttag does for a tag whose attributes cannot matter."""
        self._in_heading = self._in_heading or tag in _HEADINGS
        if self._in_error:
            self._in_error += 1
        if self._in_alert and tag not in _VOID_TAGS:
            self._in_alert += 1

    def handle_starttag(self, tag: str, a: dict[str, str]) -> None:
        if tag == "form":
            self._form = HtmlForm(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.page.forms.append(self._form)
        elif self._form is not None:
            self._form_control(tag, a, self._form)
        self._in_heading = self._in_heading or tag in _HEADINGS
        self._track_regions(tag, a)

    @staticmethod
    def _form_control(tag: str, a: dict[str, str], form: HtmlForm) -> None:
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "button" and kind == "submit":
            form.buttons.append((a.get("name", ""), a.get("value", "")))
        elif tag != "input" or not a.get("name"):
            return
        elif kind in ("submit", "button", "image"):
            form.buttons.append((a["name"], a.get("value", "")))
        elif kind not in ("checkbox", "radio") or "checked" in a:
            form.fields[a["name"]] = a.get("value", "")
            form.input_types[a["name"]] = kind

    def _track_regions(self, tag: str, a: dict[str, str]) -> None:
        if "data-error" in a and self.page.error is None:
            self.page.error = a["data-error"]
            self._in_error = 1
        elif self._in_error:
            self._in_error += 1
        if tag not in _VOID_TAGS:
            if self._in_alert:
                self._in_alert += 1
            elif a.get("role") == "alert":
                self._in_alert = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS:
            self._in_heading = False
        if tag == "form":
            self._form = None
        if self._in_error:
            self._in_error -= 1
        if self._in_alert and tag not in _VOID_TAGS:
            self._in_alert -= 1

    def handle_data(self, data: str) -> None:
        # The description is the error element's text, less its heading and the bare error code.
        if self._in_error and not self._in_heading and data.strip() != self.page.error:
            self._error_text.append(data)
        if self._in_alert:
            self._alert_text.append(data)

    def close(self) -> None:
        self.page.error_text = " ".join(" ".join(self._error_text).split())
        self.page.alert_text = " ".join("".join(self._alert_text).split())


def parse_page(html: str) -> HtmlPage:
    """The forms of an HTML page, and the error an error page names in ``data-error``."""
    parser = _PageReader()
    parser.feed(html)
    parser.close()
    return parser.page


def _text(markup: str) -> str:
    return unescape(markup) if "&" in markup else markup


@dataclass
class Browser:
    """What the person's browser holds during one sign-in."""

    cookies: dict[str, str] = field(default_factory=dict)
    page: HtmlPage = field(default_factory=HtmlPage)
    page_url: str = ""
    # Where the identity service finally sent the browser: the app's redirect URI, with the answer.
    location: str = ""
    # The fields the browser posted there, when the answer came as a self-submitting form (form_post).
    posted: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def keep_cookies(self, response: httpx.Response) -> None:
        self.cookies |= dict(response.cookies.items())

    def show(self, html: str, url: str) -> None:
        self.page = parse_page(html)
        self.page_url = url
