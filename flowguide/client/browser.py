"""The person's browser, as small as the flows need: the identity service's cookies, its HTML forms,
its redirects, and the address the browser was finally sent back to.

The sign-in and consent pages are read as a browser reads them (forms, inputs, buttons, the
``role="alert"`` text) and posted the same way, so the client works against any provider's pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

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


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = HtmlPage()
        self._form: HtmlForm | None = None
        self._in_error = 0
        self._in_heading = False
        self._error_text: list[str] = []
        self._in_alert = 0
        self._alert_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
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
        super().close()
        self.page.error_text = " ".join(" ".join(self._error_text).split())
        self.page.alert_text = " ".join("".join(self._alert_text).split())


def parse_page(html: str) -> HtmlPage:
    """The forms of an HTML page, and the error an error page names in ``data-error``."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


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
