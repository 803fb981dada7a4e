"""The client's checks at their edges, each against a provider that misbehaves in one way (MUTATION.md).

Each test here kills mutmut survivors in flowguide/client/: a check weakened, a refusal dropped, a
request that no longer carries what it must. Expected values are literal.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from flowguide.client import FlowRun, back_channel, front_channel, requests, run_to_end
from flowguide.client.back_channel import expect_refusal, store_tokens
from flowguide.client.config import demo_apps
from flowguide.client.mistakes import MISTAKES
from flowguide.client.responses import error_of
from flowguide.client.results import OddResponse, StepResult, Tokens
from flowguide.sandbox import Sandbox
from flowguide.tokens import unverified_claims
from flowguide.tokens.verifying import half_hash
from flowguide.transcript import Exchange

Answer = Callable[[httpx.Request], httpx.Response | None]


def _run(flow: str, answer: Answer, sandbox: Sandbox | None = None, **kwargs) -> FlowRun:
    """A run against the sandbox, except where ``answer`` (a misbehaving provider) answers first."""
    sandbox = sandbox or Sandbox()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(f"{request.method} {request.url}")
        return answer(request) or sandbox.transport.handle_request(request)

    http = sandbox.http_client(transport=httpx.MockTransport(handler))
    run = FlowRun(flow, http, advance_clock=sandbox.clock.advance, issuer=sandbox.issuer, clock=sandbox.clock.now)
    run.seen = seen  # type: ignore[attr-defined]
    return run


def _exchange(status: int, body: str = "", headers: dict[str, str] | None = None, location: str | None = None):
    response_headers = list((headers or {}).items()) + ([("location", location)] if location else [])
    return Exchange("GET", "https://sandbox.flowguide.test/x", [], "", status, response_headers, body, 1.0)


def _labels(run: FlowRun) -> list[str]:
    return [e.label for e in run.exchanges]


# --- the browser follows the identity service's own redirects, and no one else's --------------------------


def test_a_redirect_inside_the_identity_service_is_followed() -> None:
    def hop(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/authorize" and "hop" not in request.url.params:
            return httpx.Response(302, headers={"location": str(request.url.copy_add_param("hop", "1"))})
        if "hop" in request.url.params:
            request.url = request.url.copy_remove_param("hop")
        return None

    run = _run("authorization_code", hop)
    run_to_end(run)
    assert run.error is None
    assert _labels(run)[:3] == ["discovery document", "authorization request", "identity service redirect"]
    assert run.exchanges[2].actor == "browser"


def test_a_redirect_to_the_issuer_itself_is_followed() -> None:
    sandbox = Sandbox()

    def to_issuer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/authorize":
            return httpx.Response(302, headers={"location": sandbox.issuer})
        if request.url.path == "/id":
            return httpx.Response(200, html="<p>The identity service</p>")
        return None

    run = _run("authorization_code", to_issuer, sandbox)
    result = run.next() and run.next()
    assert result.error is None and run.auth.browser.location == ""
    assert run.seen[-1] == "GET https://sandbox.flowguide.test/id"


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/id/connect/authorize",
        "https://sandbox.flowguide.test/identity",
        "https://sandbox.flowguide.test/",
    ],
)
def test_a_redirect_out_of_the_identity_service_is_not_followed(elsewhere: str) -> None:
    def away(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/authorize":
            return httpx.Response(302, headers={"location": elsewhere})
        if str(request.url) == elsewhere:
            return httpx.Response(200, html="<form><input type=password name=password></form>")
        return None

    run = _run("authorization_code", away)
    run.next()
    result = run.next()
    assert run.auth.browser.location == elsewhere
    assert result.values["location"] == elsewhere
    assert run.seen[-1].startswith("GET https://sandbox.flowguide.test/id/connect/authorize?")


def test_a_redirect_chain_longer_than_a_browser_follows_stops_at_five() -> None:
    def loop(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.startswith("/id/connect/authorize") or request.url.path == "/id/loop":
            return httpx.Response(302, headers={"location": "/id/loop"})
        return None

    run = _run("authorization_code", loop)
    run.next()
    result = run.next()
    assert _labels(run).count("identity service redirect") == 5
    assert len(result.exchanges) == 6


# --- a replayed code (RFC 6749 §4.1.2) ----------------------------------------------------------------------


def _accepting_replays_and_never_revoking(sandbox: Sandbox) -> Answer:
    first: dict[str, httpx.Response] = {}

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/token" and b"authorization_code" in request.content:
            if "body" in first:
                return httpx.Response(200, json=first["body"])
            response = sandbox.transport.handle_request(request)
            response.read()
            first["body"] = response.json()
            return httpx.Response(200, json=first["body"])
        if request.url.path.startswith("/api/"):
            bearer = request.headers.get("authorization", "")
            return httpx.Response(200 if bearer.startswith("Bearer ey") else 401, json={"value": []})
        return None

    return answer


def test_a_provider_that_accepts_a_code_twice_is_reported() -> None:
    sandbox = Sandbox()
    run = _run("authorization_code", _accepting_replays_and_never_revoking(sandbox), sandbox)
    run.mistake_id = "code_reused"
    while run.next_step != "token":
        assert run.next().ok
    result = run.next()
    assert result.error is not None
    assert (result.error.code, result.error.description, result.error.status) == ("code_accepted_twice", "", 200)
    assert [(c.name, c.passed, c.sentence) for c in result.checks][-1] == (
        "the tokens issued for the replayed code are revoked",
        False,
        "200",
    )
    replayed, api = run.exchanges[-2:]
    assert (replayed.actor, replayed.label) == ("web app back end", "the same code again")
    assert (api.actor, api.label, api.method) == ("web app back end", "API call with the first token", "GET")
    assert api.request_header("authorization") == f"Bearer {run.auth.tokens.access_token}"


def test_the_replay_check_passes_only_when_the_first_tokens_are_revoked() -> None:
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code", mistake="code_reused")
    run_to_end(run)
    result = run.results[-1]
    assert [(c.name, c.passed, c.sentence) for c in result.checks][-1] == (
        "the tokens issued for the replayed code are revoked",
        True,
        "401",
    )
    assert (result.error.code, result.error.status) == ("invalid_grant", 400)


# --- refresh tokens are rotated (RFC 9700 §4.14) ------------------------------------------------------------


@pytest.mark.parametrize(("issued", "rotated"), [(None, False), ("same", False), ("new", True)])
def test_refresh_token_rotation_is_judged_from_what_came_back(issued: str | None, rotated: bool) -> None:
    sandbox = Sandbox()
    held: dict[str, str] = {}

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/token" and b"grant_type=refresh_token" in request.content:
            response = sandbox.transport.handle_request(request)
            response.read()
            body = response.json()
            if issued is None:
                body.pop("refresh_token")
            elif issued == "same":
                body["refresh_token"] = held["refresh_token"]
            return httpx.Response(200, json=body)
        return None

    run = _run("refresh", answer, sandbox)
    assert run.next().ok
    held["refresh_token"] = run.auth.tokens.refresh_token
    run.next()
    result = run.next()
    assert result.values["refresh_token_rotated"] is rotated
    assert result.values["sent_refresh_token"] == held["refresh_token"]
    rotation = [c for c in result.checks if c.name == "the refresh token was rotated (a new one came back)"]
    assert [c.passed for c in rotation] == [rotated]
    assert (run.exchanges[-1].actor, run.exchanges[-1].label) == ("web app back end", "refresh token for new tokens")


def test_after_a_refresh_the_id_token_is_not_held_to_the_sign_in_nonce() -> None:
    # OpenID Connect Core §12.2: an ID token from a refresh need not carry the sign-in's nonce again.
    sandbox = Sandbox()

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/token" and b"grant_type=refresh_token" in request.content:
            response = sandbox.transport.handle_request(request)
            response.read()
            body = response.json()
            # Nothing left that marks it as an ID token but the use it is held for.
            dropped = ("nonce", "auth_time", "at_hash", "c_hash")
            claims = {k: v for k, v in unverified_claims(first_id_token[0]).items() if k not in dropped}
            now = int(sandbox.clock.now())
            claims |= {"iat": now, "nbf": now, "exp": now + 300}
            header = {"alg": "RS256", "kid": sandbox.kid, "typ": "JWT"}
            return httpx.Response(200, json=body | {"id_token": jwt.encode(header, claims, sandbox.signing_key)})
        return None

    run = _run("refresh", answer, sandbox)
    assert run.next().ok
    first_id_token = [run.auth.tokens.id_token]
    run.next(), run.next()
    assert run.auth.refreshed is True and run.auth.tokens.id_token != first_id_token[0]
    result = run.validate()
    assert [c.name for c in result.checks if "nonce" in c.name] == []
    assert result.ok, result.failed()
    assert "ID token: signature" in [c.name for c in result.checks]


# --- validation of what the token endpoint issued ---------------------------------------------------------


def test_signing_keys_that_are_not_a_key_set_stop_validation() -> None:
    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/jwks"):
            return httpx.Response(200, json=[{"kty": "RSA"}])
        return None

    run = _run("client_credentials", answer)
    run.next(), run.next()
    result = run.next()
    assert result.step == "validate" and result.checks == []
    assert (result.error.code, result.error.description, result.error.status) == (
        "invalid_jwks",
        "the signing keys are not a JSON key set",
        200,
    )


def test_validation_shows_each_verdict_with_its_sentence_and_the_header() -> None:
    run = FlowRun.for_sandbox(Sandbox(), "client_credentials")
    run.next(), run.next()
    result = run.next()
    sentences = {c.name: c.sentence for c in result.checks}
    assert sentences["access token: aud"].startswith('"DomainAPI" is among the audiences (')
    assert sentences["access token: typ"] == 'typ is "at+jwt": this is an access token (RFC 9068).'
    header = result.values["access_token_header"]
    assert (header["alg"], header["typ"]) == ("RS256", "at+jwt")
    assert result.values["access_token_claims"]["client_id"] == "com.example/nightly-sync"


def test_an_id_token_offered_as_the_access_token_fails_its_typ() -> None:
    # An attacker's token substitution: the ID token in the access token's place (RFC 8725 §3.11).
    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/token":
            response = sandbox.transport.handle_request(request)
            response.read()
            body = response.json()
            return httpx.Response(200, json=body | {"access_token": body["id_token"]})
        return None

    sandbox = Sandbox()
    run = _run("authorization_code", answer, sandbox)
    while run.next_step != "validate":
        assert run.next().ok, run.results[-1]
    result = run.next()
    failed = result.failed()
    assert "access token: typ" in failed
    assert (result.error.code, result.error.description) == ("invalid_token", "failed: " + "; ".join(failed))


def test_a_failed_validation_names_every_failed_check() -> None:
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code")
    while run.next_step != "validate":
        assert run.next().ok
    run.issuer = "https://other.example/id"
    result = run.next()
    assert (result.error.code, result.error.description) == (
        "invalid_token",
        "failed: access token: iss; ID token: iss",
    )


@pytest.mark.parametrize(
    ("issuer", "url", "inside"),
    [
        ("https://login.example/id", "https://login.example/id", True),
        ("https://login.example/id", "https://login.example/id/connect", True),
        ("https://login.example/id", "https://login.example/identity", False),
        ("https://login.example/id/", "https://login.example/id/connect", True),
        ("https://login.example/X", "https://login.example/connect", False),
        ("https://login.example/X", "https://login.example/X/connect", True),
    ],
)
def test_inside_the_identity_service_is_the_issuer_and_below_it(issuer: str, url: str, inside: bool) -> None:
    assert front_channel._inside_identity_service(SimpleNamespace(issuer=issuer), url) is inside


# --- an expected refusal must be exactly the one expected ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "met"),
    [
        (401, '{"error": "invalid_token"}', True),
        (401, '{"error": "insufficient_scope"}', False),
        (403, '{"error": "invalid_token"}', False),
    ],
)
def test_an_expected_refusal_is_only_the_expected_status_and_code(status: int, body: str, met: bool) -> None:
    r = StepResult("refresh", "expire")
    ex = _exchange(status, body, {"content-type": "application/json"})
    expect_refusal(r, ex, (401, "invalid_token"))
    assert [(c.name, c.passed) for c in r.checks] == [("refused with 401 invalid_token", met)]
    assert r.checks[0].sentence == f"{status} {'invalid_token' if 'invalid_token' in body else 'insufficient_scope'}"
    assert r.error is not None and r.error.expected is met
    assert r.ok is met


def test_an_answer_that_should_have_been_refused_is_an_unexpected_success() -> None:
    r = StepResult("refresh", "expire")
    expect_refusal(r, _exchange(200, "[]", {"content-type": "application/json"}), (401, "invalid_token"))
    assert [(c.name, c.passed, c.sentence) for c in r.checks] == [("refused with 401 invalid_token", False, "200")]
    assert r.error is not None
    assert (r.error.code, r.error.description, r.error.status, r.error.expected) == (
        "unexpected_success",
        "expected 401 invalid_token",
        200,
        False,
    )


# --- reading an error wherever the answer carries it ---------------------------------------------------------


def test_an_error_in_a_bearer_challenge_is_read_with_its_description() -> None:
    challenge = 'Bearer error="invalid_token", error_description="The token expired"'
    err = error_of(_exchange(401, "", {"WWW-Authenticate": challenge}))
    assert (err.code, err.description, err.status) == ("invalid_token", "The token expired", 401)
    err = error_of(_exchange(401, "", {"www-authenticate": 'Bearer error="invalid_token"'}))
    assert (err.code, err.description, err.status) == ("invalid_token", "", 401)


def test_an_error_page_is_read_only_when_it_is_html() -> None:
    page = '<div data-error="invalid_request"><h1>Error</h1><p>The request is missing a parameter.</p></div>'
    err = error_of(_exchange(400, page, {"Content-Type": "text/html; charset=utf-8"}))
    assert (err.code, err.description, err.status) == ("invalid_request", "The request is missing a parameter.", 400)
    err = error_of(_exchange(400, page, {"content-type": "text/plain"}))
    assert (err.code, err.description, err.status) == ("http_400", "Bad Request", 400)
    err = error_of(_exchange(500, "<p>oops</p>", {"content-type": "text/html"}))
    assert (err.code, err.description, err.status) == ("http_500", "Internal Server Error", 500)


@pytest.mark.parametrize(
    ("status", "location", "expected"),
    [
        (299, None, None),
        (300, "https://app.example/cb?error=access_denied&error_description=No", ("access_denied", "No", 300)),
        (399, "https://app.example/cb?error=access_denied", ("access_denied", "", 399)),
        (302, "https://app.example/cb?code=abc", None),
        (302, None, None),
        (399, None, None),
        (400, None, ("http_400", "Bad Request", 400)),
    ],
)
def test_an_error_is_read_from_a_redirect_only_for_a_3xx_with_a_location(status, location, expected) -> None:
    err = error_of(_exchange(status, location=location))
    assert (None if err is None else (err.code, err.description, err.status)) == expected


def test_an_error_in_a_json_body_is_read_with_its_description() -> None:
    body = '{"error": "invalid_grant", "error_description": "The code was used."}'
    err = error_of(_exchange(400, body, {"content-type": "application/json"}))
    assert (err.code, err.description, err.status) == ("invalid_grant", "The code was used.", 400)


# --- the requests, exactly -------------------------------------------------------------------------------------


def test_the_authorization_request_carries_pkce_and_the_nonce_only_when_given() -> None:
    app = demo_apps()["com.example/web-portal"]
    full = requests.authorization_params(
        app, redirect_uri="http://localhost:8501/callback", scope="openid", state="s", code_challenge="c", nonce="n"
    )
    assert full == {
        "client_id": "com.example/web-portal",
        "redirect_uri": "http://localhost:8501/callback",
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "code_challenge": "c",
        "code_challenge_method": "S256",
        "nonce": "n",
    }
    bare = requests.authorization_params(app, redirect_uri="r", scope="read", state="s", code_challenge="", nonce="")
    assert bare == {
        "client_id": "com.example/web-portal",
        "redirect_uri": "r",
        "response_type": "code",
        "scope": "read",
        "state": "s",
    }


def test_the_token_request_forms() -> None:
    assert requests.code_exchange_form("c", "r", "v") == {
        "grant_type": "authorization_code",
        "code": "c",
        "redirect_uri": "r",
        "code_verifier": "v",
    }
    assert requests.code_exchange_form("c", "r", "") == {
        "grant_type": "authorization_code",
        "code": "c",
        "redirect_uri": "r",
    }
    assert requests.client_credentials_form("read update") == {
        "grant_type": "client_credentials",
        "scope": "read update",
    }
    assert requests.password_form("david", "pw", "read") == {
        "grant_type": "password",
        "username": "david",
        "password": "pw",
        "scope": "read",
    }
    assert requests.refresh_form("rt") == {"grant_type": "refresh_token", "refresh_token": "rt"}
    assert requests.bearer("at") == {"Authorization": "Bearer at", "Accept": "application/json"}


def test_client_authentication_basic_form_encodes_id_and_secret() -> None:
    # RFC 6749 §2.3.1: "com.example/sync" and "a:b c" are form-encoded before Basic.
    app = demo_apps()["com.example/web-portal"]
    basic = type(app)(**{**app.__dict__, "auth_method": "client_secret_basic"})
    form, headers = requests.client_authentication(basic, {"grant_type": "x"}, "a:b c")
    assert form == {"grant_type": "x"}
    assert headers == {"Authorization": "Basic Y29tLmV4YW1wbGUlMkZ3ZWItcG9ydGFsOmElM0FiJTIwYw=="}
    post = type(app)(**{**app.__dict__, "auth_method": "client_secret_post"})
    form, headers = requests.client_authentication(post, {"grant_type": "x"}, "a:b c")
    assert (form, headers) == (
        {"grant_type": "x", "client_id": "com.example/web-portal", "client_secret": "a:b c"},
        {},
    )


def test_a_public_client_or_one_without_its_secret_only_names_itself() -> None:
    spa = demo_apps()["com.example/spa"]
    assert requests.client_authentication(spa, {"grant_type": "x"}, "ignored") == (
        {"grant_type": "x", "client_id": "com.example/spa"},
        {},
    )
    web = demo_apps()["com.example/web-portal"]
    assert requests.client_authentication(web, {"grant_type": "x"}, None) == (
        {"grant_type": "x", "client_id": "com.example/web-portal"},
        {},
    )


# --- what the token endpoint issued is kept only in the shape RFC 6749 §5.1 gives it ---------------------------


@pytest.mark.parametrize(("expires_in", "kept"), [(3600, 3600), ("3600", 3600), (59.9, 59), (None, 0), (0, 0), ("", 0)])
def test_expires_in_is_a_number_of_seconds(expires_in, kept: int) -> None:
    into = Tokens()
    body = {"access_token": "at", "token_type": "Bearer", "expires_in": expires_in}
    store_tokens(StepResult("f", "token"), body, into)
    assert into.expires_in == kept


@pytest.mark.parametrize("expires_in", [True, "soon", [3600], float("inf"), {"s": 1}])
def test_an_expires_in_that_is_not_seconds_stops_the_step(expires_in) -> None:
    body = {"access_token": "at", "token_type": "Bearer", "expires_in": expires_in}
    with pytest.raises(OddResponse, match=r"^The token endpoint's expires_in is not a number of seconds, so"):
        store_tokens(StepResult("f", "token"), body, Tokens())


@pytest.mark.parametrize("field", ["access_token", "refresh_token", "id_token", "scope", "token_type"])
def test_a_token_field_that_is_not_a_string_stops_the_step(field: str) -> None:
    body = {"access_token": "at", "token_type": "Bearer", field: 7}
    with pytest.raises(OddResponse, match=f"^The token endpoint's {field} is not a string"):
        store_tokens(StepResult("f", "token"), body, Tokens())


def test_what_was_issued_is_kept_and_shown() -> None:
    into = Tokens()
    r = StepResult("f", "token")
    body = {"access_token": "at", "token_type": "bearer", "expires_in": 60, "scope": "read", "refresh_token": "rt"}
    store_tokens(r, body, into)
    assert (into.access_token, into.refresh_token, into.id_token, into.scope) == ("at", "rt", "", "read")
    assert r.values == {
        "access_token": "at",
        "token_type": "bearer",
        "expires_in": 60,
        "scope": "read",
        "refresh_token": "rt",
        "access_token_claims": {},
    }
    assert [(c.name, c.passed) for c in r.checks] == [("token_type is Bearer", True)]
    store_tokens(r2 := StepResult("f", "token"), {"access_token": "at", "token_type": "mac"}, Tokens())
    assert [(c.name, c.passed) for c in r2.checks] == [("token_type is Bearer", False)]


def test_a_token_answer_without_an_access_token_is_not_kept() -> None:
    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/id/connect/token":
            return httpx.Response(200, json={"token_type": "Bearer", "access_token": ""})
        return None

    run = _run("client_credentials", answer)
    run.next()
    result = run.next()
    assert run.service_tokens.access_token == ""
    assert result.error is not None
    assert (result.error.code, result.error.status) == ("invalid_response", 200)
    assert result.error.description == "The token endpoint answered without an access_token."


def test_the_client_credentials_request_asks_for_the_application_scope() -> None:
    run = FlowRun.for_sandbox(Sandbox(), "client_credentials")
    run.next()
    result = run.next()
    form = run.exchanges[-1].form
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == run.app.scope == result.values["scope_requested"]
    assert form["scope"]


# --- the identity service's pages, as a browser would use them ------------------------------------------------

ISSUER = "https://login.example/id"
CALLBACK = "http://localhost:8501/callback"
SIGN_IN_PAGE = (
    '<form action="/id/account/login" method="POST"><input name="request_id" type="hidden" value="r1">'
    '<input name="login" type="text"><input name="pwd" type="password"></form>'
)
CONSENT_PAGE = (
    '<form action="/id/connect/consent" method="post"><input name="request_id" type="hidden" value="r1">'
    '<button name="decision" value="allow">Allow</button><button name="decision" value="deny">Deny</button></form>'
)


def _provider(pages: dict[str, httpx.Response]) -> tuple[FlowRun, list[httpx.Request]]:
    """A provider that answers discovery itself and each other path from ``pages``."""
    sent: list[httpx.Request] = []
    discovery = {
        "issuer": ISSUER,
        "grant_types_supported": ["authorization_code"],
        "authorization_endpoint": f"{ISSUER}/connect/authorize",
        "token_endpoint": f"{ISSUER}/connect/token",
        "jwks_uri": f"{ISSUER}/jwks",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        if request.url.path == "/id/.well-known/openid-configuration":
            return httpx.Response(200, json=discovery)
        return pages.get(request.url.path, httpx.Response(404, text="not found"))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return FlowRun("authorization_code", http, issuer=ISSUER), sent


def test_a_sign_in_form_is_filled_whatever_its_fields_are_called() -> None:
    run, sent = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(200, html=CONSENT_PAGE),
        }
    )
    run.next(), run.next()
    result = run.next()
    assert result.ok and result.values == {"username": "david"}
    posted = sent[-1]
    assert (posted.method, str(posted.url)) == ("POST", "https://login.example/id/account/login")
    form = dict(parse_qsl(posted.content.decode()))
    assert form == {"request_id": "r1", "login": "david", "pwd": run.user.password}
    assert [(e.actor, e.label) for e in result.exchanges] == [("browser", "sign-in form")]


def test_a_page_with_no_form_is_no_sign_in_form() -> None:
    run, _ = _provider({"/id/connect/authorize": httpx.Response(200, html="<p>Welcome</p>")})
    run.next(), run.next()
    result = run.next()
    assert (result.error.code, result.error.description, result.error.status) == (
        "no_sign_in_form",
        "the identity service showed no sign-in form",
        None,
    )


def test_without_a_password_field_the_only_form_is_used_with_the_usual_names() -> None:
    page = '<form action="/id/account/login" method="post"><input name="email" type="text"></form>'
    run, sent = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=page),
            "/id/account/login": httpx.Response(200, html=CONSENT_PAGE),
        }
    )
    run.next(), run.next(), run.next()
    assert dict(parse_qsl(sent[-1].content.decode())) == {"email": "david", "password": run.user.password}


@pytest.mark.parametrize(
    ("again", "said"),
    [
        (SIGN_IN_PAGE + '<p role="alert">The password is not right.</p>', "The password is not right."),
        (SIGN_IN_PAGE, "the sign-in page came back without saying why"),
    ],
)
def test_a_sign_in_form_shown_again_is_a_failed_sign_in_with_the_page_s_reason(again: str, said: str) -> None:
    run, _ = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(200, html=again),
        }
    )
    run.next(), run.next()
    result = run.next()
    assert [(c.name, c.passed) for c in result.checks] == [("signed in (no sign-in form shown again)", False)]
    assert (result.error.code, result.error.description, result.error.status) == ("sign_in_failed", said, 200)


def test_a_sign_in_that_redirects_straight_back_needs_no_consent() -> None:
    back = f"{CALLBACK}?code=c1&state=s"
    run, _ = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(302, headers={"location": back}),
        }
    )
    run.next(), run.next()
    signed_in = run.next()
    assert signed_in.ok and signed_in.checks == [] and run.auth.browser.location == back
    consent = run.next()
    assert consent.ok and consent.exchanges == [] and consent.values == {"location": back}


def test_consent_without_a_consent_form_or_without_a_redirect_back_is_an_error() -> None:
    run, _ = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(200, html="<p>Signed in</p>"),
        }
    )
    run.next(), run.next(), run.next()
    result = run.next()
    assert (result.error.code, result.error.description, result.error.status) == (
        "no_consent_form",
        "the identity service showed no consent form",
        None,
    )
    run, sent = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(200, html=CONSENT_PAGE),
            "/id/connect/consent": httpx.Response(200, html="<p>Thank you</p>"),
        }
    )
    run.next(), run.next(), run.next()
    result = run.next()
    assert result.values == {"decision": "allow"}
    assert (sent[-1].method, str(sent[-1].url)) == ("POST", "https://login.example/id/connect/consent")
    assert dict(parse_qsl(sent[-1].content.decode())) == {"request_id": "r1", "decision": "allow"}
    assert (result.error.code, result.error.description, result.error.status) == (
        "no_redirect",
        "consent did not redirect back to the app",
        200,
    )


# --- the callback: its error, its code, and what each check says -----------------------------------------------


def test_an_error_in_the_callback_is_the_step_s_error_and_no_code_is_kept() -> None:
    run = _to_consent_run()
    state = run.auth.state
    result = run.accept_callback(f"{CALLBACK}?error=access_denied&error_description=No+thanks&state={state}&code=c1")
    assert (result.error.code, result.error.description, result.error.status) == ("access_denied", "No thanks", None)
    assert result.checks == [] and run.auth.code == ""
    result = run.accept_callback(f"{CALLBACK}?error=&state={state}&code=c1")
    assert (result.error.code, result.error.description) == ("", "")
    assert run.auth.code == ""


def test_a_callback_without_a_code_says_so() -> None:
    run = _to_consent_run()
    result = run.accept_callback(f"{CALLBACK}?state={run.auth.state}&code=")
    assert (result.error.code, result.error.description, result.error.status) == (
        "no_code",
        "the URL has no code parameter; paste the whole address",
        None,
    )
    assert result.values["code"] == ""


def test_the_callback_checks_say_what_came_back() -> None:
    run = _to_consent_run()
    sent = run.auth.state
    result = run.accept_callback(f"http://localhost:8501/elsewhere?state=forged&code=c1&iss={ISSUER}x")
    assert [(c.name, c.passed, c.sentence) for c in result.checks] == [
        ("the browser came back to the registered redirect URI", False, "http://localhost:8501/elsewhere"),
        ("state matches the one sent", False, f"sent {sent}, got forged"),
    ]
    assert (result.error.code, result.error.status) == ("state_mismatch", 302)
    result = run.accept_callback(f"{CALLBACK}?code=c1&state={sent}&iss={ISSUER}x")
    assert [(c.name, c.passed, c.sentence) for c in result.checks][1:] == [
        ("state matches the one sent", True, ""),
        ("iss in the callback is the issuer", False, f"{ISSUER}x"),
    ]
    assert (result.error.code, result.error.description) == (
        "issuer_mismatch",
        "the answer names another issuer (or none); the code is not used",
    )
    run.discovery["authorization_response_iss_parameter_supported"] = True
    result = run.accept_callback(f"{CALLBACK}?code=c1&state={sent}")
    assert [(c.name, c.passed, c.sentence) for c in result.checks][-1] == (
        "iss in the callback is the issuer",
        False,
        "(none)",
    )
    run.auth.state = ""
    result = run.accept_callback(f"{CALLBACK}?code=c1")
    assert [(c.name, c.sentence) for c in result.checks][1] == (
        "state matches the one sent",
        "sent (no request outstanding), got (none)",
    )


def _to_consent_run() -> FlowRun:
    back = f"{CALLBACK}?code=c1"
    run, _ = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(302, headers={"location": back}),
        }
    )
    run.next(), run.next(), run.next()
    return run


# --- the API's answer and the hybrid's service token ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "passed", "detail"),
    [
        ({"value": [{"Id": 1}, {"Id": 2}]}, True, "2 rows"),
        ([{"Id": 1}, {"Id": 2}, {"Id": 3}], True, "3 rows"),
        ({"@odata.context": "x"}, True, "0 rows"),
        ({"value": {"Id": 1}}, False, "1 rows"),
    ],
)
def test_the_api_answer_is_rows_in_an_odata_value_or_a_bare_list(body, passed: bool, detail: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.startswith("/api/"):
            return httpx.Response(200, json=body)
        return None

    run = _run("client_credentials", answer)
    result = run_to_end(run)[-1]
    assert [(c.name, c.passed, c.sentence) for c in result.checks] == [("the API answered with rows", passed, detail)]
    assert run.exchanges[-1].method == "GET"


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'at+jwt'})}.{part(claims)}.c2ln"


@pytest.mark.parametrize(
    ("claims", "passed", "detail"),
    [
        ({"client_system_user": "sync-bot"}, True, "sync-bot"),
        ({"client_system_user": "sync-bot", "sub": "david"}, False, "sync-bot"),
        ({"sub": "david"}, False, ""),
    ],
)
def test_the_service_must_act_as_its_system_user(claims: dict, passed: bool, detail: str) -> None:
    run = FlowRun.for_sandbox(Sandbox(), "hybrid")
    run.auth.tokens.access_token = "the-person-s-token"
    r = StepResult("hybrid", "service_api_call")
    back_channel.service_call_checks(run, r, _unsigned(claims))
    assert [(c.name, c.passed, c.sentence) for c in r.checks] == [
        ("the service did not use David's token", True, ""),
        ("the token acts as the System User (client_system_user, no sub)", passed, detail),
    ]
    r = StepResult("hybrid", "service_api_call")
    back_channel.service_call_checks(run, r, "the-person-s-token")
    assert [(c.name, c.passed) for c in r.checks][0] == ("the service did not use David's token", False)


# --- discovery, the authorization request, and which answers count as redirects ---------------------------------


def test_discovery_is_read_once_from_below_the_issuer_with_or_without_its_trailing_slash() -> None:
    for issuer in (ISSUER, ISSUER + "/"):
        run, sent = _provider({})
        run.issuer = issuer
        result = run.discover()
        assert str(sent[0].url) == "https://login.example/id/.well-known/openid-configuration"
        assert (sent[0].method, result.exchanges[0].label) == ("GET", "discovery document")
        assert result.values == {
            "authorization_endpoint": f"{ISSUER}/connect/authorize",
            "token_endpoint": f"{ISSUER}/connect/token",
            "jwks_uri": f"{ISSUER}/jwks",
        }
        assert [(c.name, c.passed, c.sentence) for c in result.checks] == [
            ("issuer is the instance's identity service", issuer == ISSUER, ISSUER),
            ("authorization_code is a supported grant", True, "authorization_code"),
        ]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(200, text="<html>"), ("invalid_discovery", "the discovery document is not JSON", 200)),
        (httpx.Response(200, json=[1]), ("invalid_discovery", "the discovery document is not JSON", 200)),
        (
            httpx.Response(200, json={"issuer": ISSUER, "grant_types_supported": "authorization_code"}),
            ("invalid_response", "The discovery document's grant_types_supported is not a list of names.", 200),
        ),
        (
            httpx.Response(200, json={"issuer": ISSUER, "grant_types_supported": ["authorization_code", 7]}),
            ("invalid_response", "The discovery document's grant_types_supported is not a list of names.", 200),
        ),
    ],
)
def test_a_discovery_document_in_the_wrong_shape_stops_the_run(answer: httpx.Response, error: tuple) -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda request: answer))
    result = FlowRun("authorization_code", http, issuer=ISSUER).discover()
    assert (result.error.code, result.error.description, result.error.status) == error


def test_a_discovery_document_without_the_grant_fails_its_check() -> None:
    doc = {"issuer": ISSUER, "grant_types_supported": ["client_credentials", "refresh_token"]}
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=doc)))
    result = FlowRun("authorization_code", http, issuer=ISSUER).discover()
    assert [(c.name, c.passed, c.sentence) for c in result.checks][-1] == (
        "authorization_code is a supported grant",
        False,
        "client_credentials refresh_token",
    )
    assert result.values == {"authorization_endpoint": "", "token_endpoint": "", "jwks_uri": ""}


def test_without_pkce_no_verifier_is_kept_or_sent(monkeypatch) -> None:
    monkeypatch.setattr(FlowRun, "mistake", property(lambda self: MISTAKES["missing_pkce"]))
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code")
    run.next()
    authorize = run.next()
    assert (authorize.values["code_verifier"], authorize.values["code_challenge"]) == ("", "(not sent)")
    assert authorize.values["code_challenge_method"] == "(not sent)"
    assert "code_challenge" not in authorize.values["authorization_url"]
    assert run.auth.code_challenge == ""
    while run.next_step != "token":
        run.next()
    token = run.next()
    assert "code_verifier" not in run.exchanges[-1].form
    assert token.values["code_verifier"] == ""


@pytest.mark.parametrize(
    ("status", "location", "followed"),
    [
        (300, "/id/connect/consent-page", True),
        (302, "/id/connect/consent-page", True),
        (399, "/id/connect/consent-page", True),
        (400, "/id/connect/consent-page", False),
        (200, "/id/connect/consent-page", False),
        (302, None, False),
    ],
)
def test_only_a_3xx_with_a_location_is_a_redirect_to_follow(status: int, location: str | None, followed: bool) -> None:
    headers = {"location": location} if location else {}
    run, sent = _provider(
        {
            "/id/connect/authorize": httpx.Response(200, html=SIGN_IN_PAGE),
            "/id/account/login": httpx.Response(status, headers=headers, html=CONSENT_PAGE),
            "/id/connect/consent-page": httpx.Response(200, html=CONSENT_PAGE),
        }
    )
    run.next(), run.next()
    result = run.next()
    assert (sent[-1].url.path == "/id/connect/consent-page") is followed
    if followed:
        assert [(e.label, e.method) for e in result.exchanges][-1] == ("identity service redirect", "GET")
    assert (result.error.code if result.error else None) == ("http_400" if status == 400 else None)


# --- small pieces a reader sees -----------------------------------------------------------------------------------


def test_who_makes_the_back_channel_calls() -> None:
    apps = demo_apps()
    assert back_channel.actor_of(apps["com.example/web-portal"]) == "web app back end"
    assert back_channel.actor_of(apps["com.example/spa"]) == "single-page app"
    assert back_channel.actor_of(apps["com.example/nightly-sync"]) == "service"


def test_fields_the_token_endpoint_left_out_are_empty_not_invented() -> None:
    into = Tokens(refresh_token="old")
    r = StepResult("f", "token")
    access = _unsigned({"client_id": "com.example/nightly-sync"})
    store_tokens(r, {"access_token": access}, into)
    assert (into.access_token, into.refresh_token, into.id_token, into.scope, into.expires_in) == (
        access,
        "",
        "",
        "",
        0,
    )
    assert r.values == {
        "access_token": access,
        "token_type": "",
        "expires_in": 0,
        "scope": "",
        "access_token_claims": {"client_id": "com.example/nightly-sync"},
    }
    assert [(c.name, c.passed) for c in r.checks] == [("token_type is Bearer", False)]


@pytest.mark.parametrize(
    ("status", "location", "body", "expected"),
    [
        (400, "https://app.example/cb?code=1", "", ("http_400", "Bad Request", 400)),
        (200, "https://app.example/cb?error=access_denied", "", None),
        (400, None, '{"error": "invalid_grant"}', ("invalid_grant", "", 400)),
    ],
)
def test_only_a_redirect_carries_its_error_in_the_location(status, location, body, expected) -> None:
    err = error_of(_exchange(status, body, {"content-type": "application/json"}, location=location))
    assert (None if err is None else (err.code, err.description, err.status)) == expected


def test_basic_credentials_encode_a_slash_in_the_secret() -> None:
    app = demo_apps()["com.example/web-portal"]
    basic = type(app)(**{**app.__dict__, "auth_method": "client_secret_basic"})
    _, headers = requests.client_authentication(basic, {}, "a/b")
    decoded = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    assert decoded == "com.example%2Fweb-portal:a%2Fb"


# --- code id_token: the ID token that comes with the code (OpenID Connect Core §3.3.2.12) --------------------------

_FRONT = "ID token from the authorize endpoint"


def _hybrid_callback(id_token_claims: dict | None, jwks_answer: httpx.Response | None = None, **overrides: str):
    """A run of web-portal as code id_token, at the callback, with an ID token made by the test's own key."""
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    jwks = jwks_answer or httpx.Response(200, json={"keys": [key.as_dict(private=False)]})
    run, sent = _provider({"/id/jwks": jwks})
    # The run's own clock, not the machine's: the sandbox's clock moves when a flow waits.
    run.clock = lambda: 1_762_185_760.0
    app = replace(demo_apps()["com.example/web-portal"], response_type="code id_token")
    run.app = app
    assert run.discover().ok and run.authorization_request().ok
    params = {"code": "c1", "state": run.auth.state}
    if id_token_claims is not None:
        now = 1_762_185_760
        claims = {
            "iss": ISSUER,
            "aud": app.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "nonce": run.auth.nonce,
            "c_hash": half_hash("c1"),
            "s_hash": half_hash(run.auth.state),
        } | id_token_claims
        params["id_token"] = jwt.encode({"alg": "RS256", "kid": "k1", "typ": "JWT"}, claims, key)
    params |= overrides
    result = run.accept_callback(f"{CALLBACK}#{urlencode(params)}")
    return run, result, sent


def test_a_code_with_its_own_id_token_is_kept() -> None:
    run, result, sent = _hybrid_callback({})
    assert result.ok, result.failed()
    assert run.auth.code == "c1"
    names = [c.name for c in result.checks]
    assert names[:2] == ["the browser came back to the registered redirect URI", "state matches the one sent"]
    assert f"{_FRONT}: c_hash" in names and f"{_FRONT}: signature" in names and f"{_FRONT}: nonce" in names
    assert result.values["front_channel_id_token_claims"]["c_hash"] == half_hash("c1")
    assert result.values["front_channel_id_token"].startswith("eyJ")
    assert [(e.actor, e.label, e.method) for e in result.exchanges] == [("web app back end", "signing keys", "GET")]
    assert str(sent[-1].url) == f"{ISSUER}/jwks"


def test_a_code_without_an_id_token_is_not_used() -> None:
    run, result, _ = _hybrid_callback(None)
    assert [(c.name, c.passed) for c in result.checks][-1] == ("an ID token came with the code (code id_token)", False)
    assert (result.error.code, result.error.description) == (
        "no_id_token",
        "the answer has no id_token; the code is not used",
    )
    assert run.auth.code == "" and result.exchanges == []


def test_a_code_whose_id_token_names_another_code_is_not_used() -> None:
    run, result, _ = _hybrid_callback({"c_hash": half_hash("another-code")})
    assert [(c.name, c.passed, c.sentence) for c in result.checks if c.passed is False] == [
        (f"{_FRONT}: c_hash", False, "c_hash is not the hash of this code. The code or ID token was swapped.")
    ]
    assert (result.error.code, result.error.description) == (
        "invalid_token",
        f"the ID token that came with the code failed: {_FRONT}: c_hash",
    )
    assert run.auth.code == ""


@pytest.mark.parametrize(
    ("claims", "failed"),
    [
        ({"nonce": "another"}, "nonce"),
        ({"aud": "com.example/spa"}, "aud"),
        ({"iss": "https://evil.example/id"}, "iss"),
        ({"exp": 1}, "exp"),
        ({"s_hash": half_hash("another-state")}, "s_hash"),
    ],
)
def test_a_code_whose_id_token_fails_a_check_is_not_used(claims: dict, failed: str) -> None:
    run, result, _ = _hybrid_callback(claims)
    assert [c.name for c in result.checks if c.passed is False] == [f"{_FRONT}: {failed}"]
    assert run.auth.code == ""


def test_signing_keys_that_are_not_a_key_set_stop_the_callback() -> None:
    run, result, _ = _hybrid_callback({}, httpx.Response(200, json=["not", "a", "set"]))
    assert (result.error.code, result.error.description, result.error.status) == (
        "invalid_jwks",
        "the signing keys are not a JSON key set",
        200,
    )
    assert run.auth.code == ""


def test_a_public_client_fetches_the_keys_from_the_browser() -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    run, _ = _provider({"/id/jwks": httpx.Response(200, json={"keys": [key.as_dict(private=False)]})})
    run.app = replace(demo_apps()["com.example/spa"], response_type="code id_token")
    run.discover(), run.authorization_request()
    result = run.accept_callback(f"{run.app.redirect_uri}#code=c1&state={run.auth.state}&id_token=x.y.z")
    assert [(e.actor, e.label) for e in result.exchanges] == [("browser", "signing keys")]
    assert run.auth.code == ""
