"""/tokens with hostile tokens and a hostile key location: names, values and sentences are shown as text."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conftest import run_page
from html_tables import assert_tables_inert, field_values
from streamlit.testing.v1 import AppTest
from test_inert_connect import FakeProvider, serving, signed_jwt
from test_inert_markdown import assert_inert, shown_markdown


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with serving() as fake:
        yield fake


def inspect(at: AppTest, token: str) -> AppTest:
    at.text_area(key="tokens_input").input(token)
    next(b for b in at.button if b.label == "Inspect").click()
    return at.run()


def cells(at: AppTest) -> dict[str, str]:
    """Field -> Value over the claims and header tables, as the reader's browser shows them."""
    return field_values(at)


def hostile_token() -> str:
    now = int(time.time())
    header = {
        "alg": "RS256",
        "kid": "k1",
        "typ": "at+jwt",
        "[h](http://attacker.example/h)": "x",
        "\u202eoverride": "y",
    }
    payload = {
        "iss": "https://acme.my.erp.net/id",
        "aud": "DomainAPI",
        "sub": "![s](http://attacker.example/sub.png)",
        "iat": now,
        "exp": now + 3600,
        "![n](http://attacker.example/name.png)": "a `b` ``c",
        "https://attacker.example/claims/role": "admin",
        "name": "invoice\u202egnp.exe \u2066x\u2069 \u200e\u200f\u061c\u202a\u202b\u202c\u202d\u2067\u2068",
        "nick": ":streamlit: :material/warning: http://attacker.example/n",
    }
    return signed_jwt(header, payload)


def test_claim_and_header_names_and_values_are_text() -> None:
    at = inspect(run_page("tokens"), hostile_token())
    assert not at.exception
    shown = cells(at)
    # The tables are HTML built from escaped cells: each name and value reads exactly as the token holds it.
    assert shown["![n](http://attacker.example/name.png)"] == "a `b` ``c"
    assert shown["https://attacker.example/claims/role"] == "admin"
    assert shown["sub"] == "![s](http://attacker.example/sub.png)"
    assert shown["[h](http://attacker.example/h)"] == "x"
    # The override no longer reorders the name: it is shown as stored, left to right.
    assert shown["override"] == "y"
    assert shown["name"] == "invoicegnp.exe x"
    # Not Markdown: Streamlit draws no logo or icon from these words.
    assert shown["nick"] == ":streamlit: :material/warning: http://attacker.example/n"
    assert_tables_inert(at)
    for text in shown_markdown(at):
        assert_inert(text)


def test_a_key_location_from_a_discovery_document_is_text(provider: FakeProvider, monkeypatch) -> None:
    monkeypatch.setenv("FLOWGUIDE_ALLOW_PRIVATE", "1")
    # A discovery document whose jwks_uri is a path that is not there: the 404 sentence names that path.
    provider.discovery(f"{provider.base}/id", jwks_uri=f"{provider.base}/keys/![k](http://attacker.example/k.png)")
    at = run_page("tokens")
    at.radio(key="tokens_source").set_value("url").run()
    at.text_input(key="tokens_jwks_url").input(f"{provider.base}/id/.well-known/openid-configuration").run()
    at = inspect(at, hostile_token())
    assert [e.value for e in at.error][0] == (
        "127\\.0\\.0\\.1 answered HTTP 404 for `/keys/![k](http://attacker.example/k.png)`\\."
    )
    for text in shown_markdown(at):
        assert_inert(text)
