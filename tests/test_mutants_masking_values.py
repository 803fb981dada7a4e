"""Masking survivors of the run at 0acbb05 (MUTATION.md): a URL among a step's values masked by its
parameter names, and an Authorization header without a scheme, literally."""

from __future__ import annotations

from flowguide.masking import Masker, mask_values


def test_a_url_among_the_values_has_its_code_masked_by_name_though_no_value_is_named_code() -> None:
    # Nothing in the values is named code, so only reading the URL's own pairs finds it.
    values = {"authorization_url": "https://app.test/callback?code=abc&state=s1#id_token=xyz"}
    shown = "https://app.test/callback?code=…(masked)&state=s1#id_token=…(masked)"
    assert mask_values(values) == {"authorization_url": shown}


def test_an_authorization_header_without_a_scheme_is_masked_whole() -> None:
    masker = Masker(set(), reveal=False)
    assert masker.header("Authorization", "opaque-token") == "…(masked)"
    assert masker.header("Authorization", "T" * 40) == "TTTTTTTT…(masked)"


def test_an_api_key_header_is_masked_whole_its_spaces_trimmed() -> None:
    # auth/tokens/reference-access-tokens.md: a reference token may come as an API key header.
    masker = Masker(set(), reveal=False)
    assert masker.header("X-API-Key", " " + "K" * 40 + " ") == "KKKKKKKK…(masked)"
    assert masker.header("api-key", "short") == "…(masked)"
