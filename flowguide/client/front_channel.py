"""The steps that happen in the person's browser: discovery, the authorization request, the identity
service's sign-in and consent pages, and the callback with its checks.

Discovery: OpenID Connect Discovery 1.0 §4. Authorization request: RFC 6749 §4.1.1 with PKCE (RFC 7636)
and the OpenID nonce. Callback: RFC 6749 §4.1.2 and §10.12 (state), RFC 9207 (iss).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urljoin, urlsplit

from flowguide.client import requests
from flowguide.client.config import ClientConfig
from flowguide.client.responses import error_of
from flowguide.client.results import OddResponse, StepError, StepResult
from flowguide.pkce import S256_FORMULA, make_code_verifier, make_nonce, make_state, s256_challenge
from flowguide.tokens import verify
from flowguide.transcript import Exchange

if TYPE_CHECKING:
    from flowguide.client.run import FlowRun

DISCOVERY_PATH = "/.well-known/openid-configuration"
# A browser gives up on a redirect chain longer than this.
MAX_REDIRECTS = 5


def discover(run: FlowRun, r: StepResult, actor: str) -> None:
    """Read the discovery document (once per run) and check it names the issuer and the grant needed."""
    doc = run.published_discovery
    if doc is None:
        _, ex = run.send(r, "GET", run.issuer.rstrip("/") + DISCOVERY_PATH, actor, "discovery document")
        doc = ex.response_json()
        if (err := error_of(ex)) or not isinstance(doc, dict):
            r.error = err or StepError("invalid_discovery", "the discovery document is not JSON", ex.status)
            return
    run.discovery = doc
    r.check("issuer is the instance's identity service", doc.get("issuer") == run.issuer, str(doc.get("issuer", "")))
    grants = doc.get("grant_types_supported") or []
    if not isinstance(grants, list) or not all(isinstance(g, str) for g in grants):
        raise OddResponse("The discovery document's grant_types_supported is not a list of names.")
    needed = "client_credentials" if actor == "service" else "authorization_code"
    r.check(f"{needed} is a supported grant", needed in grants, " ".join(grants))
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        r.values[key] = doc.get(key, "")


def start_authorization(run: FlowRun, r: StepResult, app: ClientConfig) -> dict[str, str]:
    """A fresh verifier, S256 challenge, state and nonce, and the authorization request's parameters."""
    verifier = make_code_verifier()
    # OpenID Connect Core §3.3.2.11: an ID token from the authorization endpoint needs a nonce.
    nonce = make_nonce() if "openid" in app.scope.split() or "id_token" in app.response_type else ""
    wanted = requests.authorization_params(
        app,
        redirect_uri=app.redirect_uri or "",
        scope=app.scope,
        state=make_state(),
        code_challenge=s256_challenge(verifier),
        nonce=nonce,
    )
    params = run.mistake.authorization_params(wanted)
    challenge = params.get("code_challenge", "")
    run.new_authorization(
        code_verifier=verifier if challenge else "",
        code_challenge=challenge,
        state=params["state"],
        nonce=nonce,
        redirect_uri=params["redirect_uri"],
    )
    r.values |= {
        "code_verifier": run.auth.code_verifier,
        "code_challenge": challenge or "(not sent)",
        "code_challenge_method": params.get("code_challenge_method", "(not sent)"),
        "challenge_computation": S256_FORMULA,
        "state": params["state"],
        "nonce": nonce,
        "scope": params["scope"],
        "redirect_uri": params["redirect_uri"],
    }
    return params


def authorize(run: FlowRun, r: StepResult, app: ClientConfig) -> None:
    """Send the browser to the authorization endpoint and follow it to the sign-in page."""
    params = start_authorization(run, r, app)
    _, ex = run.send(
        r, "GET", run.discovery["authorization_endpoint"], "browser", "authorization request", params=params
    )
    r.values["authorization_url"] = ex.url
    if ex.status >= 400:
        r.check("the browser was not redirected to an unregistered URI", ex.location is None)
        r.error = error_of(ex)
        return
    follow(run, r, ex)


def _inside_identity_service(run: FlowRun, url: str) -> bool:
    return url == run.issuer or url.startswith(run.issuer.rstrip("/") + "/")


def follow(run: FlowRun, r: StepResult, ex: Exchange) -> None:
    """Follow the identity service's own redirects until a page, or until it sends the browser away."""
    for _ in range(MAX_REDIRECTS):
        if not (300 <= ex.status < 400 and ex.location):
            break
        target = urljoin(ex.url, ex.location)
        if target.startswith(run.auth.redirect_uri or "\0") or not _inside_identity_service(run, target):
            run.auth.browser.location = target
            r.values["location"] = target
            r.error = error_of(ex)
            return
        _, ex = run.send(r, "GET", target, "browser", "identity service redirect")
    if (err := error_of(ex)) is not None:
        r.error = err
        return
    run.auth.browser.show(ex.response_body, ex.url)
    _post_answer(run, r)


def _post_answer(run: FlowRun, r: StepResult) -> None:
    """A page that posts itself to the redirect URI (form_post) is the answer: the browser submits it."""
    browser = run.auth.browser
    target = run.auth.redirect_uri or "\0"
    form = next((f for f in browser.page.forms if f.method == "post" and f.action.startswith(target)), None)
    if form is None:
        return
    browser.location, browser.posted = form.action, dict(form.fields)
    r.values |= {"location": form.action, "form_post": dict(form.fields)}
    if "error" in form.fields:
        r.error = StepError(form.fields["error"], form.fields.get("error_description", ""))


def sign_in(run: FlowRun, r: StepResult) -> None:
    """Fill in the sign-in form as the person would, and post it."""
    browser = run.auth.browser
    form = browser.page.form_with_input("password") or next(iter(browser.page.forms), None)
    if form is None:
        r.error = StepError("no_sign_in_form", "the identity service showed no sign-in form")
        return
    user_field = next((n for n in form.input_types if n in ("username", "login", "email")), "username")
    pass_field = next((n for n, t in form.input_types.items() if t == "password"), "password")
    fields = form.fields | {user_field: run.user.username, pass_field: run.user.password}
    r.values["username"] = run.user.username
    url = urljoin(browser.page_url, form.action)
    _, ex = run.send(r, form.method.upper(), url, "browser", "sign-in form", data=fields)
    follow(run, r, ex)
    if r.error or browser.location:
        return
    if not r.check("signed in (no sign-in form shown again)", browser.page.form_with_input("password") is None):
        # The page's alert says why (a wrong password, or a user type the application refuses).
        said = browser.page.alert_text or "the sign-in page came back without saying why"
        r.error = StepError("sign_in_failed", said, ex.status)


def consent(run: FlowRun, r: StepResult, decision: str) -> None:
    """Answer the consent page (Allow or Deny); the identity service then sends the browser back."""
    browser = run.auth.browser
    if browser.location:
        r.values["location"] = browser.location
        return
    form = browser.page.form_with_button("decision")
    if form is None:
        r.error = StepError("no_consent_form", "the identity service showed no consent form")
        return
    r.values["decision"] = decision
    url = urljoin(browser.page_url, form.action)
    _, ex = run.send(
        r, form.method.upper(), url, "browser", f"consent: {decision}", data=form.fields | {"decision": decision}
    )
    follow(run, r, ex)
    if not r.error and not browser.location:
        r.error = StepError("no_redirect", "consent did not redirect back to the app", ex.status)


def answer_of(location: str, posted: dict[str, str]) -> dict[str, str]:
    """The authorization response's parameters: posted (form_post), else the fragment, else the query."""
    if posted:
        return dict(posted)
    parts = urlsplit(location)
    return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


def callback(run: FlowRun, r: StepResult, app: ClientConfig) -> None:
    """Read the answer the browser came back with; keep its code only if every check holds."""
    browser = run.auth.browser
    run.auth.code = ""
    params = answer_of(browser.location, browser.posted)
    if "error" in params:
        # The identity service reported the error by redirecting back (RFC 6749 §4.1.2.1).
        r.error = StepError(params["error"], params.get("error_description", ""))
        return
    back_at = browser.location.split("?")[0].split("#")[0]
    r.check("the browser came back to the registered redirect URI", back_at == app.redirect_uri, back_at)
    code = params.get("code", "")
    r.values |= {"state_sent": run.auth.state, "code": code}
    held = _state_holds(run, r, params) and _issuer_holds(run, r, params)
    if held and "id_token" in app.response_type:
        held = _front_channel_id_token_holds(run, r, app, params)
    if held and not r.failed():
        if not code:
            r.error = StepError("no_code", "the URL has no code parameter; paste the whole address")
        run.auth.code = code


def _front_channel_id_token_holds(run: FlowRun, r: StepResult, app: ClientConfig, params: dict[str, str]) -> bool:
    # OpenID Connect Core §3.3.2.12: validate the ID token, and that its c_hash is this code's, before using the code.
    token = params.get("id_token", "")
    if not r.check("an ID token came with the code (code id_token)", bool(token)):
        r.error = StepError("no_id_token", "the answer has no id_token; the code is not used")
        return False
    r.values["front_channel_id_token"] = token
    _, ex = run.send(
        r, "GET", run.discovery["jwks_uri"], "browser" if not app.confidential else "web app back end", "signing keys"
    )
    jwks = ex.response_json()
    if not isinstance(jwks, dict):
        r.error = StepError("invalid_jwks", "the signing keys are not a JSON key set", ex.status)
        return False
    verdict = verify(
        token,
        jwks,
        run.issuer,
        app.client_id,
        run.clock(),
        kind="id",
        nonce=run.auth.nonce,
        code=params.get("code", ""),
        state=params.get("state"),
    )
    r.values["front_channel_id_token_claims"] = verdict.claims or {}
    for check in verdict.checks:
        r.check(f"ID token from the authorize endpoint: {check.name}", check.passed is not False, check.sentence)
    if r.failed():
        r.error = StepError("invalid_token", "the ID token that came with the code failed: " + "; ".join(r.failed()))
        return False
    return True


def _state_holds(run: FlowRun, r: StepResult, params: dict[str, str]) -> bool:
    sent = run.auth.state
    returned = run.mistake.returned_state(params.get("state", ""))
    r.values["state_returned"] = returned
    # No request outstanding means no state to match: a pasted or forged callback is refused.
    same = bool(sent) and hmac.compare_digest(returned.encode(), sent.encode())
    detail = "" if same else f"sent {sent or '(no request outstanding)'}, got {returned or '(none)'}"
    if not r.check("state matches the one sent", same, detail):
        r.error = StepError(
            "state_mismatch", "the state that came back differs from the one sent; the code is not used", 302
        )
    return same


def _issuer_holds(run: FlowRun, r: StepResult, params: dict[str, str]) -> bool:
    # RFC 9207 §2.4: compare iss when sent, and require it when the provider says it sends one.
    promised = run.discovery.get("authorization_response_iss_parameter_supported") is True
    if "iss" not in params and not promised:
        return True
    iss = params.get("iss")
    if r.check("iss in the callback is the issuer", iss == run.issuer, iss if iss is not None else "(none)"):
        return True
    r.error = StepError("issuer_mismatch", "the answer names another issuer (or none); the code is not used")
    return False
