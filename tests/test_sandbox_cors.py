"""CORS for browser apps: the origins of the registered redirect URIs may fetch the identity endpoints and the API.

The demo SPA (`com.example/spa`, redirect URI http://localhost:5173/callback) is the browser app of
the registry; its origin, and the web portal's, are echoed; any other origin hears nothing of CORS.
"""

from __future__ import annotations

import httpx
import pytest

from flowguide.sandbox import Sandbox
from flowguide.sandbox.cors import ALLOWED_METHODS, covers, origin_of
from flowguide.sandbox.registry import TrustedApplication, default_registry

SPA_ORIGIN = "http://localhost:5173"
PORTAL_ORIGIN = "http://localhost:8501"
OTHER_ORIGIN = "https://attacker.example"
CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
DISCOVERY = "/id/.well-known/openid-configuration"
JWKS = "/id/.well-known/openid-configuration/jwks"
TOKEN = "/id/connect/token"
USERINFO = "/id/connect/userinfo"
SYNC_FORM = {
    "grant_type": "client_credentials",
    "client_id": "com.example/nightly-sync",
    "client_secret": "nightly-sync-secret",
}


@pytest.fixture
def client() -> httpx.Client:
    return Sandbox().http_client()


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def vary(response: httpx.Response) -> list[str]:
    return [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]


def preflight(client: httpx.Client, path: str, origin: str, method: str = "POST") -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    return client.options(path, headers=headers)


# --- an allowed origin ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
def test_the_spas_origin_may_read_discovery_and_jwks(client: httpx.Client, path: str) -> None:
    response = client.get(path, headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": "http://localhost:5173"}
    assert vary(response) == ["Origin"]


def test_the_spa_may_read_a_token_answer_and_its_refusal(client: httpx.Client) -> None:
    issued = client.post(TOKEN, data=SYNC_FORM, headers={"Origin": SPA_ORIGIN})
    assert issued.status_code == 200
    assert cors_headers(issued) == {"access-control-allow-origin": "http://localhost:5173"}
    refused = client.post(TOKEN, data={**SYNC_FORM, "client_secret": "wrong"}, headers={"Origin": SPA_ORIGIN})
    assert refused.status_code == 401
    assert cors_headers(refused) == {"access-control-allow-origin": "http://localhost:5173"}


def test_every_registered_redirect_uris_origin_is_allowed(client: httpx.Client) -> None:
    response = client.get(DISCOVERY, headers={"Origin": PORTAL_ORIGIN})
    assert response.headers["access-control-allow-origin"] == "http://localhost:8501"


def test_the_api_answers_the_spa_and_lets_it_read_the_challenge_and_location(client: httpx.Client) -> None:
    refused = client.get(CUSTOMERS, headers={"Origin": SPA_ORIGIN})
    assert refused.status_code == 401
    assert cors_headers(refused) == {
        "access-control-allow-origin": "http://localhost:5173",
        "access-control-expose-headers": "WWW-Authenticate, Location",
    }
    token = client.post(TOKEN, data=SYNC_FORM).json()["access_token"]
    created = client.post(
        CUSTOMERS,
        json={"Name": "Night Shift Ltd"},
        headers={"Origin": SPA_ORIGIN, "Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert vary(created) == ["Origin"]


def test_credentials_are_never_allowed_and_the_origin_is_never_a_wildcard(client: httpx.Client) -> None:
    answers = [
        client.get(DISCOVERY, headers={"Origin": SPA_ORIGIN}),
        client.post(TOKEN, data=SYNC_FORM, headers={"Origin": SPA_ORIGIN}),
        client.get(CUSTOMERS, headers={"Origin": SPA_ORIGIN}),
        preflight(client, TOKEN, SPA_ORIGIN),
    ]
    for response in answers:
        assert "access-control-allow-credentials" not in cors_headers(response)
        assert response.headers["access-control-allow-origin"] == "http://localhost:5173"


# --- preflight -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TOKEN, USERINFO, DISCOVERY, CUSTOMERS])
def test_a_preflight_from_an_allowed_origin_is_answered(client: httpx.Client, path: str) -> None:
    response = preflight(client, path, SPA_ORIGIN)
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": "http://localhost:5173",
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": (
            "Authorization, Content-Type, Accept, OData-Version, OData-MaxVersion, Prefer, If-Match"
        ),
        "access-control-max-age": "600",
    }
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("path", [TOKEN, CUSTOMERS])
def test_a_preflight_from_another_origin_gets_no_allow_headers(client: httpx.Client, path: str) -> None:
    response = preflight(client, path, OTHER_ORIGIN)
    assert response.status_code == 204
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


def test_an_options_request_that_is_no_preflight_is_left_to_flask(client: httpx.Client) -> None:
    response = client.options(TOKEN, headers={"Origin": SPA_ORIGIN})
    assert response.status_code == 200
    assert sorted(response.headers["allow"].split(", ")) == ["OPTIONS", "POST"]
    assert "access-control-allow-methods" not in cors_headers(response)


# --- any other origin ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        OTHER_ORIGIN,
        "https://localhost:5173",  # another scheme
        "http://localhost:5174",  # another port
        "http://127.0.0.1:5173",  # another host, although the same machine
        "http://localhost:5173/",  # not an origin: a URL
        "http://localhost:5173/callback",
        "null",  # a sandboxed frame or a file: page
    ],
)
def test_any_other_origin_gets_no_cors_headers(client: httpx.Client, origin: str) -> None:
    for response in (
        client.get(DISCOVERY, headers={"Origin": origin}),
        client.post(TOKEN, data=SYNC_FORM, headers={"Origin": origin}),
        client.get(CUSTOMERS, headers={"Origin": origin}),
    ):
        assert cors_headers(response) == {}
        assert vary(response) == ["Origin"]


def test_without_an_origin_the_answer_still_varies_by_origin(client: httpx.Client) -> None:
    response = client.get(DISCOVERY)
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize(
    "path",
    ["/id/connect/authorize?client_id=com.example/spa", "/id/connect/endsession", "/id/account/login"],
)
def test_navigations_get_no_cors_at_all(client: httpx.Client, path: str) -> None:
    response = client.get(path, headers={"Origin": SPA_ORIGIN})
    assert cors_headers(response) == {}
    assert "vary" not in response.headers
    assert cors_headers(preflight(client, path, SPA_ORIGIN)) == {}


# --- where the origins come from -----------------------------------------------------------------------


def test_the_allowed_origins_are_read_from_the_registry() -> None:
    extra = TrustedApplication(
        ApplicationUri="com.example/dashboard",
        ClientType="Public",
        ImpersonateLoginUrl="https://Dash.Example.org:443/signed-in, http://[::1]:3000/cb",
        Scope="read",
    )
    registry = default_registry()
    registry = registry.model_copy(update={"trusted_applications": (*registry.trusted_applications, extra)})
    client = Sandbox(registry=registry).http_client()
    for origin, expected in [
        ("https://dash.example.org", "https://dash.example.org"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("https://dash.example.org:443", None),  # browsers never send a default port
    ]:
        response = client.get(DISCOVERY, headers={"Origin": origin})
        assert response.headers.get("access-control-allow-origin") == expected


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("http://localhost:5173/callback", "http://localhost:5173"),
        ("HTTPS://App.Example.com:443/cb?x=1", "https://app.example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://[::1]:8080/cb", "http://[::1]:8080"),
        ("com.example.app:/callback", None),
        ("http://host:99999/cb", None),
        ("file:///tmp/cb", None),
    ],
)
def test_origin_of_a_redirect_uri(uri: str, origin: str | None) -> None:
    assert origin_of(uri) == origin


def test_every_covered_route_serves_only_the_methods_a_preflight_allows() -> None:
    app = Sandbox().wsgi_app
    allowed = set(ALLOWED_METHODS.split(", ")) | {"HEAD", "OPTIONS"}
    covered = [rule for rule in app.url_map.iter_rules() if covers(rule.rule)]
    assert {rule.rule for rule in covered} >= {DISCOVERY, JWKS, TOKEN, CUSTOMERS}
    assert all(rule.methods <= allowed for rule in covered)
