"""Tables drawn as one escaped HTML table (st.html) instead of st.table or st.dataframe.

The browser then lays out one element: st.table parses every cell as Markdown and st.dataframe loads a
canvas grid, which cost a visitor's browser most of a simulator step. Styled app-wide by TABLE_CSS in
flowguide/streamlit_app.py. Cells are HTML: callers escape what came from outside with ``code`` or inert.html_text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flowguide.pages.inert import html_text

TABLE_CLASS = "fg-table"
# A list of rows: every column as wide as the others, instead of the field/value/meaning widths.
ROWS_CLASS = "fg-rows"
_OWN_CODE = re.compile(r"`([^`]+)`")


def code(value: object) -> str:
    """An outside value as an inert code span."""
    return f"<code>{html_text(value)}</code>"


def own(words: str) -> str:
    """Our own words with `code` spans in backticks, as the content files write them; escaped all the same."""
    return _OWN_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(words))


def html_table(columns: Sequence[str], rows: Iterable[Sequence[str]], label: str, *, kind: str = "") -> str:
    """One table: headers are escaped here, cells are HTML the caller made safe."""
    head = "".join(f'<th scope="col">{html_text(c)}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    classes = f"{TABLE_CLASS} {kind}".strip()
    table = f'<table class="{classes}" aria-label="{html.escape(label)}">'
    return f"{table}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def rows_table(rows: list[dict[str, Any]], label: str) -> str:
    """A list of records from outside (an API's rows): every column any row has, every value inert."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    cells = ([html_text("" if row.get(c) is None else row[c]) for c in columns] for row in rows)
    return html_table(columns, cells, label, kind=ROWS_CLASS)
