"""The sandbox identity service in-process: discovery, flows, errors, tokens checked with PyJWT."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import jwt
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from flowguide.content import ContentError, load_file
from flowguide.sandbox import IN_PROCESS_BASE_URL, Sandbox
from flowguide.sandbox.registry import DemoCredentials, RegistryFile, secret_hash

PORTAL = "com.example/web-portal"
PORTAL_SECRET = "web-portal-secret"
PORTAL_CALLBACK = "http://localhost:8501/callback"
SPA = "com.example/spa"
SPA_CALLBACK = "http://localhost:5173/callback"
SYNC = "com.example/nightly-sync"
SYNC_SECRET = "nightly-sync-secret"
LEGACY = "com.example/legacy-report"
CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
# The documentation's decoded tokens name the identity service's own resources after the APIs.
AUDIENCE = ["DomainAPI", "TableAPI", "OLAP", "AppServer", "https://sandbox.flowguide.test/id/resources"]


# --- helpers -----------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Collects forms as the client does: action, inputs and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "main" and a.get("data-error"):
            self.error = a["data-error"]
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"), "fields": {}, "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"][a.get("name")] = a.get("value") or ""
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value")))


def parse(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def authorize_params(client_id: str = PORTAL, redirect_uri: str = PORTAL_CALLBACK, **extra: str) -> dict:
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": "xyz"}
    params.update(extra)
    return params


def sign_in_and_consent(
    client: httpx.Client, params: dict, username: str = "david", decision: str = "allow"
) -> httpx.Response:
    """GET authorize, post the sign-in form, post the consent form; returns the final response."""
    page = client.get("/id/connect/authorize", params=params)
    assert page.status_code == 200, page.text
    form = parse(page.text).forms[0]
    assert (form["method"], form["action"]) == ("post", "/id/account/login")
    consent = client.post(form["action"], data={**form["fields"], "username": username, "password": "demo"})
    assert consent.status_code == 200
    form = parse(consent.text).forms[0]
    assert form["action"] == "/id/connect/consent"
    assert ("decision", "allow") in form["buttons"] and ("decision", "deny") in form["buttons"]
    return client.post(form["action"], data={**form["fields"], "decision": decision})


def callback_params(response: httpx.Response, redirect_uri: str = PORTAL_CALLBACK) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(redirect_uri + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def portal_tokens(sb: Sandbox, client: httpx.Client, scope: str = "openid profile read update offline_access") -> dict:
    verifier, challenge = pkce()
    params = authorize_params(scope=scope, code_challenge=challenge, code_challenge_method="S256", nonce="n-0S6")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    response = client.post("/id/connect/token", data=portal_exchange(code, verifier))
    assert response.status_code == 200, response.text
    return response.json()


def portal_exchange(code: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": PORTAL_CALLBACK,
        "client_id": PORTAL,
        "client_secret": PORTAL_SECRET,
        "code_verifier": verifier,
    }


def service_token(client: httpx.Client, **extra: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": SYNC, "client_secret": SYNC_SECRET, **extra}
    return client.post("/id/connect/token", data=data)


def verify(sb: Sandbox, token: str, typ: str, audience: str | list[str]) -> dict:
    """Verify with PyJWT (not the library that signed) against the published JWKS."""
    jwks = sb.http_client().get("/id/.well-known/openid-configuration/jwks").json()
    header = jwt.get_unverified_header(token)
    assert header["typ"] == typ and header["alg"] == "RS256"
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == header["kid"])
    aud = audience if isinstance(audience, str) else audience[0]
    return jwt.decode(token, key, algorithms=["RS256"], audience=aud, issuer=sb.issuer)


def api_get(client: httpx.Client, token: str, **params: str) -> httpx.Response:
    return client.get(CUSTOMERS, params=params, headers={"Authorization": f"Bearer {token}"})


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error and body["error_description"]
    return body


def assert_never_redirected(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400
    assert "location" not in response.headers
    assert parse(response.text).error == error
    assert error in response.text


# --- registry ------------------------------------------------------------------------------------------


def test_the_records_hold_only_hashes_and_the_identity_service_never_needs_the_demo_credentials(sb: Sandbox) -> None:
    records = sb.registry.model_dump_json(exclude={"demo_credentials"})
    assert PORTAL_SECRET not in records and SYNC_SECRET not in records and "demo" not in records
    assert sb.registry.application(PORTAL).ApplicationSecretHash == secret_hash(PORTAL_SECRET)
    assert sb.registry.application(SYNC).SystemUser == "sync-bot"
    assert sb.registry.application(LEGACY).IsEnabled is False
    without_demo = Sandbox(registry=sb.registry.model_copy(update={"demo_credentials": DemoCredentials()}))
    assert without_demo.registry.demo_secret(SYNC) is None
    assert service_token(without_demo.http_client()).status_code == 200
    assert portal_tokens(without_demo, without_demo.http_client())["access_token"]


def test_registry_rejects_a_confidential_app_without_secret(tmp_path) -> None:
    bad = tmp_path / "sandbox.yaml"
    bad.write_text(
        "database: X\nscopes:\n  - {name: read, kind: api, consent: Read your data}\n"
        "trusted_applications:\n  - ApplicationUri: a/b\n    ClientType: Confidential\n    Scope: read\n"
    )
    with pytest.raises(ContentError, match="ApplicationSecretHash"):
        load_file(bad, RegistryFile)


# --- discovery and keys --------------------------------------------------------------------------------


def test_discovery_names_the_products_endpoints_and_grants(sb: Sandbox, client: httpx.Client) -> None:
    meta = client.get("/id/.well-known/openid-configuration").json()
    assert sb.base_url == IN_PROCESS_BASE_URL and meta["issuer"] == f"{IN_PROCESS_BASE_URL}/id"
    assert meta["authorization_endpoint"] == f"{sb.issuer}/connect/authorize"
    assert meta["token_endpoint"] == f"{sb.issuer}/connect/token"
    assert meta["jwks_uri"] == f"{sb.issuer}/.well-known/openid-configuration/jwks"
    assert set(meta["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code", "code id_token"]
    assert {"client_secret_post", "client_secret_basic"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert {"openid", "profile", "offline_access", "read", "update"} <= set(meta["scopes_supported"])


def test_jwks_publishes_only_the_public_rsa_key(sb: Sandbox, client: httpx.Client) -> None:
    jwks = client.get("/id/.well-known/openid-configuration/jwks").json()
    assert jwks == sb.jwks()
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA" and key["kid"] and key["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_rfc7636_appendix_b_vector_passes_the_sandbox_challenge_check(sb: Sandbox, client: httpx.Client) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() == challenge
    params = authorize_params(SPA, SPA_CALLBACK, scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params), SPA_CALLBACK)["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CALLBACK, "client_id": SPA}
    assert client.post("/id/connect/token", data={**data, "code_verifier": verifier}).status_code == 200


# --- Authorization Code + PKCE -----------------------------------------------------------------------


def test_authorization_code_with_pkce_end_to_end(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    state = "a/b+c d=é"
    params = authorize_params(
        scope="openid profile read update offline_access",
        state=state,
        code_challenge=challenge,
        code_challenge_method="S256",
        nonce="n-0S6",
    )
    back = callback_params(sign_in_and_consent(client, params))
    assert back["state"] == state
    response = client.post("/id/connect/token", data=portal_exchange(back["code"], verifier))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600 and tokens["refresh_token"]

    claims = verify(sb, tokens["access_token"], "at+jwt", AUDIENCE)
    assert claims["aud"] == AUDIENCE and claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert claims["sub"] == "david" and claims["name"] == "David" and claims["user_type"] == "InternalUser"
    assert claims["client_id"] == PORTAL and claims["db"] == sb.registry.database
    assert set(claims["scope"]) == {"openid", "profile", "read", "update", "offline_access"}
    assert claims["jti"] and claims["sid"] and claims["id"] and claims["email"]
    assert "client_system_user" not in claims

    id_token = verify(sb, tokens["id_token"], "JWT", PORTAL)
    assert id_token["nonce"] == "n-0S6" and id_token["sub"] == "david" and id_token["aud"] == PORTAL

    rows = api_get(client, tokens["access_token"], **{"$top": "2"})
    assert rows.status_code == 200
    assert [r["Number"] for r in rows.json()["value"]] == ["C-1001", "C-1002"]


def test_public_client_without_secret_and_without_offline_access_gets_no_refresh_token(
    sb: Sandbox, client: httpx.Client
) -> None:
    verifier, challenge = pkce()
    params = authorize_params(SPA, SPA_CALLBACK, code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params, username="petra"), SPA_CALLBACK)["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CALLBACK, "client_id": SPA}
    tokens = client.post("/id/connect/token", data={**data, "code_verifier": verifier}).json()
    assert "refresh_token" not in tokens and "id_token" not in tokens
    claims = verify(sb, tokens["access_token"], "at+jwt", AUDIENCE)
    assert claims["scope"] == ["read"] and claims["user_type"] == "ExternalCommunityUser"
    assert [r["Number"] for r in api_get(client, tokens["access_token"]).json()["value"]] == ["P-2001"]


def test_wrong_password_shows_the_sign_in_page_again(client: httpx.Client) -> None:
    page = client.get("/id/connect/authorize", params=authorize_params(scope="read"))
    form = parse(page.text).forms[0]
    again = client.post(form["action"], data={**form["fields"], "username": "david", "password": "nope"})
    assert again.status_code == 200
    assert parse(again.text).forms[0]["action"] == "/id/account/login"
    assert 'role="alert"' in again.text and "not right" in again.text


def test_community_user_cannot_sign_in_where_only_internal_users_are_allowed(client: httpx.Client) -> None:
    page = client.get("/id/connect/authorize", params=authorize_params(scope="read"))
    form = parse(page.text).forms[0]
    again = client.post(form["action"], data={**form["fields"], "username": "petra", "password": "demo"})
    assert parse(again.text).forms[0]["action"] == "/id/account/login"
    assert "ImpersonateAsCommunityUserAllowed" in again.text


def test_deny_returns_access_denied_with_state(client: httpx.Client) -> None:
    back = callback_params(sign_in_and_consent(client, authorize_params(scope="read"), decision="deny"))
    assert back["error"] == "access_denied" and back["state"] == "xyz" and "code" not in back


# --- authorize errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (authorize_params(redirect_uri="http://localhost:8501/Callback"), "invalid_redirect_uri"),
        (authorize_params(redirect_uri="http://localhost:8501/callback/"), "invalid_redirect_uri"),
        (authorize_params(redirect_uri="https://evil.example/callback"), "invalid_redirect_uri"),
        # auth/flows/auth-code/interactive-apps-errors.md: a missing or disabled Trusted Application.
        (authorize_params(client_id="com.example/nobody"), "unauthorized_client"),
        (authorize_params(client_id=LEGACY), "unauthorized_client"),
        ({"client_id": PORTAL, "response_type": "code", "state": "s"}, "invalid_request"),
    ],
    ids=["case", "trailing-slash", "foreign", "unknown-client", "disabled", "no-redirect-uri"],
)
def test_authorize_errors_that_must_never_redirect(client: httpx.Client, params: dict, error: str) -> None:
    assert_never_redirected(client.get("/id/connect/authorize", params=params), error)


@pytest.mark.parametrize(
    ("client_id", "callback", "extra", "error"),
    [
        (PORTAL, PORTAL_CALLBACK, {"scope": "read sec"}, "invalid_scope"),
        (SPA, SPA_CALLBACK, {"scope": "read update"}, "invalid_scope"),
        (SPA, SPA_CALLBACK, {"scope": "read"}, "invalid_request"),  # a Public client without PKCE
        (
            PORTAL,
            PORTAL_CALLBACK,
            {"scope": "read", "code_challenge": "x" * 43, "code_challenge_method": "plain"},
            "invalid_request",
        ),
    ],
    ids=["unknown-scope", "scope-not-in-app", "public-without-pkce", "plain-pkce"],
)
def test_authorize_errors_go_back_to_the_registered_redirect_uri(
    client: httpx.Client, client_id: str, callback: str, extra: dict, error: str
) -> None:
    params = authorize_params(client_id, callback, state="keep me")
    params.update(extra)
    back = callback_params(client.get("/id/connect/authorize", params=params), callback)
    assert back["error"] == error and back["error_description"] and back["state"] == "keep me"


def test_an_implicit_request_is_refused_in_the_fragment_where_its_answer_would_travel(client: httpx.Client) -> None:
    # OAuth 2.0 Multiple Response Type Encoding Practices §5: a response type with a token answers in the fragment.
    response = client.get("/id/connect/authorize", params=authorize_params(response_type="token", state="keep me"))
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == PORTAL_CALLBACK and location.query == ""
    back = dict(parse_qsl(location.fragment))
    assert back["error"] == "unsupported_response_type" and back["state"] == "keep me"


# --- token endpoint errors -------------------------------------------------------------------------------


def test_wrong_verifier_is_invalid_grant(client: httpx.Client) -> None:
    _, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    other_verifier, _ = pkce()
    assert_oauth_error(client.post("/id/connect/token", data=portal_exchange(code, other_verifier)), "invalid_grant")


def test_redirect_uri_must_equal_the_authorize_one_at_the_token_endpoint(client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    data = {**portal_exchange(code, verifier), "redirect_uri": "http://localhost:8501/other"}
    assert_oauth_error(client.post("/id/connect/token", data=data), "invalid_grant")


def test_code_expires_after_five_minutes_of_sandbox_time(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    sb.clock.advance(301)
    body = assert_oauth_error(client.post("/id/connect/token", data=portal_exchange(code, verifier)), "invalid_grant")
    assert "expired" in body["error_description"]


def test_replayed_code_is_refused_and_revokes_what_it_issued(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read offline_access", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    first = client.post("/id/connect/token", data=portal_exchange(code, verifier)).json()
    assert api_get(client, first["access_token"]).status_code == 200
    assert_oauth_error(client.post("/id/connect/token", data=portal_exchange(code, verifier)), "invalid_grant")
    refused = api_get(client, first["access_token"])
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert "revoked" in refused.json()["error_description"]
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": PORTAL,
        "client_secret": PORTAL_SECRET,
    }
    assert_oauth_error(client.post("/id/connect/token", data=refresh), "invalid_grant")


def test_refresh_rotates_and_the_old_refresh_token_is_refused(sb: Sandbox, client: httpx.Client) -> None:
    first = portal_tokens(sb, client)
    data = {"grant_type": "refresh_token", "client_id": PORTAL, "client_secret": PORTAL_SECRET}
    second = client.post("/id/connect/token", data={**data, "refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"] and rotated["access_token"] != first["access_token"]
    assert verify(sb, rotated["access_token"], "at+jwt", AUDIENCE)["sub"] == "david"
    reused = client.post("/id/connect/token", data={**data, "refresh_token": first["refresh_token"]})
    assert_oauth_error(reused, "invalid_grant")


def spa_tokens(client: httpx.Client, scope: str = "read offline_access") -> dict:
    verifier, challenge = pkce()
    params = authorize_params(SPA, SPA_CALLBACK, scope=scope, code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params), SPA_CALLBACK)["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CALLBACK, "client_id": SPA}
    response = client.post("/id/connect/token", data={**data, "code_verifier": verifier})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("seconds_later", "usable"),
    [(30 * 24 * 3600 - 60, True), (30 * 24 * 3600, False)],
    ids=["a-minute-before-30-days", "at-30-days"],
)
def test_a_confidential_clients_refresh_token_lives_30_days(
    sb: Sandbox, client: httpx.Client, seconds_later: int, usable: bool
) -> None:
    tokens = portal_tokens(sb, client)
    sb.clock.advance(seconds_later)
    data = {
        "grant_type": "refresh_token",
        "client_id": PORTAL,
        "client_secret": PORTAL_SECRET,
        "refresh_token": tokens["refresh_token"],
    }
    response = client.post("/id/connect/token", data=data)
    if usable:
        assert response.status_code == 200, response.text
        assert response.json()["refresh_token"] != tokens["refresh_token"]
    else:
        assert "expired" in assert_oauth_error(response, "invalid_grant")["error_description"]


@pytest.mark.parametrize(
    ("seconds_later", "usable"),
    [(24 * 3600 - 60, True), (24 * 3600, False)],
    ids=["a-minute-before-24-hours", "at-24-hours"],
)
def test_a_public_clients_refresh_token_lives_24_hours(
    sb: Sandbox, client: httpx.Client, seconds_later: int, usable: bool
) -> None:
    # offline_access is a protocol scope: the SPA may ask for it although its Scope is only "read".
    tokens = spa_tokens(client)
    assert tokens["scope"] == "read offline_access" and tokens["refresh_token"]
    sb.clock.advance(seconds_later)
    data = {"grant_type": "refresh_token", "client_id": SPA, "refresh_token": tokens["refresh_token"]}
    response = client.post("/id/connect/token", data=data)
    if usable:
        assert response.status_code == 200, response.text
        assert response.json()["refresh_token"] != tokens["refresh_token"]
    else:
        assert "expired" in assert_oauth_error(response, "invalid_grant")["error_description"]


def test_no_offline_access_no_refresh_token(sb: Sandbox, client: httpx.Client) -> None:
    assert "refresh_token" not in portal_tokens(sb, client, scope="openid read")


def test_no_scope_requested_grants_all_of_the_applications_scopes(sb: Sandbox, client: httpx.Client) -> None:
    claims = verify(sb, portal_tokens(sb, client, scope="")["access_token"], "at+jwt", AUDIENCE)
    assert claims["scope"] == ["openid", "profile", "read", "update", "offline_access"]


@pytest.mark.parametrize(
    ("data", "auth", "error", "status"),
    [
        (
            {
                "grant_type": "password",
                "username": "david",
                "password": "demo",
                "client_id": SYNC,
                "client_secret": SYNC_SECRET,
            },
            None,
            "unsupported_grant_type",
            400,
        ),
        (
            # auth/flows/client-credentials/service-apps-errors.md: a disabled application is invalid_client here.
            {"grant_type": "client_credentials", "client_id": LEGACY, "client_secret": "legacy-report-secret"},
            None,
            "invalid_client",
            401,
        ),
        (
            {"grant_type": "client_credentials", "client_id": PORTAL, "client_secret": PORTAL_SECRET},
            None,
            "unauthorized_client",
            400,
        ),
        ({"grant_type": "client_credentials", "client_id": SPA}, None, "unauthorized_client", 400),
        (
            {"grant_type": "client_credentials", "client_id": SYNC, "client_secret": SYNC_SECRET, "scope": "read sec"},
            None,
            "invalid_scope",
            400,
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": SYNC,
                "client_secret": SYNC_SECRET,
                "scope": "read offline_access",
            },
            None,
            "invalid_scope",
            400,
        ),
        ({"grant_type": "client_credentials", "client_secret": SYNC_SECRET}, None, "invalid_request", 400),
        ({"grant_type": "client_credentials", "client_id": SYNC}, None, "invalid_request", 400),
        ({"client_id": SYNC, "client_secret": SYNC_SECRET}, None, "invalid_request", 400),
        (
            {"grant_type": "client_credentials", "client_id": SYNC, "client_secret": "wrong"},
            None,
            "invalid_client",
            401,
        ),
        (
            {"grant_type": "client_credentials", "client_id": "com.example/nobody", "client_secret": "x"},
            None,
            "invalid_client",
            401,
        ),
        (
            {
                "grant_type": "authorization_code",
                "code": "made-up",
                "redirect_uri": PORTAL_CALLBACK,
                "client_id": PORTAL,
                "client_secret": PORTAL_SECRET,
            },
            None,
            "invalid_grant",
            400,
        ),
        (
            {
                "grant_type": "refresh_token",
                "refresh_token": "made-up",
                "client_id": PORTAL,
                "client_secret": PORTAL_SECRET,
            },
            None,
            "invalid_grant",
            400,
        ),
    ],
    ids=[
        "password-grant",
        "disabled-app",
        "no-system-user",
        "public-client-credentials",
        "scope-not-in-app",
        "offline-access-for-service",
        "missing-client-id",
        "missing-secret",
        "missing-grant-type",
        "wrong-secret",
        "unknown-client",
        "unknown-code",
        "unknown-refresh-token",
    ],
)
def test_token_endpoint_errors(client: httpx.Client, data: dict, auth: object, error: str, status: int) -> None:
    assert_oauth_error(client.post("/id/connect/token", data=data, auth=auth), error, status)


def test_invalid_client_over_basic_answers_401_with_a_basic_challenge(client: httpx.Client) -> None:
    response = client.post("/id/connect/token", data={"grant_type": "client_credentials"}, auth=(SYNC, "wrong"))
    assert_oauth_error(response, "invalid_client", 401)
    assert response.headers["www-authenticate"].startswith("Basic")


# --- the shape of a token request: RFC 6749 §2.3 and §3.1 -----------------------------------------------

SERVICE_FORM = {"grant_type": "client_credentials", "client_id": SYNC, "client_secret": SYNC_SECRET}


@pytest.mark.parametrize(
    "repeated",
    [
        {**SERVICE_FORM, "grant_type": ["client_credentials", "client_credentials"]},
        {**SERVICE_FORM, "grant_type": ["client_credentials", "password"]},
        {**SERVICE_FORM, "client_id": [SYNC, PORTAL]},
        {**SERVICE_FORM, "client_secret": [SYNC_SECRET, SYNC_SECRET]},
        {**SERVICE_FORM, "scope": ["read", "update"]},
    ],
    ids=["grant-type-twice", "two-grant-types", "client-id-twice", "secret-twice", "scope-twice"],
)
def test_a_parameter_sent_twice_to_the_token_endpoint_is_invalid_request(client: httpx.Client, repeated: dict) -> None:
    body = assert_oauth_error(client.post("/id/connect/token", data=repeated), "invalid_request")
    assert "more than once" in body["error_description"]


def test_a_parameter_in_both_query_and_body_counts_twice(client: httpx.Client) -> None:
    response = client.post("/id/connect/token", params={"grant_type": "client_credentials"}, data=SERVICE_FORM)
    assert_oauth_error(response, "invalid_request")


def test_a_code_sent_twice_is_refused_before_the_code_is_used(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    twice = {**portal_exchange(code, verifier), "code": [code, "another-code"]}
    assert_oauth_error(client.post("/id/connect/token", data=twice), "invalid_request")
    # Refused as malformed, so the code was neither spent nor treated as replayed.
    assert client.post("/id/connect/token", data=portal_exchange(code, verifier)).status_code == 200


def test_basic_and_client_secret_in_the_body_are_two_authentications(client: httpx.Client) -> None:
    response = client.post("/id/connect/token", data=SERVICE_FORM, auth=(SYNC, SYNC_SECRET))
    body = assert_oauth_error(response, "invalid_request")
    assert "RFC 6749 section 2.3" in body["error_description"]


def test_basic_and_client_secret_in_the_body_are_refused_for_a_code_too(client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    response = client.post("/id/connect/token", data=portal_exchange(code, verifier), auth=(PORTAL, PORTAL_SECRET))
    assert_oauth_error(response, "invalid_request")


def test_basic_with_the_client_id_also_in_the_body_is_one_authentication(client: httpx.Client) -> None:
    data = {"grant_type": "client_credentials", "client_id": SYNC}
    assert client.post("/id/connect/token", data=data, auth=(SYNC, SYNC_SECRET)).status_code == 200


@pytest.mark.parametrize("name", ["state", "redirect_uri", "scope", "nonce"])
def test_a_parameter_sent_twice_to_authorize_is_refused_without_a_redirect(client: httpx.Client, name: str) -> None:
    params = list(
        authorize_params(scope="read", nonce="n-1", code_challenge="c" * 43, code_challenge_method="S256").items()
    )
    params.append((name, dict(params)[name]))
    assert_never_redirected(client.get("/id/connect/authorize", params=params), "invalid_request")


def test_a_redirect_uri_taken_out_of_the_registration_is_refused_at_the_token_endpoint(
    sb: Sandbox, client: httpx.Client
) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    # The administrator edits ImpersonateLoginUrl while the code is outstanding.
    apps = [
        a.model_copy(update={"ImpersonateLoginUrl": "http://localhost:8501/new-callback"})
        if a.client_id == PORTAL
        else a
        for a in sb.registry.trusted_applications
    ]
    sb.registry = sb.registry.model_copy(update={"trusted_applications": tuple(apps)})
    body = assert_oauth_error(client.post("/id/connect/token", data=portal_exchange(code, verifier)), "invalid_grant")
    assert "ImpersonateLoginUrl" in body["error_description"]


# RFC 6749 §5.2 allows only printable ASCII without " and \\ in error_description: other characters are encoded.
HOSTILE = 'é"\\'


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (authorize_params(client_id=HOSTILE), "unauthorized_client"),
        (authorize_params(redirect_uri=f"http://localhost:8501/{HOSTILE}"), "invalid_redirect_uri"),
        ([*authorize_params().items(), (HOSTILE, "1"), (HOSTILE, "2")], "invalid_request"),
    ],
    ids=["client-id", "redirect-uri", "repeated-name"],
)
def test_authorize_quotes_what_the_request_carried_in_its_error(client: httpx.Client, params: Any, error: str) -> None:
    response = client.get("/id/connect/authorize", params=params)
    assert_never_redirected(response, error)
    assert "%C3%A9%22%5C" in response.text


def test_a_scope_refused_at_authorize_is_quoted_in_the_redirect(client: httpx.Client) -> None:
    back = callback_params(client.get("/id/connect/authorize", params=authorize_params(scope=f"read {HOSTILE}")))
    assert back["error"] == "invalid_scope"
    assert back["error_description"].startswith("Invalid scope: %C3%A9%22%5C. It is not in")


@pytest.mark.parametrize(
    "data",
    [
        {**SERVICE_FORM, "scope": HOSTILE},
        [*SERVICE_FORM.items(), (HOSTILE, "1"), (HOSTILE, "2")],
    ],
    ids=["scope", "repeated-name"],
)
def test_the_token_endpoint_quotes_what_the_request_carried_in_its_error(client: httpx.Client, data: Any) -> None:
    content = urlencode(data)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/id/connect/token", content=content, headers=headers)
    assert response.status_code == 400 and "%C3%A9%22%5C" in response.json()["error_description"]


# --- Client Credentials and the API ---------------------------------------------------------------------


def test_client_credentials_token_acts_as_the_system_user(sb: Sandbox, client: httpx.Client) -> None:
    response = client.post("/id/connect/token", data={"grant_type": "client_credentials"}, auth=(SYNC, SYNC_SECRET))
    assert response.status_code == 200
    tokens = response.json()
    assert "refresh_token" not in tokens and "id_token" not in tokens and tokens["expires_in"] == 3600
    claims = verify(sb, tokens["access_token"], "at+jwt", AUDIENCE)
    assert "sub" not in claims and claims["client_system_user"] == "sync-bot"
    assert claims["client_system_user_type"] and claims["client_db"] == sb.registry.database
    assert claims["scope"] == ["read", "update"] and claims["client_id"] == SYNC
    created = client.post(
        CUSTOMERS,
        json={"Name": "Night Shift Ltd", "City": "Sofia"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert created.status_code == 201
    names = [r["Name"] for r in api_get(client, tokens["access_token"]).json()["value"]]
    assert names == ["Overnight Schedule Import", "Weekly Report Archive", "Night Shift Ltd"]


def test_api_needs_update_scope_to_post(sb: Sandbox, client: httpx.Client) -> None:
    token = service_token(client, scope="read").json()["access_token"]
    response = client.post(CUSTOMERS, json={"Name": "X"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="update"' in response.headers["www-authenticate"]


def test_api_without_token_answers_a_plain_bearer_challenge(client: httpx.Client) -> None:
    response = client.get(CUSTOMERS)
    assert response.status_code == 401
    assert (
        response.headers["www-authenticate"].startswith("Bearer")
        and "error=" not in response.headers["www-authenticate"]
    )


def test_expired_access_token_is_refused_by_the_api(sb: Sandbox, client: httpx.Client) -> None:
    token = service_token(client).json()["access_token"]
    assert api_get(client, token).status_code == 200
    sb.clock.advance(3600)
    response = api_get(client, token)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert "expired" in response.json()["error_description"]


def test_an_id_token_is_not_an_access_token(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client, scope="openid read")
    assert api_get(client, tokens["id_token"]).status_code == 401


def test_tampered_token_is_refused(client: httpx.Client) -> None:
    token = service_token(client).json()["access_token"]
    header, payload, signature = token.split(".")
    forged = (
        base64.urlsafe_b64encode(re.sub(rb'"sync-bot"', b'"david"', base64.urlsafe_b64decode(payload + "==")))
        .rstrip(b"=")
        .decode()
    )
    assert api_get(client, f"{header}.{forged}.{signature}").status_code == 401


def test_no_token_or_secret_reaches_the_logs(sb: Sandbox, client: httpx.Client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = portal_tokens(sb, client)
    service = service_token(client).json()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # Authlib did log at DEBUG, so the check below has something to look at
    for value in (
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        service["access_token"],
        PORTAL_SECRET,
        SYNC_SECRET,
    ):
        assert value not in logged


# --- isolation -------------------------------------------------------------------------------------------


def test_two_sandboxes_refuse_each_others_codes_and_tokens() -> None:
    one, two = Sandbox(), Sandbox()
    c1, c2 = one.http_client(), two.http_client()
    assert one.jwks()["keys"][0]["kid"] != two.jwks()["keys"][0]["kid"]
    verifier, challenge = pkce()
    params = authorize_params(scope="read", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(c1, params))["code"]
    assert_oauth_error(c2.post("/id/connect/token", data=portal_exchange(code, verifier)), "invalid_grant")
    token = service_token(c1).json()["access_token"]
    assert api_get(c1, token).status_code == 200
    assert api_get(c2, token).status_code == 401
    one.clock.advance(7200)
    assert two.clock.now() < one.clock.now()


@pytest.mark.parametrize("top", ["²", "٣", "-1", "1.5", "two"])
def test_a_top_that_is_not_a_plain_whole_number_is_a_400(client: httpx.Client, top: str) -> None:
    token = service_token(client).json()["access_token"]
    answer = api_get(client, token, **{"$top": top})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BadRequest"


def test_a_top_with_many_digits_returns_every_row(client: httpx.Client) -> None:
    token = service_token(client).json()["access_token"]
    every = api_get(client, token).json()["value"]
    answer = api_get(client, token, **{"$top": "9" * 5000})
    assert answer.status_code == 200 and answer.json()["value"] == every


def test_discovery_and_jwks_are_served_as_the_sandbox_makes_them_even_after_its_registry_is_replaced() -> None:
    sb = Sandbox()
    client = sb.http_client()
    first = client.get("/id/.well-known/openid-configuration").json()
    assert client.get("/id/.well-known/openid-configuration").json() == first == sb.discovery()
    assert client.get("/id/.well-known/openid-configuration/jwks").json() == sb.jwks()
    sb.registry = sb.registry.model_copy(update={"scopes": sb.registry.scopes[:-1]})
    again = client.get("/id/.well-known/openid-configuration").json()
    assert again == sb.discovery() and again["scopes_supported"] == first["scopes_supported"][:-1]


def test_authlib_sees_the_whole_request_address_and_still_refuses_plain_http_off_loopback() -> None:
    from authlib.oauth2.rfc6749.errors import InsecureTransportError
    from flask import request as flask_request

    from flowguide.sandbox.authorization_server import _FlaskRequest

    app = Sandbox().wsgi_app
    query = "/id/connect/authorize?client_id=a%20b&state=%C3%BC"
    with app.test_request_context(query, base_url="https://sandbox.flowguide.test"):
        seen = _FlaskRequest(flask_request)
        assert (
            seen.uri
            == flask_request.url
            == "https://sandbox.flowguide.test/id/connect/authorize?client_id=a%20b&state=ü"
        )
        assert seen.method == "GET" and seen.args["client_id"] == "a b"
    with app.test_request_context(query, base_url="http://127.0.0.1:8600"):
        assert _FlaskRequest(flask_request).uri.startswith("http://127.0.0.1:8600/id/connect/authorize?")
    with app.test_request_context(query, base_url="http://idp.example"), pytest.raises(InsecureTransportError):
        _FlaskRequest(flask_request)
