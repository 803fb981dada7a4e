"""The token views' claims table: one HTML table, its cells escaped text, with a table's semantics."""

from __future__ import annotations

from html_tables import ALLOWED_TAGS, read

from flowguide.pages.jwt_view import COLUMNS, claims_table
from flowguide.tokens import ClaimExplanation

KNOWN = ClaimExplanation(
    "sub", "payload", "x", "david", "Who signed in.", True, docs=(("Access tokens", "https://docs.erp.net/dev/a.html"),)
)
HOSTILE = "<img src=x onerror=alert(1)> ![i](http://attacker.example/i.png) \u202egnp.exe"
UNKNOWN = ClaimExplanation(HOSTILE, "payload", HOSTILE, HOSTILE, "Not a field the product documents.", False)


def test_the_table_has_a_name_column_headers_and_one_row_per_claim() -> None:
    reader = read(claims_table([KNOWN, UNKNOWN], "The token's claims"))
    assert [tag for tag, _ in reader.tags].count("table") == 1
    table = next(dict(attrs) for tag, attrs in reader.tags if tag == "table")
    assert table["aria-label"] == "The token's claims"
    headers = [dict(attrs) for tag, attrs in reader.tags if tag == "th"]
    assert headers == [{"scope": "col"}] * 3
    (header, known, unknown) = reader.tables[0]
    assert tuple(header) == COLUMNS
    assert known == ["sub", "david", "Who signed in. Access tokens"]
    assert [tag for tag, _ in reader.tags if tag in ("code", "em", "a")] == ["code", "a", "em"]
    link = next(dict(attrs) for tag, attrs in reader.tags if tag == "a")
    assert link == {"href": "https://docs.erp.net/dev/a.html", "target": "_blank"}
    # The unknown name and value read as the token holds them (bidi controls dropped), and add no markup.
    assert unknown[:2] == [HOSTILE.replace("\u202e", "")] * 2
    assert {tag for tag, _ in reader.tags} <= ALLOWED_TAGS


def test_a_label_cannot_break_out_of_its_attribute() -> None:
    reader = read(claims_table([], 'x" onmouseover="alert(1)'))
    assert reader.tags[0] == ("table", [("class", "fg-table"), ("aria-label", 'x" onmouseover="alert(1)')])
