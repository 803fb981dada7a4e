"""The response-mode rules' edges (MUTATION.md, the run at 0acbb05): form_post to an https redirect URI is
allowed, to an app's own scheme refused, and the query refusal for an ID token in its whole words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from authlib.oauth2.rfc6749.errors import InvalidRequestError

from flowguide.sandbox.grants.response_modes import response_mode_of, validate_response_mode


def _request(mode: str, redirect_uri: str, response_type: str = "code id_token") -> SimpleNamespace:
    payload = SimpleNamespace(data={"response_mode": mode}, response_type=response_type, redirect_uri=redirect_uri)
    return SimpleNamespace(payload=payload)


@pytest.mark.parametrize("redirect_uri", ["https://portal.example.com/signin-oidc", "http://localhost:8501/callback"])
def test_form_post_to_an_http_or_https_redirect_uri_is_allowed(redirect_uri: str) -> None:
    request = _request("form_post", redirect_uri)
    validate_response_mode(request)  # no refusal
    assert response_mode_of(request) == "form_post"


def test_form_post_to_an_apps_own_scheme_is_refused_in_these_words() -> None:
    request = _request("form_post", "com.example.app:/callback")
    with pytest.raises(InvalidRequestError) as refused:
        validate_response_mode(request)
    assert refused.value.description == "response_mode=form_post needs an http or https redirect_uri."
    assert response_mode_of(request) == "fragment"


def test_query_for_an_id_token_is_refused_in_these_words() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        validate_response_mode(_request("query", "https://portal.example.com/signin-oidc"))
    assert refused.value.description == (
        "response_mode=query must not carry an ID token: response_type 'code id_token' "
        "answers in the fragment (the default) or with form_post."
    )
