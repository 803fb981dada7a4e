"""What a simulator step sends the browser: hidden parts only once opened, tables as inert HTML."""

from __future__ import annotations

from conftest import run_page
from html_tables import ALLOWED_TAGS, html_tables, read

from flowguide.pages.html_table import rows_table

HOSTILE = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **b** \u202egnp.exe"


def _walk(flow: str, steps: int):
    at = run_page("simulator", {"flow": flow})
    for _ in range(steps):
        at.button(key="sim_next").click().run()
    assert not at.exception
    return at


def _codes(at) -> str:
    return "\n".join(c.value for c in at.code)


def test_a_lone_json_exchange_is_open_and_sent() -> None:
    at = _walk("authorization_code", 1)
    assert "GET /id/.well-known/openid-configuration" in _codes(at)


def test_a_collapsed_exchange_is_sent_only_once_opened() -> None:
    at = _walk("authorization_code", 2)  # the authorize request answers with the sign-in page: shown collapsed
    labels = [e.label for e in at.expander]
    assert any("/id/connect/authorize" in label for label in labels)
    assert "/id/connect/authorize" not in _codes(at)
    at.session_state["sim_x_authorize_0"] = True  # as a reader opens it
    at.run()
    assert "GET /id/connect/authorize?" in _codes(at)


def test_the_diagram_in_words_is_sent_only_once_opened() -> None:
    at = _walk("client_credentials", 1)
    words = next(e for e in at.expander if e.label == "The diagram in words")
    assert not words.children
    at.session_state["simulator_words"] = True
    at.run()
    words = next(e for e in at.expander if e.label == "The diagram in words")
    assert words.markdown and "POST" in words.markdown[0].value


def test_the_token_response_is_one_table_with_secrets_masked_until_revealed() -> None:
    at = _walk("client_credentials", 2)
    token = at.session_state["sim_simulation"].run.service_tokens.access_token
    response = next(t for t in html_tables(at) if t and "token_type" in {r["Field"] for r in t})
    shown = {row["Field"]: row["Value"] for row in response}
    assert shown["token_type"] == "Bearer" and shown["refresh_token"] == "(none)"
    assert token[:12] not in shown["access_token"] and "masked" in shown["access_token"]
    at.toggle(key="sim_reveal").set_value(True).run()
    response = next(t for t in html_tables(at) if t and "token_type" in {r["Field"] for r in t})
    assert {row["Field"]: row["Value"] for row in response}["access_token"].startswith(token[:200])


def test_the_api_rows_are_one_table() -> None:
    at = _walk("client_credentials", 1)
    sim = at.session_state["sim_simulation"]
    while "rows" not in sim.current.values:
        at.button(key="sim_next").click().run()
    rows = sim.current.values["rows"]
    table = next(t for t in html_tables(at) if len(t) == len(rows) and set(t[0]) == set(rows[0]))
    assert [str(r) for r in table[0].values()] == [str(v) for v in rows[0].values()]
    assert not at.dataframe


def test_rows_from_outside_are_inert_text() -> None:
    reader = read(rows_table([{HOSTILE: HOSTILE, "n": None}, {"n": 3, "late": "only here"}], "rows"))
    assert {tag for tag, _ in reader.tags} <= ALLOWED_TAGS - {"a", "em", "code"}
    header, first, second = reader.tables[0]
    flat = HOSTILE.replace("\u202e", "")
    assert header == [flat, "n", "late"]
    assert first == [flat, "", ""] and second == ["", "3", "only here"]


def test_a_refusal_that_ends_a_step_is_open_among_collapsed_requests() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "mistake": "licences_in_use", "step": "api_call"})
    refused = [b for b in _codes(at).split("\n\n") if "403 Forbidden" in b]
    assert refused, "the 403 that ends the step is drawn without opening it"
    assert "POST /id/connect/token" not in _codes(at), "the six requests before it stay collapsed"
