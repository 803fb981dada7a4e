"""Masking at each edge: what a credential looks like on screen, literally (MUTATION.md).

Each test kills mutmut survivors in flowguide/masking.py: a secret shown whole, a prefix too long,
a field or header no longer recognised, a percent-encoded copy left in place.
"""

from __future__ import annotations

import base64

import pytest

from flowguide.masking import (
    MASK,
    Masker,
    header_secrets,
    is_sensitive_name,
    json_secrets,
    mask,
    mask_values,
    url_pairs,
)

LONG = "A" * 39 + "b"  # 40 characters: long enough to keep a prefix
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkYXZpZCJ9.c2lnbmF0dXJl"


def test_mask_keeps_eight_characters_of_values_of_forty_or_more() -> None:
    assert MASK == "…(masked)"
    assert mask(LONG) == "AAAAAAAA…(masked)"
    assert mask(LONG[:39]) == "…(masked)"
    assert mask("") == "…(masked)"


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("client_secret", True),
        ("CLIENT_SECRET", True),
        ("Password", True),
        ("code", True),
        ("code_verifier", True),
        ("old_refresh_token", True),
        ("sent_refresh_token", True),
        ("client_assertion", True),
        ("token", True),
        ("code_challenge", False),
        ("state", False),
        ("refresh_token_rotated", False),
        ("tokens", False),
        ("xcode", False),
        ("", False),
    ],
)
def test_sensitive_names_are_the_fields_and_names_ending_in_one(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


def test_step_values_are_masked_by_name_inside_urls_and_wherever_they_appear() -> None:
    values = {
        "access_token": LONG,
        "code": "short-code",
        "empty_code": "",
        "location": "http://localhost:8501/callback?code=short-code&state=s1",
        "note": f"the code short-code and {JWT}",
        "expires_in": 3600,
        "state": "s1",
    }
    assert mask_values(values) == {
        "access_token": "AAAAAAAA…(masked)",
        "code": "…(masked)",
        "empty_code": "",
        "location": "http://localhost:8501/callback?code=…(masked)&state=s1",
        "note": "the code …(masked) and eyJhbGci…(masked)",
        "expires_in": 3600,
        "state": "s1",
    }
    assert mask_values(values, reveal=True) == values
    assert mask_values(values, reveal=True) is not values


def test_url_pairs_read_query_then_fragment() -> None:
    url = "https://app.example/cb?code=c1&state=&x=1#id_token=t1&state=s2"
    assert url_pairs(url) == [("code", "c1"), ("state", ""), ("x", "1"), ("id_token", "t1"), ("state", "s2")]


def test_json_secrets_are_found_under_sensitive_keys_at_any_depth() -> None:
    value = {
        "access_token": "at",
        "nested": [{"refresh_token": "rt"}, {"client_secret": 7}, "code"],
        "old_id_token": "it",
        "scope": "read",
    }
    assert json_secrets(value) == {"at", "rt", "it"}
    assert json_secrets("access_token") == set()


def test_header_secrets_per_header() -> None:
    basic = base64.b64encode(b"com.example%2Fweb:s%3Acret").decode()
    assert header_secrets("Authorization", f"Basic {basic}") == {basic, "s%3Acret"}
    assert header_secrets("proxy-authorization", "Bearer  tok ") == {"tok"}
    assert header_secrets("authorization", "Basic !!notbase64") == {"!!notbase64"}
    no_secret = base64.b64encode(b"only-the-id").decode()
    assert header_secrets("Authorization", f"Basic {no_secret}") == {no_secret}
    latin = base64.b64encode(b"id:\xff\xfe").decode()
    assert header_secrets("Authorization", f"Basic {latin}") == {latin}
    assert header_secrets("Cookie", "a=1; b=; c=3") == {"1", "3"}
    assert header_secrets("Set-Cookie", "session=abc; Path=/; HttpOnly") == {"abc"}
    assert header_secrets("set-cookie", "session=; Path=/") == set()
    assert header_secrets("Location", "https://a/cb?code=c1&state=s&refresh_token=") == {"c1"}
    assert header_secrets("Content-Type", "text/html") == set()


def test_text_masks_known_secrets_plain_and_percent_encoded_and_every_jwt() -> None:
    masker = Masker({"s3cret/with space", "short", LONG}, reveal=False)
    text = f"a s3cret/with space b s3cret%2Fwith%20space c short d {LONG} e {JWT}"
    assert masker.text(text) == "a …(masked) b …(masked) c short d AAAAAAAA…(masked) e eyJhbGci…(masked)"
    assert Masker({"s3cret/with space"}, reveal=True).text(text) == text
    # The longest secret first, so a secret inside another does not leave the rest of the longer one.
    nested = Masker({"abcdefgh", "abcdefghijkl"}, reveal=False)
    assert nested.text("x abcdefghijkl y") == "x …(masked) y"
    assert Masker({"12345678"}, reveal=False).text("id 12345678") == "id …(masked)"


def test_pairs_mask_by_name_and_leave_the_rest_as_sent() -> None:
    masker = Masker(set(), reveal=False)
    body = "grant_type=authorization_code&code=abc&client%5Fsecret=p%40ss&code_verifier=&x&state=s"
    assert masker.pairs(body) == (
        "grant_type=authorization_code&code=…(masked)&client%5Fsecret=…(masked)&code_verifier=&x&state=s"
    )
    assert masker.query("code=abc&state=s") == "code=…(masked)&state=s"
    assert Masker(set(), reveal=True).pairs(body) == body


def test_body_masks_form_json_members_and_free_text() -> None:
    masker = Masker({"web-portal-secret"}, reveal=False)
    assert masker.body("code=abc&state=s", form=True) == "code=…(masked)&state=s"
    assert masker.body("", form=True) == ""
    json_body = '{"access_token": "at", "refresh_token" : "r\\"t", "scope": "read", "x": "web-portal-secret"}'
    assert masker.body(json_body, form=False) == (
        '{"access_token": "…(masked)", "refresh_token" : "…(masked)", "scope": "read", "x": "…(masked)"}'
    )
    assert masker.body('  [{"token": "c"}]', form=False) == '  [{"token": "…(masked)"}]'
    # A JSON "code" is an error code (OData), not an authorization code: shown as sent.
    assert masker.body('  [{"code": "c"}]', form=False) == '  [{"code": "c"}]'
    assert masker.body('not json "code": "c"', form=False) == 'not json "code": "c"'
    assert Masker(set(), reveal=True).body(json_body, form=False) == json_body


def test_headers_are_masked_in_the_way_each_carries_its_credential() -> None:
    masker = Masker(set(), reveal=False)
    assert masker.header("Authorization", f"Bearer {LONG}") == "Bearer AAAAAAAA…(masked)"
    assert masker.header("PROXY-AUTHORIZATION", "Basic abc") == "Basic …(masked)"
    assert masker.header("authorization", "opaque") == "…(masked)"
    assert masker.header("Cookie", "a=1; b=; c=3") == "a=…(masked); b=; c=…(masked)"
    assert masker.header("Set-Cookie", "session=abc; Path=/; HttpOnly") == "session=…(masked); Path=/; HttpOnly"
    assert masker.header("set-cookie", "session=; Path=/") == "session=; Path=/"
    assert masker.header("set-cookie", "session=abc") == "session=…(masked)"
    assert masker.header("Location", "https://app.example/cb?code=c1&state=s#id_token=t&x=1") == (
        "https://app.example/cb?code=…(masked)&state=s#id_token=…(masked)&x=1"
    )
    assert masker.header("Location", "https://app.example/cb") == "https://app.example/cb"
    assert masker.header("X-Note", f"token {JWT}") == "token eyJhbGci…(masked)"
    assert Masker(set(), reveal=True).header("Authorization", "Bearer x") == "Bearer x"


def test_a_cookie_or_form_value_containing_equals_signs_is_masked_whole() -> None:
    # base64 padding in a session cookie, or a code with "=" in it: the name ends at the first "=".
    masker = Masker(set(), reveal=False)
    assert masker.header("Cookie", "session=YWJj==; theme=dark") == "session=…(masked); theme=…(masked)"
    assert masker.header("Set-Cookie", "session=YWJj==; Path=/") == "session=…(masked); Path=/"
    assert masker.pairs("code=ab=cd&state=s") == "code=…(masked)&state=s"
    assert header_secrets("Cookie", "session=YWJj==") == {"YWJj=="}
    assert header_secrets("Set-Cookie", "session=YWJj==; Path=/") == {"YWJj=="}


def test_the_longest_secret_is_replaced_first_whatever_its_letters() -> None:
    masker = Masker({"zzzzzzzz", "aaaaaaaazzzzzzzz"}, reveal=False)
    assert masker.text("x aaaaaaaazzzzzzzz y zzzzzzzz") == "x …(masked) y …(masked)"


def test_url_pairs_keep_blank_values_in_the_fragment_too() -> None:
    assert url_pairs("https://app.example/cb?a=#id_token=&state=s") == [("a", ""), ("id_token", ""), ("state", "s")]
