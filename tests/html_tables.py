"""The HTML tables a page draws with st.html, read back as the reader's browser would (Python's html.parser)."""

from __future__ import annotations

from html.parser import HTMLParser

from streamlit.testing.v1 import AppTest

# What the token views' tables may contain: table structure, code, emphasis and a documentation link.
ALLOWED_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "code", "em", "a"}
ALLOWED_ATTRIBUTES = {"class", "aria-label", "scope", "href", "target"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read(markup: str) -> _Reader:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return reader


def html_tables(at: AppTest) -> list[list[dict[str, str]]]:
    """Every st.html table on the page: its rows as {column header: cell text as shown}."""
    tables = []
    for element in at.html:
        for header, *rows in read(element.value).tables:
            tables.append([dict(zip(header, row, strict=True)) for row in rows])
    return tables


def field_values(at: AppTest) -> dict[str, str]:
    """Field -> Value over every claims and header table on the page."""
    return {row["Field"]: row["Value"] for table in html_tables(at) for row in table}


def assert_tables_inert(at: AppTest) -> None:
    """The tables hold only their own markup: no tag, attribute or address that came from outside."""
    for element in at.html:
        if "<table" not in element.value:
            continue
        for tag, attrs in read(element.value).tags:
            assert tag in ALLOWED_TAGS, tag
            for name, value in attrs:
                assert name in ALLOWED_ATTRIBUTES, (tag, name)
                assert "attacker" not in (value or ""), (tag, name, value)
                if name == "href":
                    assert (value or "").startswith("https://docs.erp.net/"), value
