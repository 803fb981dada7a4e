"""Every check the client makes on what comes back refuses what it must (each test fails without its check)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from flowguide import content
from flowguide.client import FlowRun, config, steps
from flowguide.client.mistakes import MISTAKES
from flowguide.sandbox import Sandbox

REDIRECT_URI = "http://localhost:8501/callback"


def _to_consent(flow: str = "authorization_code") -> FlowRun:
    """A run whose browser has just been sent back to the redirect URI, callback not yet read."""
    run = FlowRun.for_sandbox(Sandbox(), flow)
    for _ in range(4):
        assert run.next().ok, run.results[-1]
    assert run.auth.location.startswith(REDIRECT_URI + "?")
    return run


def _with_params(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return urlunsplit(parts._replace(query=urlencode(params)))


def _failed(result) -> list[str]:
    return [c.name for c in result.checks if not c.passed]


# --- state (RFC 6749 §10.12: the CSRF defence) ---------------------------------------------------------


def test_a_callback_with_no_state_is_refused_and_its_code_not_kept() -> None:
    run = _to_consent()
    result = run.accept_callback(_with_params(run.auth.location, state=None))
    assert result.error is not None and result.error.code == "state_mismatch"
    assert run.auth.code == ""


def test_a_callback_with_an_empty_state_is_refused() -> None:
    run = _to_consent()
    result = run.accept_callback(_with_params(run.auth.location, state=""))
    assert result.error is not None and result.error.code == "state_mismatch"
    assert run.auth.code == ""


def test_a_pasted_callback_with_no_request_outstanding_is_refused() -> None:
    # A forged link: the run never sent an authorization request, so there is no state to match.
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code")
    assert run.discover().ok
    for url in (f"{REDIRECT_URI}?code=abc", f"{REDIRECT_URI}?code=abc&state=", f"{REDIRECT_URI}?code=abc&state=x"):
        result = run.accept_callback(url)
        assert result.error is not None and result.error.code == "state_mismatch", url
        assert run.auth.code == ""


def test_a_callback_with_the_right_state_is_kept() -> None:
    run = _to_consent()
    result = run.accept_callback(run.auth.location)
    assert result.ok and run.auth.code
    assert run.redeem_code().ok


def test_a_callback_at_another_address_is_refused_and_its_code_not_kept() -> None:
    run = _to_consent()
    elsewhere = run.auth.location.replace(REDIRECT_URI, "http://localhost:8501/elsewhere")
    result = run.accept_callback(elsewhere)
    assert _failed(result) == ["the browser came back to the registered redirect URI"]
    assert run.auth.code == ""


# --- iss on the callback (RFC 9207) -----------------------------------------------------------------------


def test_a_callback_naming_another_issuer_is_refused() -> None:
    run = _to_consent()
    result = run.accept_callback(_with_params(run.auth.location, iss="https://attacker.example/id"))
    assert result.error is not None
    assert _failed(result) == ["iss in the callback is the issuer"]
    assert run.auth.code == ""


def test_a_callback_naming_the_issuer_is_kept() -> None:
    run = _to_consent()
    result = run.accept_callback(_with_params(run.auth.location, iss=run.issuer))
    assert result.ok and run.auth.code


def test_a_callback_without_iss_is_refused_when_the_provider_says_it_sends_one() -> None:
    # RFC 9207 §2.4: a client that knows the provider sends iss must reject a response without it.
    run = _to_consent()
    run.discovery = run.discovery | {"authorization_response_iss_parameter_supported": True}
    result = run.accept_callback(_with_params(run.auth.location, iss=None))
    assert result.error is not None
    assert _failed(result) == ["iss in the callback is the issuer"]
    assert run.auth.code == ""


# --- the tokens (one verifier: flowguide.tokens.verify) -----------------------------------------------


def _to_validate(flow: str = "authorization_code") -> FlowRun:
    run = FlowRun.for_sandbox(Sandbox(), flow)
    while run.next_step != "validate":
        assert run.next().ok, run.results[-1]
    return run


def test_the_id_token_nonce_must_match_the_one_sent() -> None:
    run = _to_validate()
    run.auth.nonce = "a-nonce-from-another-sign-in"
    result = run.validate()
    assert result.error is not None and result.error.code == "invalid_token"
    assert _failed(result) == ["ID token: nonce"]


def test_an_id_token_without_the_nonce_sent_is_refused() -> None:
    run = _to_validate()
    run.auth.nonce = ""
    result = run.validate()
    assert _failed(result) == ["ID token: nonce"]


def test_the_nonce_check_passes_for_the_nonce_sent() -> None:
    run = _to_validate()
    result = run.validate()
    assert result.ok, _failed(result)
    assert any(c.name == "ID token: nonce" and c.passed for c in result.checks)


def test_an_access_token_for_another_audience_is_refused() -> None:
    run = _to_validate()
    run.audience = "SomeOtherAPI"
    result = run.validate()
    assert result.error is not None and result.error.code == "invalid_token"
    assert _failed(result) == ["access token: aud"]


def test_the_id_token_audience_must_be_the_client_id() -> None:
    run = _to_validate()
    run.app = type(run.app)(**{**run.app.__dict__, "client_id": "com.example/someone-else"})
    result = run.validate()
    assert _failed(result) == ["ID token: aud"]


def test_a_token_from_another_issuer_is_refused() -> None:
    run = _to_validate()
    run.issuer = "https://other.example/id"
    result = run.validate()
    assert set(_failed(result)) == {"access token: iss", "ID token: iss"}


def test_an_expired_access_token_is_refused_at_validation() -> None:
    sandbox = Sandbox()
    run = FlowRun.for_sandbox(sandbox, "client_credentials")
    while run.next_step != "validate":
        assert run.next().ok
    sandbox.clock.advance(3600 + 1)
    result = run.validate()
    assert _failed(result) == ["access token: exp"]


# --- one discovery document per run --------------------------------------------------------------------


def test_a_run_given_the_checked_discovery_document_never_fetches_another() -> None:
    requests: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        # A second copy that differs from the one the page checked: it must never be used.
        return httpx.Response(200, json={"issuer": "https://evil.example/id", "grant_types_supported": []})

    checked = {
        "issuer": "https://acme.example/id",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint": "https://acme.example/id/connect/token",
        "jwks_uri": "https://acme.example/id/.well-known/openid-configuration/jwks",
    }
    http = httpx.Client(transport=httpx.MockTransport(provider))
    run = FlowRun("client_credentials", http, issuer="https://acme.example/id", discovery=checked)
    result = run.discover()
    assert result.ok and requests == []
    assert run.discovery["token_endpoint"] == "https://acme.example/id/connect/token"


# --- content owns the step ids, the mistakes and the demo applications -----------------------------------


def test_every_mistake_in_the_catalogue_has_a_hook_and_no_hook_is_unlisted() -> None:
    assert set(MISTAKES) == set(content.mistakes())


def test_a_flow_table_that_disagrees_with_its_narrative_is_a_content_error(monkeypatch) -> None:
    monkeypatch.setattr(steps, "flow_steps", lambda: {"client_credentials": ("discovery", "token", "api_call")})
    with pytest.raises(content.ContentError, match="flows/client_credentials.yaml: steps"):
        steps.flow_table("client_credentials")


def test_the_step_ids_are_the_narratives(monkeypatch) -> None:
    assert FlowRun.for_sandbox(Sandbox(), "client_credentials").steps == ("discovery", "token", "validate", "api_call")


def test_a_flow_naming_an_unregistered_application_is_a_content_error(monkeypatch) -> None:
    real = content.flows()
    changed = {k: v.model_copy(update={"application": "com.example/nobody"}) for k, v in real.items()}
    monkeypatch.setattr(content, "flows", lambda: changed)
    config.default_apps.cache_clear()
    try:
        with pytest.raises(content.ContentError, match="com.example/nobody"):
            config.default_apps()
    finally:
        config.default_apps.cache_clear()


def test_the_demo_applications_come_from_the_registry() -> None:
    apps = config.demo_apps()
    assert apps["com.example/web-portal"].client_secret == "web-portal-secret"
    assert apps["com.example/web-portal"].redirect_uri == "http://localhost:8501/callback"
    assert apps["com.example/spa"].client_secret is None and apps["com.example/spa"].client_type == "Public"
    assert config.mistake_apps()["disabled_application"].client_id == "com.example/legacy-report"


# --- one verdict: the simulator's token panels judge as the client did -----------------------------------


def test_the_simulators_token_panels_give_the_clients_own_verdict() -> None:
    from flowguide.pages.step_view import _expectations
    from flowguide.simulation import Simulation
    from flowguide.tokens import verify

    sim = Simulation(Sandbox(), "authorization_code")
    while sim.run.next_step != "validate":
        sim.next()
    sim.run.auth.nonce = "not-the-nonce-sent"  # one check the client must fail, and so must the panel
    validate = sim.next()
    client = {c.name: c.passed for c in validate.checks}
    jwks = sim.sandbox.jwks()
    for label, token in (
        ("access token", sim.run.auth.tokens.access_token),
        ("ID token", sim.run.auth.tokens.id_token),
    ):
        panel = verify(
            token, jwks, sim.sandbox.issuer, now=sim.now(), **_expectations(sim, label.replace("access", "Access"))
        )
        assert {f"{label}: {c.name}": c.passed for c in panel.checks} == {
            k: v for k, v in client.items() if k.startswith(f"{label}: ")
        }
    assert client["ID token: nonce"] is False


def test_the_connect_metadata_table_shows_no_bidi_controls() -> None:
    from flowguide.connect import metadata_rows

    rows = metadata_rows(
        {"issuer": "https://acme.example/id\u202egpj.exe", "scopes_supported": ["read\u2066", "update"]}
    )
    values = {r["field"]: r["value"] for r in rows}
    assert values["issuer"] == "https://acme.example/idgpj.exe"
    assert values["scopes_supported"] == "read update"


# --- code id_token with form_post (the documentation's web-app samples) ------------------------------------


def _form_post_to_consent() -> FlowRun:
    app = config.app_choices("authorization_code")["web_form_post"].app
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code", app=app)
    for _ in range(4):
        assert run.next().ok, run.results[-1]
    assert run.auth.browser.posted, "the answer came as a form posted to the redirect URI"
    return run


def test_code_id_token_with_form_post_reaches_the_api() -> None:
    run = _form_post_to_consent()
    assert run.results[1].exchanges[0].url.count("response_type=code+id_token") == 1
    assert run.auth.location == REDIRECT_URI
    while not run.finished:
        assert run.next().ok, run.results[-1]
    callback = next(r for r in run.results if r.step == "callback")
    passed = {c.name for c in callback.checks if c.passed}
    assert {"ID token from the authorize endpoint: c_hash", "ID token from the authorize endpoint: nonce"} <= passed


def test_a_code_swapped_under_the_front_channel_id_token_is_refused() -> None:
    # An attacker's code injected beside the victim's ID token: c_hash no longer matches (OIDC Core §3.3.2.10).
    run = _form_post_to_consent()
    run.auth.browser.posted["code"] = "another-code"
    result = run.next()
    assert result.error is not None and result.error.code == "invalid_token"
    assert _failed(result) == ["ID token from the authorize endpoint: c_hash"]
    assert run.auth.code == ""


def test_a_form_post_answer_without_its_id_token_is_refused() -> None:
    run = _form_post_to_consent()
    del run.auth.browser.posted["id_token"]
    result = run.next()
    assert _failed(result) == ["an ID token came with the code (code id_token)"]
    assert run.auth.code == ""


def test_the_answer_is_read_from_the_form_then_the_fragment_then_the_query() -> None:
    from flowguide.client.front_channel import answer_of

    assert answer_of(f"{REDIRECT_URI}?code=q&state=s", {}) == {"code": "q", "state": "s"}
    assert answer_of(f"{REDIRECT_URI}#code=f&state=s", {}) == {"code": "f", "state": "s"}
    assert answer_of(f"{REDIRECT_URI}?code=q", {"code": "p", "id_token": "t"}) == {"code": "p", "id_token": "t"}
