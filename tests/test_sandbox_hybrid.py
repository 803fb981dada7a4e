"""OpenID Connect's hybrid `code id_token` and the response modes, as the documentation's own requests use them.

Nine pages of the product's documentation (getting started for web apps, portals and ERP.net ID, four
samples, the external-IdP page) sign in with `response_type=code id_token` and `response_mode=form_post`
(OpenID Connect Core §3.3; OAuth 2.0 Form Post Response Mode). The expected hashes are computed here
from the code and state, not taken from the sandbox.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from test_sandbox import (
    PORTAL,
    PORTAL_CALLBACK,
    SPA,
    SPA_CALLBACK,
    authorize_params,
    parse,
    pkce,
    portal_exchange,
    sign_in_and_consent,
    verify,
)

from flowguide.sandbox import Sandbox
from flowguide.sandbox.registry import default_registry

# erpnet-id-web-apps.md's state and nonce, as the documentation sends them.
STATE = "YzQ5ZDc4M2QxN2Q0NDU3YjlhM2Y5OWE1ZTY4OTc0ZGM"
NONCE = "ZTRjOTM2M2Y0ODFhNGQ0NGE4NmU1N2ExYjY2NjE3ZmQ"
FRONT_CHANNEL_CLAIMS = ["nbf", "exp", "iss", "aud", "nonce", "iat", "c_hash", "s_hash", "sid", "sub"]
FRONT_CHANNEL_CLAIMS += ["auth_time", "idp", "amr"]


def half_hash(value: str) -> str:
    """OpenID Connect Core §3.3.2.11 for RS256, computed here: base64url of the left half of SHA-256."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).rstrip(b"=").decode()


def documented_request(client_id: str = PORTAL, redirect_uri: str = PORTAL_CALLBACK, **extra: str) -> tuple[dict, str]:
    """The authorize request of auth/getting-started/erpnet-id-web-apps.md, for a sandbox application."""
    verifier, challenge = pkce()
    params = authorize_params(
        client_id,
        redirect_uri,
        response_type="code id_token",
        response_mode="form_post",
        scope="openid profile",
        state=STATE,
        nonce=NONCE,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    params.update(extra)
    return params, verifier


def posted(response: httpx.Response, redirect_uri: str = PORTAL_CALLBACK) -> dict[str, str]:
    """The fields of a form_post answer: one form, posted to the redirect URI, and nothing in a Location."""
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    (form,) = parse(response.text).forms
    assert (form["method"], form["action"]) == ("post", redirect_uri)
    return form["fields"]


def fragment(response: httpx.Response, redirect_uri: str = PORTAL_CALLBACK) -> dict[str, str]:
    """The parameters of an answer in the fragment; the query stays empty."""
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    assert location.query == ""
    return dict(parse_qsl(location.fragment, keep_blank_values=True))


# --- the documentation's request ----------------------------------------------------------------------


def test_the_documentations_request_is_answered_with_a_form_posting_code_state_and_id_token(
    sb: Sandbox, client: httpx.Client
) -> None:
    params, _ = documented_request()
    fields = posted(sign_in_and_consent(client, params))
    assert list(fields) == ["code", "state", "id_token"]
    assert fields["state"] == STATE

    claims = verify(sb, fields["id_token"], "JWT", PORTAL)
    assert list(claims) == FRONT_CHANNEL_CLAIMS
    assert claims["c_hash"] == half_hash(fields["code"])
    assert claims["s_hash"] == half_hash(STATE)
    assert claims["nonce"] == NONCE and claims["aud"] == PORTAL and claims["sub"] == "david"
    assert claims["exp"] - claims["nbf"] == 300 and claims["iat"] == claims["nbf"]
    assert claims["idp"] == "local" and claims["amr"] == ["pwd"]


def test_the_hybrids_code_is_redeemed_at_the_token_endpoint_for_an_id_token_with_at_hash_and_s_hash(
    sb: Sandbox, client: httpx.Client
) -> None:
    params, verifier = documented_request()
    fields = posted(sign_in_and_consent(client, params))
    response = client.post("/id/connect/token", data=portal_exchange(fields["code"], verifier))
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["scope"] == "openid profile" and "refresh_token" not in tokens
    claims = verify(sb, tokens["id_token"], "JWT", PORTAL)
    assert claims["at_hash"] == half_hash(tokens["access_token"])
    assert claims["s_hash"] == half_hash(STATE) and claims["nonce"] == NONCE
    assert "c_hash" not in claims
    front = verify(sb, fields["id_token"], "JWT", PORTAL)
    assert (claims["sid"], claims["auth_time"]) == (front["sid"], front["auth_time"])


def test_the_form_post_page_submits_itself_and_escapes_what_it_carries(client: httpx.Client) -> None:
    params, _ = documented_request(state='"><script>alert(1)</script>')
    response = sign_in_and_consent(client, params)
    assert posted(response)["state"] == '"><script>alert(1)</script>'
    assert "<script>alert(1)" not in response.text
    assert response.text.count("<script>") == 1 and "document.forms[0].submit()" in response.text
    assert '<button type="submit">Continue</button>' in response.text  # without scripts, the reader presses it


def test_a_public_client_signs_in_with_the_hybrid_and_pkce(sb: Sandbox, client: httpx.Client) -> None:
    params, verifier = documented_request(SPA, SPA_CALLBACK, scope="openid read")
    fields = posted(sign_in_and_consent(client, params), SPA_CALLBACK)
    data = {
        "grant_type": "authorization_code",
        "code": fields["code"],
        "redirect_uri": SPA_CALLBACK,
        "client_id": SPA,
        "code_verifier": verifier,
    }
    assert client.post("/id/connect/token", data=data).status_code == 200


# --- response modes -------------------------------------------------------------------------------------


def test_code_id_token_answers_in_the_fragment_by_default(sb: Sandbox, client: httpx.Client) -> None:
    params, _ = documented_request()
    del params["response_mode"]
    back = fragment(sign_in_and_consent(client, params))
    assert list(back) == ["code", "state", "id_token"]
    assert verify(sb, back["id_token"], "JWT", PORTAL)["c_hash"] == half_hash(back["code"])


def test_code_answers_in_the_fragment_when_asked(client: httpx.Client) -> None:
    params, _ = documented_request(response_type="code", response_mode="fragment")
    assert list(fragment(sign_in_and_consent(client, params))) == ["code", "state"]


def test_code_answers_with_form_post_when_asked(client: httpx.Client) -> None:
    params, _ = documented_request(response_type="code")
    assert list(posted(sign_in_and_consent(client, params))) == ["code", "state"]


def test_code_answers_in_the_query_when_asked(client: httpx.Client) -> None:
    params, _ = documented_request(response_type="code", response_mode="query")
    response = sign_in_and_consent(client, params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.fragment == "" and [k for k, _ in parse_qsl(location.query)] == ["code", "state"]


def test_deny_with_form_post_posts_access_denied_and_the_state(client: httpx.Client) -> None:
    params, _ = documented_request()
    fields = posted(sign_in_and_consent(client, params, decision="deny"))
    assert fields["error"] == "access_denied" and fields["state"] == STATE
    assert "code" not in fields and "id_token" not in fields


# --- refusals, each sent back in the mode the answer would have travelled -----------------------------------


def test_an_id_token_never_travels_in_the_query(client: httpx.Client) -> None:
    # OAuth 2.0 Multiple Response Type Encoding Practices §5: "the query encoding MUST NOT be used".
    params, _ = documented_request(response_mode="query")
    back = fragment(client.get("/id/connect/authorize", params=params))
    assert back["error"] == "invalid_request" and back["state"] == STATE
    assert back["error_description"].startswith("response_mode=query must not carry an ID token")


def test_code_id_token_needs_a_nonce(client: httpx.Client) -> None:
    # OpenID Connect Core §3.3.2.11: nonce is REQUIRED when the ID token comes from the authorize endpoint.
    params, _ = documented_request()
    del params["nonce"]
    fields = posted(client.get("/id/connect/authorize", params=params))
    assert fields["error"] == "invalid_request" and "nonce" in fields["error_description"]
    assert fields["state"] == STATE


def test_code_id_token_needs_openid(client: httpx.Client) -> None:
    params, _ = documented_request(scope="read", response_mode="fragment")
    back = fragment(client.get("/id/connect/authorize", params=params))
    assert back["error"] == "invalid_scope" and "openid" in back["error_description"]


def test_a_public_client_without_pkce_is_refused_in_the_hybrid_too(client: httpx.Client) -> None:
    params, _ = documented_request(SPA, SPA_CALLBACK, scope="openid read")
    del params["code_challenge"], params["code_challenge_method"]
    fields = posted(client.get("/id/connect/authorize", params=params), SPA_CALLBACK)
    assert fields["error"] == "invalid_request" and "code_challenge" in fields["error_description"]


@pytest.mark.parametrize(("response_type", "where"), [("code", "query"), ("code id_token", "fragment")])
def test_an_unknown_response_mode_is_refused_in_the_default_mode(
    client: httpx.Client, response_type: str, where: str
) -> None:
    params, _ = documented_request(response_type=response_type, response_mode="web_message")
    response = client.get("/id/connect/authorize", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    back = dict(parse_qsl(location.query if where == "query" else location.fragment))
    assert back["error"] == "invalid_request"
    assert back["error_description"] == "response_mode 'web_message' is not offered; use query, fragment or form_post."


def test_form_post_to_an_apps_own_uri_scheme_is_refused_in_the_default_mode() -> None:
    # Form Post Response Mode §2: the browser posts a form there, which only an http(s) URI can receive.
    native = "com.example.portal://callback"
    registry = default_registry()
    apps = tuple(
        a.model_copy(update={"ImpersonateLoginUrl": native}) if a.client_id == PORTAL else a
        for a in registry.trusted_applications
    )
    client = Sandbox(registry=registry.model_copy(update={"trusted_applications": apps})).http_client()
    params, _ = documented_request(redirect_uri=native)
    back = fragment(client.get("/id/connect/authorize", params=params), native)
    assert back["error"] == "invalid_request"
    assert back["error_description"] == "response_mode=form_post needs an http or https redirect_uri."


@pytest.mark.parametrize("response_type", ["code token", "code id_token token", "id_token", "token"])
def test_the_other_response_types_are_not_offered(client: httpx.Client, response_type: str) -> None:
    params, _ = documented_request(response_type=response_type, response_mode="fragment")
    back = fragment(client.get("/id/connect/authorize", params=params))
    assert back["error"] == "unsupported_response_type"


# --- a nonce used again ----------------------------------------------------------------------------------


@pytest.mark.parametrize("response_type", ["code", "code id_token"])
def test_a_nonce_used_in_an_earlier_sign_in_is_not_refused(
    sb: Sandbox, client: httpx.Client, response_type: str
) -> None:
    # Replay protection of ID tokens is the client's check (OpenID Connect Core §3.1.3.7); the product
    # answers a second sign-in with the same nonce.
    for _ in range(2):
        params, verifier = documented_request(response_type=response_type)
        fields = posted(sign_in_and_consent(client, params))
        response = client.post("/id/connect/token", data=portal_exchange(fields["code"], verifier))
        assert response.status_code == 200, response.text
        assert verify(sb, response.json()["id_token"], "JWT", PORTAL)["nonce"] == NONCE


# --- discovery -------------------------------------------------------------------------------------------


def test_discovery_lists_the_hybrid_the_response_modes_and_userinfo(client: httpx.Client) -> None:
    meta = client.get("/id/.well-known/openid-configuration").json()
    assert meta["response_types_supported"] == ["code", "code id_token"]
    assert meta["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert meta["userinfo_endpoint"] == "https://sandbox.flowguide.test/id/connect/userinfo"


def test_no_code_or_token_of_the_hybrid_reaches_the_logs(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    params, verifier = documented_request()
    fields = posted(sign_in_and_consent(client, params))
    tokens = client.post("/id/connect/token", data=portal_exchange(fields["code"], verifier)).json()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # Authlib did log at DEBUG
    for value in (fields["code"], fields["id_token"], tokens["access_token"], tokens["id_token"], verifier):
        assert value not in logged
