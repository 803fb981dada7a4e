"""The steps between the application and the identity service or the API, with no browser in between:
token requests (RFC 6749 §4.1.3, §4.4, §6), validating what came back (one verifier:
:func:`flowguide.tokens.verify`), and API calls with a bearer token (RFC 6750).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowguide.client import requests
from flowguide.client.config import ClientConfig
from flowguide.client.responses import error_of
from flowguide.client.results import OddResponse, StepError, StepResult, Tokens
from flowguide.tokens import Verification, unverified_claims, verify
from flowguide.transcript import Exchange

if TYPE_CHECKING:
    from flowguide.client.run import FlowRun

API_ENTITY = "Crm_Sales_Customers"
_STRING_FIELDS = ("access_token", "refresh_token", "id_token", "scope", "token_type")


def actor_of(app: ClientConfig) -> str:
    """Who makes an application's back-channel calls: a public client has no back end."""
    if not app.redirect_uri:
        return "service"
    return "web app back end" if app.confidential else "single-page app"


def token_request(
    run: FlowRun, r: StepResult, form: dict[str, str], app: ClientConfig, actor: str, label: str
) -> tuple[dict[str, Any] | None, Exchange]:
    """POST to the token endpoint as the application; the body when it holds an access token."""
    secret = run.mistake.client_secret(app.client_secret)
    data, headers = requests.client_authentication(app, form, secret)
    _, ex = run.send(r, "POST", run.discovery["token_endpoint"], actor, label, data=data, headers=headers)
    body = ex.response_json()
    if ex.status == 200 and isinstance(body, dict) and body.get("access_token"):
        return body, ex
    return None, ex


def _refusal(ex: Exchange) -> StepError:
    """Why a token request bought no token: the error it carries, or (RFC 6749 §5.1) the access_token it lacks."""
    return error_of(ex) or StepError(
        "invalid_response", "The token endpoint answered without an access_token.", ex.status
    )


def _expires_in(body: dict[str, Any]) -> int:
    value = body.get("expires_in", 0) or 0
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        return int(value)
    except (ValueError, OverflowError):
        raise OddResponse(
            "The token endpoint's expires_in is not a number of seconds, so the tokens were not used."
        ) from None


def store_tokens(r: StepResult, body: dict[str, Any], into: Tokens) -> None:
    """Keep what the token endpoint issued, after checking each field has the shape RFC 6749 §5.1 gives it."""
    for name in _STRING_FIELDS:
        if not isinstance(body.get(name, ""), str):
            raise OddResponse(f"The token endpoint's {name} is not a string, so the tokens were not used.")
    into.expires_in = _expires_in(body)
    into.access_token = body.get("access_token", "")
    into.refresh_token = body.get("refresh_token", "")
    into.id_token = body.get("id_token", "")
    into.scope = body.get("scope", "")
    r.values |= {
        "access_token": into.access_token,
        "token_type": body.get("token_type", ""),
        "expires_in": into.expires_in,
        "scope": into.scope,
    }
    r.values |= {k: v for k, v in (("refresh_token", into.refresh_token), ("id_token", into.id_token)) if v}
    r.values["access_token_claims"] = unverified_claims(into.access_token)
    r.check("token_type is Bearer", str(body.get("token_type", "")).lower() == "bearer")


def redeem_code(run: FlowRun, r: StepResult, app: ClientConfig) -> None:
    """Exchange the code and the PKCE verifier for tokens."""
    a = run.auth
    a.sent_verifier = run.mistake.code_verifier(a.code_verifier)
    form = requests.code_exchange_form(a.code, a.redirect_uri, a.sent_verifier)
    r.values |= {"code": a.code, "code_verifier": a.sent_verifier}
    body, ex = token_request(run, r, form, app, actor_of(app), "code for tokens")
    if body is None:
        r.error = _refusal(ex)
        return
    store_tokens(r, body, a.tokens)
    run.mistake.after_code_redeemed(run, r, form)


def redeem_same_code_again(run: FlowRun, r: StepResult, form: dict[str, str]) -> None:
    """The code a second time: refused, and (RFC 6749 §4.1.2) the tokens it first bought revoked."""
    again, ex = token_request(run, r, dict(form), run.app, actor_of(run.app), "the same code again")
    error = error_of(ex) if again is None else StepError("code_accepted_twice", "", ex.status)
    headers = requests.bearer(run.auth.tokens.access_token)
    _, api = run.send(r, "GET", api_url(run), actor_of(run.app), "API call with the first token", headers=headers)
    r.check("the tokens issued for the replayed code are revoked", api.status == 401, str(api.status))
    r.error = error


def client_credentials(run: FlowRun, r: StepResult, app: ClientConfig) -> None:
    """The service asks for a token with its own credentials."""
    form = run.mistake.client_credentials_form(requests.client_credentials_form(app.scope))
    r.values["scope_requested"] = app.scope
    body, ex = token_request(run, r, form, app, "service", "token request")
    if body is None:
        r.error = _refusal(ex)
        return
    store_tokens(r, body, run.service_tokens)
    r.check("no refresh token (Client Credentials asks again instead)", not run.service_tokens.refresh_token)


def redeem_refresh_token(
    run: FlowRun,
    r: StepResult,
    refresh_token: str,
    label: str = "refresh token for new tokens",
    expect: tuple[int, str] | None = None,
    rotation_required: bool = True,
) -> None:
    """Redeem a refresh token (RFC 6749 §6); the product rotates it on every use."""
    r.values["sent_refresh_token"] = refresh_token
    body, ex = token_request(run, r, requests.refresh_form(refresh_token), run.app, actor_of(run.app), label)
    if expect is not None:
        expect_refusal(r, ex, expect)
        return
    if body is None:
        r.error = _refusal(ex)
        return
    run.old_refresh_token = refresh_token
    run.auth.refreshed = True
    store_tokens(r, body, run.auth.tokens)
    rotated = bool(run.auth.tokens.refresh_token) and run.auth.tokens.refresh_token != refresh_token
    r.values["refresh_token_rotated"] = rotated
    if rotation_required:
        r.check("the refresh token was rotated (a new one came back)", rotated)


def api_url(run: FlowRun) -> str:
    return f"{run.api_base}/{API_ENTITY}?$top=10"


def call_api(run: FlowRun, r: StepResult, access_token: str, actor: str, expect: tuple[int, str] | None = None) -> None:
    """GET the customers with a bearer token; the rows are the step's values."""
    _, ex = run.send(r, "GET", api_url(run), actor, f"GET {API_ENTITY}", headers=requests.bearer(access_token))
    if expect is not None:
        expect_refusal(r, ex, expect)
        return
    if (err := error_of(ex)) is not None:
        r.error = err
        return
    body = ex.response_json()
    rows = body.get("value", []) if isinstance(body, dict) else body
    r.values["rows"] = rows
    r.check("the API answered with rows", isinstance(rows, list), f"{len(rows or [])} rows")


def expect_refusal(r: StepResult, ex: Exchange, expect: tuple[int, str]) -> None:
    """The flow shows this refusal on purpose: record it as an expected error, or stop if it is missing."""
    status, code = expect
    err = error_of(ex)
    met = err is not None and err.status == status and err.code == code
    r.check(f"refused with {status} {code}", met, f"{ex.status} {err.code if err else ''}".strip())
    if met and err is not None:
        err.expected = True
    r.error = err or StepError("unexpected_success", f"expected {status} {code}", ex.status)


def _judge(r: StepResult, what: str, verification: Verification) -> None:
    key = what.replace(" ", "_").lower()
    if verification.claims is not None:
        r.values[f"{key}_claims"] = verification.claims
        r.values[f"{key}_header"] = verification.header
    for check in verification.checks:
        r.check(f"{what}: {check.name}", check.passed is not False, check.sentence)


def expectations(run: FlowRun, kind: str, app: ClientConfig | None = None) -> dict[str, Any]:
    """What the client expects of a token it holds, for tokens.verify: the one source for every verdict shown."""
    if kind == "id":
        # OpenID Connect Core §3.1.3.7: aud is the client_id; the nonce is checked on the sign-in's ID token.
        nonce = None if run.auth.refreshed else run.auth.nonce
        return {"audience": (app or run.app).client_id, "kind": "id", "nonce": nonce}
    return {"audience": run.audience, "kind": "access"}


def validate(run: FlowRun, r: StepResult, tokens: Tokens, app: ClientConfig) -> None:
    """Fetch the JWKS and verify the tokens held: signature, typ, iss, aud, nonce and times."""
    _, ex = run.send(r, "GET", run.discovery["jwks_uri"], actor_of(app), "signing keys")
    jwks = ex.response_json()
    if (err := error_of(ex)) is not None or not isinstance(jwks, dict):
        r.error = err or StepError("invalid_jwks", "the signing keys are not a JSON key set", ex.status)
        return
    now = run.clock()
    _judge(r, "access token", verify(tokens.access_token, jwks, run.issuer, now=now, **expectations(run, "access")))
    if tokens.id_token:
        _judge(r, "ID token", verify(tokens.id_token, jwks, run.issuer, now=now, **expectations(run, "id", app)))
    if failed := r.failed():
        r.error = StepError("invalid_token", "failed: " + "; ".join(failed))


def service_call_checks(run: FlowRun, r: StepResult, token: str) -> None:
    """The hybrid's service must act as its System User, never with the person's token."""
    claims = unverified_claims(token)
    r.check("the service did not use David's token", token != run.auth.tokens.access_token)
    r.check(
        "the token acts as the System User (client_system_user, no sub)",
        "client_system_user" in claims and "sub" not in claims,
        str(claims.get("client_system_user", "")),
    )
