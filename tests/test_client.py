"""The client runs every flow for real against the sandbox, checks what it must, and stays isolated."""

from __future__ import annotations

import base64
import json
import logging
import pickle

import httpx
import pytest

from flowguide import content
from flowguide.client import (
    DEMO_APPS,
    FLOW_STEPS,
    SPA,
    WEB_PORTAL,
    ClientConfig,
    FlowRun,
    UserCredentials,
    error_of,
    parse_page,
    run_to_end,
    unverified_claims,
)
from flowguide.pkce import (
    is_valid_code_verifier,
    make_code_verifier,
    s256_challenge,
)
from flowguide.sandbox import Sandbox
from flowguide.transcript import secret_values


def _run(flow: str, client_id: str | None = None, **kwargs) -> FlowRun:
    run = FlowRun.for_sandbox(Sandbox(), flow, client_id=client_id, **kwargs)
    run_to_end(run)
    return run


def _failed(run: FlowRun) -> list[str]:
    return [f"{r.step}: {c.name} ({c.detail})" for r in run.results for c in r.checks if not c.passed]


# --- PKCE ------------------------------------------------------------------------------------------


def test_rfc7636_appendix_b_vector() -> None:
    assert (
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


@pytest.mark.parametrize("length", [43, 64, 128])
def test_verifiers_follow_rfc7636_and_differ(length: int) -> None:
    first, second = make_code_verifier(length), make_code_verifier(length)
    assert len(first) == length and is_valid_code_verifier(first)
    assert first != second


@pytest.mark.parametrize("length", [42, 129])
def test_verifier_length_outside_rfc7636_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        make_code_verifier(length)


# --- the step ids are the content's ---------------------------------------------------------------


def test_flow_steps_equal_the_flow_content() -> None:
    from_content = {fid: tuple(s.id for s in f.steps) for fid, f in content.flows().items()}
    assert from_content == FLOW_STEPS


def test_demo_apps_match_the_sandbox_registry() -> None:
    registry = Sandbox().registry
    for client_id, app in DEMO_APPS.items():
        record = registry.application(client_id)
        assert record is not None, client_id
        assert record.ClientType == app.client_type
        assert set(app.scope.split()) <= set(record.Scope.split())
        if app.redirect_uri:
            assert app.redirect_uri in record.login_redirect_uris


# --- every flow, to the end -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flow", "client_id"),
    [
        ("authorization_code", "com.example/web-portal"),
        ("authorization_code", "com.example/spa"),
        ("client_credentials", None),
        ("refresh", None),
        ("hybrid", None),
    ],
)
def test_every_flow_runs_to_the_end(flow: str, client_id: str | None) -> None:
    run = _run(flow, client_id)
    assert run.finished and run.error is None, run.error
    assert [r.step for r in run.results] == list(FLOW_STEPS[flow])
    assert _failed(run) == []
    assert all(r.exchanges for r in run.results if r.step not in ("callback", "user_callback"))


def test_authorization_code_shows_pkce_state_tokens_and_rows() -> None:
    run = _run("authorization_code")
    by_step = {r.step: r for r in run.results}
    authorize = by_step["authorize"].values
    assert authorize["code_challenge"] == s256_challenge(authorize["code_verifier"])
    assert authorize["code_challenge_method"] == "S256"
    callback = by_step["callback"].values
    assert callback["state_returned"] == callback["state_sent"] == authorize["state"]
    token_form = by_step["token"].exchanges[0].form
    assert token_form["code_verifier"] == authorize["code_verifier"]
    assert token_form["client_secret"] == "web-portal-secret"
    validate = by_step["validate"]
    assert validate.values["access_token_claims"]["sub"] == "david"
    assert validate.values["id_token_claims"]["nonce"] == authorize["nonce"]
    names = [c.name for c in validate.checks]
    assert any("signature" in n for n in names) and any("exp" in n for n in names)
    assert by_step["api_call"].values["rows"], "David sees his customers"


def test_public_client_sends_no_secret_and_gets_read_only() -> None:
    run = _run("authorization_code", "com.example/spa")
    token = next(r for r in run.results if r.step == "token")
    assert "client_secret" not in token.exchanges[0].form
    assert token.exchanges[0].request_header("authorization") is None
    assert unverified_claims(token.values["access_token"])["scope"] == ["read"]


def test_http_basic_client_authentication_works() -> None:
    sandbox = Sandbox()
    app = ClientConfig(**{**WEB_PORTAL.__dict__, "auth_method": "client_secret_basic"})
    run = FlowRun("authorization_code", sandbox.http_client(), app=app, issuer=sandbox.issuer, clock=sandbox.clock.now)
    run_to_end(run)
    assert run.error is None
    exchange = next(r for r in run.results if r.step == "token").exchanges[0]
    assert "client_secret" not in exchange.form
    scheme, _, credentials = exchange.request_header("authorization").partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode().endswith(":web-portal-secret")


def test_client_credentials_token_acts_as_the_system_user() -> None:
    run = _run("client_credentials")
    claims = next(r for r in run.results if r.step == "validate").values["access_token_claims"]
    assert claims["client_system_user"] == "sync-bot" and "sub" not in claims


def test_refresh_shows_expiry_rotation_and_refused_reuse() -> None:
    run = _run("refresh")
    by_step = {r.step: r for r in run.results}
    assert (by_step["expire"].error.status, by_step["expire"].error.code) == (401, "invalid_token")
    assert by_step["expire"].error.expected
    old = by_step["initial_tokens"].values["refresh_token"]
    assert by_step["refresh"].values["refresh_token"] != old
    reuse = by_step["reuse_refresh"]
    assert reuse.exchanges[0].form["refresh_token"] == old
    assert (reuse.error.status, reuse.error.code) == (400, "invalid_grant")


def test_hybrid_service_never_uses_davids_token() -> None:
    run = _run("hybrid")
    by_step = {r.step: r for r in run.results}
    david = by_step["user_token"].values["access_token"]
    service_call = by_step["service_api_call"].exchanges[0]
    assert david not in service_call.request_header("authorization")
    assert unverified_claims(by_step["service_token"].values["access_token"])["client_system_user"] == "sync-bot"
    david_rows = {row["Number"] for row in by_step["user_api_call"].values["rows"]}
    service_rows = {row["Number"] for row in by_step["service_api_call"].values["rows"]}
    assert david_rows and service_rows and not david_rows & service_rows


def test_refresh_without_a_movable_clock_stops_with_a_clear_error() -> None:
    sandbox = Sandbox()
    run = FlowRun("refresh", sandbox.http_client(), issuer=sandbox.issuer, clock=sandbox.clock.now)
    run_to_end(run)
    assert run.results[-1].step == "expire"
    assert run.error.code == "clock_not_movable"


# --- validation catches what it must --------------------------------------------------------------


def _run_until(run: FlowRun, step: str) -> None:
    while run.next_step != step:
        run.next()


def test_a_forged_token_fails_signature_validation() -> None:
    run = FlowRun.for_sandbox(Sandbox(), "client_credentials")
    _run_until(run, "validate")
    header, payload, signature = run.service_tokens.access_token.split(".")
    claims = unverified_claims(run.service_tokens.access_token) | {"client_system_user": "Administrator"}
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    run.service_tokens.access_token = f"{header}.{forged_payload}.{signature}"
    result = run.next()
    assert result.error.code == "invalid_token"
    assert [c.name for c in result.checks if not c.passed] == ["access token: signature"]
    assert run.finished


def test_a_token_from_another_sandbox_fails_signature_validation() -> None:
    other = _run("client_credentials")
    run = FlowRun.for_sandbox(Sandbox(), "client_credentials")
    _run_until(run, "validate")
    run.service_tokens.access_token = other.service_tokens.access_token
    assert run.next().error.code == "invalid_token"


def test_an_expired_token_fails_the_exp_check() -> None:
    sandbox = Sandbox()
    run = FlowRun.for_sandbox(sandbox, "client_credentials")
    _run_until(run, "validate")
    sandbox.clock.advance(3601)
    result = run.next()
    assert [c.name for c in result.checks if not c.passed] == ["access token: exp"]


# --- isolation --------------------------------------------------------------------------------------


def test_two_sandboxes_cannot_redeem_each_others_codes_or_tokens() -> None:
    mine, theirs = Sandbox(), Sandbox()
    run = FlowRun.for_sandbox(mine, "authorization_code", client_id=SPA.client_id)
    _run_until(run, "token")
    with theirs.http_client() as http:
        response = http.post(
            "/id/connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": SPA.client_id,
                "code": run.auth.code,
                "redirect_uri": SPA.redirect_uri,
                "code_verifier": run.auth.code_verifier,
            },
        )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    # The code is still good where it was issued, and its token works only there.
    run_to_end(run)
    assert run.error is None
    with theirs.http_client() as http:
        api = http.get(
            "/api/domain/odata/Crm_Sales_Customers",
            headers={"Authorization": f"Bearer {run.auth.tokens.access_token}"},
        )
    assert api.status_code == 401


# --- the run is session-state friendly and quiet ----------------------------------------------------


def test_results_survive_pickling_and_reset_starts_over() -> None:
    run = _run("client_credentials")
    restored = pickle.loads(pickle.dumps(run.results))
    assert [r.step for r in restored] == list(FLOW_STEPS["client_credentials"])
    run.reset()
    assert run.results == [] and not run.finished and run.next_step == "discovery"
    assert run.next().step == "discovery"


def _logged_secrets(caplog: pytest.LogCaptureFixture) -> list[str]:
    with caplog.at_level(logging.DEBUG):
        run = _run("refresh")
    secrets = secret_values(run)
    assert {"web-portal-secret", "demo"} <= secrets
    assert run.auth.tokens.access_token in secrets and run.auth.tokens.refresh_token in secrets
    logged = "\n".join(r.getMessage() for r in caplog.records)
    return [s for s in secrets if len(s) >= 8 and s in logged]


def test_nothing_in_the_process_logs_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    assert _logged_secrets(caplog) == []


def test_unknown_flow_and_foreign_mistake_are_refused() -> None:
    sandbox = Sandbox()
    with pytest.raises(ValueError, match="unknown flow"):
        FlowRun("implicit", sandbox.http_client())
    with pytest.raises(ValueError, match="password_grant"):
        FlowRun.for_sandbox(sandbox, "authorization_code", mistake="password_grant")


# --- reading the identity service's pages and errors --------------------------------------------------


def test_page_parser_reads_forms_and_error_pages() -> None:
    page = parse_page(
        '<form method="post" action="/id/connect/consent"><input type="hidden" name="request_id" value="r1">'
        '<button type="submit" name="decision" value="allow">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    form = page.form_with_button("decision")
    assert form.action == "/id/connect/consent" and form.method == "post"
    assert form.fields == {"request_id": "r1"}
    assert form.buttons == [("decision", "allow"), ("decision", "deny")]
    error = parse_page('<main data-error="invalid_client"><h1>Refused</h1><p>No such app.</p></main>')
    assert (error.error, error.error_text) == ("invalid_client", "No such app.")


def test_error_of_reads_www_authenticate() -> None:
    run = _run("client_credentials")
    exchange = run.results[-1].exchanges[0]
    exchange.status = 403
    exchange.response_headers = [("www-authenticate", 'Bearer error="insufficient_scope", scope="update"')]
    exchange.response_body = ""
    error = error_of(exchange)
    assert (error.code, error.status) == ("insufficient_scope", 403)


# --- a hostile provider ----------------------------------------------------------------------------

HOSTILE_ISSUER = "https://idp.example/id"


def _hostile_run(discovery: dict | None = None, token: dict | None = None, raw_discovery: bytes | None = None):
    """A Client Credentials run against a provider whose discovery or token answer is odd."""
    doc = {
        "issuer": HOSTILE_ISSUER,
        "token_endpoint": HOSTILE_ISSUER + "/connect/token",
        "jwks_uri": HOSTILE_ISSUER + "/.well-known/jwks",
        "grant_types_supported": ["client_credentials"],
    } | (discovery or {})
    answer = {"access_token": "a.b.c", "token_type": "Bearer", "expires_in": 3600} | (token or {})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            if raw_discovery is not None:
                return httpx.Response(200, content=raw_discovery, headers={"Content-Type": "application/json"})
            return httpx.Response(200, json=doc)
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"error": "not_found"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    run = FlowRun("client_credentials", http, app=DEMO_APPS["com.example/nightly-sync"], issuer=HOSTILE_ISSUER)
    run_to_end(run)
    return run


@pytest.mark.parametrize(
    ("discovery", "token", "step"),
    [
        ({"grant_types_supported": [1]}, None, "discovery"),
        (None, {"expires_in": "3600s"}, "token"),
        (None, {"access_token": {"not": "a string"}}, "token"),
        (None, {"scope": ["read"], "refresh_token": 5}, "token"),
    ],
)
def test_odd_provider_json_stops_the_run_with_one_sentence(discovery, token, step) -> None:
    run = _hostile_run(discovery, token)
    assert run.error is not None and run.error.code == "invalid_response"
    assert run.results[-1].step == step
    assert run.error.description and "\n" not in run.error.description and "Traceback" not in run.error.description


def test_deeply_nested_json_is_not_json() -> None:
    run = _hostile_run(raw_discovery=b"[" * 100_000 + b"]" * 100_000)
    assert run.error is not None and run.error.code == "invalid_discovery"


def test_a_refused_user_type_is_named_not_blamed_on_the_password() -> None:
    petra = UserCredentials("petra", "demo")
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code", client_id="com.example/web-portal")
    run.user = petra
    run_to_end(run)
    assert run.error is not None and run.error.code == "sign_in_failed"
    assert "ImpersonateAsCommunityUserAllowed" in run.error.description
    wrong = FlowRun.for_sandbox(Sandbox(), "authorization_code")
    wrong.user = UserCredentials("david", "not-demo")
    run_to_end(wrong)
    assert wrong.error is not None and "not right" in wrong.error.description


def test_page_parser_reads_the_alert() -> None:
    page = parse_page('<main><p role="alert">Account <b>locked</b>.</p><form><input type="password" name="p"></form>')
    assert page.alert_text == "Account locked."
