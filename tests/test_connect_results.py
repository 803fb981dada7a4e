"""What /connect says besides the provider's words: the client's own refusals worded as the client's,
what the provider dropped from what was asked, and which values of a curl command carry over."""

from __future__ import annotations

import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest

from flowguide.client import NIGHTLY_SYNC, FlowRun, StepResult, run_to_end
from flowguide.connect import connect_http, fetch_provider, make_run
from flowguide.connect_results import client_refusal, curl_note, dropped
from flowguide.content import brand
from flowguide.sandbox import Sandbox
from flowguide.transcript import Exchange


def _validated_with(access_token: str | None = None, audience: str = "DomainAPI") -> StepResult:
    """A finished web-portal sign-in on an in-process sandbox, validated again holding ``access_token``."""
    sandbox = Sandbox()
    run = FlowRun.for_sandbox(sandbox, "authorization_code")
    run_to_end(run)
    assert run.error is None
    run.audience = audience
    if access_token is not None:
        run.auth.tokens.access_token = access_token
    return run.validate()


def test_an_audience_the_client_does_not_accept_is_the_clients_refusal() -> None:
    result = _validated_with(audience="SomeOtherAPI")
    assert result.error is not None and result.error.code == "invalid_token"
    said = client_refusal(result)
    assert said is not None
    assert said.startswith('Your client refused the token: access token: aud ("SomeOtherAPI" is not among')
    assert "The provider issued it; these are the client's own checks." in said


def test_an_id_token_held_as_the_access_token_fails_typ() -> None:
    sandbox = Sandbox()
    run = FlowRun.for_sandbox(sandbox, "authorization_code")
    run_to_end(run)
    run.auth.tokens.access_token = run.auth.tokens.id_token
    said = client_refusal(run.validate()) or ""
    assert said.startswith("Your client refused the token:") and 'access token: typ (typ is "JWT", not "at+jwt"' in said


def test_an_opaque_token_is_said_to_be_unreadable_by_the_client() -> None:
    said = client_refusal(_validated_with(access_token="an-opaque-reference-token-0123456789")) or ""
    assert said.startswith("Your client refused the token: access token: format")
    assert "an opaque or reference token" in said


def test_the_providers_refusal_stays_the_providers() -> None:
    sandbox = Sandbox()
    run = FlowRun.for_sandbox(sandbox, "client_credentials")
    run_to_end(run)
    run.service_tokens.access_token = "not-a-token-the-api-knows"
    result = run.call_api(run.api_base + "/Crm_Sales_Customers")
    assert result.error is not None and (result.error.code, result.error.status) == ("invalid_token", 401)
    assert client_refusal(result) is None


def _connected_cc(served: Sandbox, audience: str) -> AppTest:
    at = run_page("connect", {"instance": served.base_url, "flow": "client_credentials"})
    next(b for b in at.button if b.label == "Connect").click()
    at = at.run()
    at.text_input(key="connect_audience").input(audience)
    at.text_input(key="connect_cc_client_id").input(NIGHTLY_SYNC.client_id)
    at.text_input(key="connect_cc_secret").input(NIGHTLY_SYNC.client_secret or "")
    next(b for b in at.button if b.label == "Request a token").click()
    return at.run()


def test_the_page_words_the_clients_refusal_as_the_clients(served: Sandbox) -> None:
    at = _connected_cc(served, "SomeOtherAPI")
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors[0].startswith("Your client refused the token: access token: aud"), errors
    assert errors[0].endswith("The provider issued it; these are the client's own checks.")
    # The token view below agrees; nowhere is the refusal put in the provider's words.
    assert errors[1:] == ["Not valid: 1 check failed against the provider's published keys."]
    assert not any("invalid_token" in e for e in errors)
    shown = "\n".join(m.value for m in at.markdown)
    assert f"What {brand().name}'s documentation says" not in shown


def test_the_page_shows_the_whole_refusal_of_an_opaque_token(served: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # The sandbox issues JWTs only; a provider with reference tokens answers as this one does.
    from flowguide.client import back_channel

    real = back_channel.store_tokens
    monkeypatch.setattr(
        back_channel, "store_tokens", lambda r, body, into: real(r, body | {"access_token": "opaque-0123456789"}, into)
    )
    at = _connected_cc(served, "DomainAPI")
    assert not at.exception
    refusal = next(e.value.replace("\\", "") for e in at.error if "Your client refused" in e.value)
    assert refusal.startswith("Your client refused the token: access token: format")
    assert refusal.endswith("the client cannot read or verify it.")


# --- what the provider dropped ---------------------------------------------------------------------


def test_a_dropped_offline_access_is_said() -> None:
    asked = "openid profile offline_access read"
    no_refresh = dropped(asked, "openid profile read", "")
    assert len(no_refresh) == 1
    assert no_refresh[0].startswith(
        "You asked for offline_access, but no refresh token came back, and the scope granted leaves "
        "offline_access out: the provider dropped it."
    )
    assert dropped(asked, "", "")[0].startswith("You asked for offline_access, but no refresh token came back:")
    unlisted = dropped(asked, "read", "r1")
    assert len(unlisted) == 1 and unlisted[0].startswith(
        "You asked for offline_access and a refresh token came back, but the scope granted (read) leaves"
    )
    # Granted as asked (or no scope in the answer, RFC 6749 §5.1, with a refresh token): nothing to say.
    assert dropped(asked, asked, "r1") == [] and dropped(asked, "", "r1") == []
    assert dropped("read", "read", "") == []


def test_other_dropped_scopes_are_named() -> None:
    said = dropped("openid profile read update", "read", "")
    assert said == [
        "The provider granted less than asked: update is not in the scope granted (read), "
        "so the token cannot do what it allows."
    ]


def test_the_page_says_when_offline_access_was_dropped(served: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # The sandbox never drops it; a provider that does answers as this one: no refresh token, a narrower scope.
    from flowguide.client import back_channel

    real = back_channel.store_tokens

    def narrower(r, body, into):  # type: ignore[no-untyped-def]
        real(r, {k: v for k, v in body.items() if k != "refresh_token"} | {"scope": "read"}, into)

    monkeypatch.setattr(back_channel, "store_tokens", narrower)
    at = run_page("connect", {"instance": served.base_url, "flow": "client_credentials"})
    next(b for b in at.button if b.label == "Connect").click()
    at = at.run()
    at.text_input(key="connect_cc_client_id").input(NIGHTLY_SYNC.client_id)
    at.text_input(key="connect_cc_secret").input(NIGHTLY_SYNC.client_secret or "")
    at.text_input(key="connect_cc_scope").input("read update")
    next(b for b in at.button if b.label == "Request a token").click()
    at = at.run()
    assert not at.exception
    warnings = [w.value.replace("\\", "") for w in at.warning]
    expected = "The provider granted less than asked: update is not in the scope granted"
    assert any(w.startswith(expected) for w in warnings), warnings


# --- curl: what carries over ----------------------------------------------------------------------


def _form_post(body: str, headers: list[tuple[str, str]] | None = None) -> Exchange:
    return Exchange(
        "POST",
        "https://acme.my.erp.net/id/connect/token",
        [("content-type", "application/x-www-form-urlencoded"), *(headers or [])],
        body,
        400,
        [],
        "",
        1.0,
        actor="web app back end",
    )


def test_the_curl_note_says_which_values_carry_over(served: Sandbox) -> None:
    provider = fetch_provider(served.base_url, allow_private=True)
    with connect_http(allow_private=True) as http:
        service = make_run(provider, "client_credentials", NIGHTLY_SYNC, http)
        service.discover()
        token = service.client_credentials_token()
        api = service.call_api(service.api_base + "/$metadata")
    assert curl_note(token.exchanges[0]) == (
        "Runs as shown from a machine that reaches this address; your client secret carries over, "
        "so keep this command to yourself."
    )
    assert curl_note(api.exchanges[0]) == (
        "Runs as shown from a machine that reaches this address; the access token works until it expires (its exp)."
    )
    code = curl_note(_form_post("grant_type=authorization_code&code=c1&code_verifier=v1&client_id=spa"))
    assert "the authorization code is single-use and lives minutes" in code and "invalid_grant" in code
    assert "client secret" not in code
    refresh = curl_note(_form_post("grant_type=refresh_token&refresh_token=r1", [("authorization", "Basic eDp5")]))
    assert "spent once used" in refresh and "your client secret carries over" in refresh
