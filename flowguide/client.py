"""The client side of each flow, run one step at a time, recording every HTTP exchange.

The client speaks only HTTP: it finds the identity service's endpoints in its discovery document
(OpenID Connect Discovery 1.0), so the same code runs against the in-process sandbox and against a
real instance. The browser's part of the Authorization Code flow (sign-in and consent pages) is
played by parsing the identity service's HTML forms and posting them, as a browser would.

A :class:`FlowRun` is plain state plus an ``httpx.Client``: the simulator keeps one per browser
session and calls :meth:`FlowRun.next` once per click. Nothing here logs; secrets live only in the
recorded exchanges (the transcript) and the run's state.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet

from flowguide.outbound import OutboundError
from flowguide.pkce import S256, S256_FORMULA, make_code_verifier, make_nonce, make_state, s256_challenge
from flowguide.transcript import Exchange, send_and_record

# The step ids of each flow, shared with content/flows/*.yaml, the diagrams and the mistakes catalogue.
FLOW_STEPS: dict[str, tuple[str, ...]] = {
    "authorization_code": (
        "discovery",
        "authorize",
        "sign_in",
        "consent",
        "callback",
        "token",
        "validate",
        "api_call",
    ),
    "client_credentials": ("discovery", "token", "validate", "api_call"),
    "hybrid": (
        "discovery",
        "user_authorize",
        "user_sign_in",
        "user_consent",
        "user_callback",
        "user_token",
        "user_api_call",
        "service_token",
        "service_api_call",
    ),
    "refresh": ("initial_tokens", "expire", "refresh", "api_call", "reuse_refresh"),
}

DISCOVERY_PATH = "/.well-known/openid-configuration"
API_PATH = "/api/domain/odata"
API_ENTITY = "Crm_Sales_Customers"
# The audience a domain API access token must name (auth/tokens/access-tokens.md).
DEFAULT_AUDIENCE = "DomainAPI"
# How long "the nightly job" waits after the person signed in, for the forwarded-token mistake.
NIGHTLY_JOB_DELAY = 8 * 3600


# --- configuration -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientConfig:
    """How one Trusted Application is registered, as its own code knows it."""

    client_id: str
    client_type: Literal["Confidential", "Public"]
    client_secret: str | None = None
    redirect_uri: str | None = None
    scope: str = ""
    # RFC 6749 §2.3.1: form fields (the product's documented way) or HTTP Basic.
    auth_method: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"

    @property
    def confidential(self) -> bool:
        return self.client_type == "Confidential"


@dataclass(frozen=True)
class UserCredentials:
    """What the person types on the identity service's sign-in page."""

    username: str
    password: str


# The demo registry's stable values (content/sandbox.yaml, listed in the README).
WEB_PORTAL = ClientConfig(
    client_id="com.example/web-portal",
    client_type="Confidential",
    client_secret="web-portal-secret",
    redirect_uri="http://localhost:8501/callback",
    scope="openid profile read update offline_access",
)
SPA = ClientConfig(
    client_id="com.example/spa",
    client_type="Public",
    redirect_uri="http://localhost:5173/callback",
    scope="read",
)
NIGHTLY_SYNC = ClientConfig(
    client_id="com.example/nightly-sync",
    client_type="Confidential",
    client_secret="nightly-sync-secret",
    scope="read update",
)
LEGACY_REPORT = ClientConfig(
    client_id="com.example/legacy-report",
    client_type="Confidential",
    client_secret="legacy-report-secret",
    scope="read",
)
DAVID = UserCredentials(username="david", password="demo")
DEMO_APPS: dict[str, ClientConfig] = {c.client_id: c for c in (WEB_PORTAL, SPA, NIGHTLY_SYNC, LEGACY_REPORT)}
DEFAULT_APPS: dict[str, ClientConfig] = {
    "authorization_code": WEB_PORTAL,
    "client_credentials": NIGHTLY_SYNC,
    "refresh": WEB_PORTAL,
    "hybrid": WEB_PORTAL,
}

# Mistakes whose wrong move is made by a different application than the flow's default.
MISTAKE_APPS: dict[str, ClientConfig] = {
    "missing_pkce": SPA,
    "scope_not_allowed": SPA,
    "public_client_credentials": SPA,
    "disabled_application": LEGACY_REPORT,
}
# Every mistake the client knows how to make, with the flow it belongs to.
MISTAKE_FLOWS: dict[str, str] = {
    "state_tampered": "authorization_code",
    "wrong_verifier": "authorization_code",
    "code_reused": "authorization_code",
    "redirect_uri_case": "authorization_code",
    "scope_not_allowed": "authorization_code",
    "missing_pkce": "authorization_code",
    "consent_declined": "authorization_code",
    "expired_access_token": "authorization_code",
    "wrong_client_secret": "client_credentials",
    "public_client_credentials": "client_credentials",
    "disabled_application": "client_credentials",
    "password_grant": "client_credentials",
    "rotated_refresh_token": "refresh",
    "forwarded_user_token": "hybrid",
}


# --- results -------------------------------------------------------------------------------------------


@dataclass
class Check:
    """A check the client made itself (state, signature, a claim) and whether it held."""

    name: str
    passed: bool
    detail: str = ""


@dataclass
class StepError:
    """An error a step met: the OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1) or a client check.

    ``expected`` marks an error the flow exists to show (the expired token's 401 in the refresh
    flow); the run goes on after it.
    """

    code: str
    description: str = ""
    status: int | None = None
    expected: bool = False


class OddResponse(ValueError):
    """A provider's answer in a shape the client cannot use; ``str()`` is one sentence."""


@dataclass
class StepResult:
    """What one step did: its exchanges, checks, the values worth showing, and any error."""

    flow: str
    step: str
    exchanges: list[Exchange] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    error: StepError | None = None

    @property
    def ok(self) -> bool:
        """Whether the step went as the flow intends (an expected error counts as going well)."""
        return (self.error is None or self.error.expected) and all(c.passed for c in self.checks)

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, passed, detail))
        return passed


# --- the browser's view of HTML pages --------------------------------------------------------------------


@dataclass
class HtmlForm:
    """A form as a browser sees it: where it posts, its named inputs and its submit buttons."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    input_types: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class HtmlPage:
    forms: list[HtmlForm] = field(default_factory=list)
    error: str | None = None
    error_text: str = ""
    # What the page's role="alert" elements say (a refused sign-in says why).
    alert_text: str = ""

    def form_with_input(self, input_type: str) -> HtmlForm | None:
        return next((f for f in self.forms if input_type in f.input_types.values()), None)

    def form_with_button(self, name: str) -> HtmlForm | None:
        return next((f for f in self.forms if any(b[0] == name for b in f.buttons)), None)


# Elements with no end tag, which must not count as nesting.
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = HtmlPage()
        self._form: HtmlForm | None = None
        self._in_error = 0
        self._in_heading = False
        self._error_text: list[str] = []
        self._in_alert = 0
        self._alert_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.page.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                self._form.buttons.append((a["name"], a.get("value", "")))
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self._form.fields[a["name"]] = a.get("value", "")
                self._form.input_types[a["name"]] = kind
        elif tag == "button" and self._form is not None and a.get("type", "submit") == "submit":
            self._form.buttons.append((a.get("name", ""), a.get("value", "")))
        if tag in ("h1", "h2", "h3", "title"):
            self._in_heading = True
        if "data-error" in a and self.page.error is None:
            self.page.error = a["data-error"]
            self._in_error = 1
        elif self._in_error:
            self._in_error += 1
        if tag not in _VOID_TAGS:
            if self._in_alert:
                self._in_alert += 1
            elif a.get("role") == "alert":
                self._in_alert = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "title"):
            self._in_heading = False
        if tag == "form":
            self._form = None
        if self._in_error:
            self._in_error -= 1
        if self._in_alert and tag not in _VOID_TAGS:
            self._in_alert -= 1

    def handle_data(self, data: str) -> None:
        # The description is the error element's text, less its heading and the bare error code.
        if self._in_error and not self._in_heading and data.strip() != self.page.error:
            self._error_text.append(data)
        if self._in_alert:
            self._alert_text.append(data)

    def close(self) -> None:
        super().close()
        self.page.error_text = " ".join(" ".join(self._error_text).split())
        self.page.alert_text = " ".join("".join(self._alert_text).split())


def parse_page(html: str) -> HtmlPage:
    """The forms of an HTML page, and the error an error page names in ``data-error``."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


# --- reading errors off responses ------------------------------------------------------------------------


def error_of(exchange: Exchange) -> StepError | None:
    """The OAuth error a response carries, wherever it carries it; None for a success."""
    location = exchange.location
    if 300 <= exchange.status < 400 and location:
        params = dict(parse_qsl(urlsplit(location).query))
        if "error" in params:
            return StepError(params["error"], params.get("error_description", ""), exchange.status)
        return None
    if exchange.status < 400:
        return None
    body = exchange.response_json()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return StepError(body["error"], str(body.get("error_description", "")), exchange.status)
    challenge = exchange.response_header("www-authenticate") or ""
    params = _auth_params(challenge)
    if "error" in params:
        return StepError(params["error"], params.get("error_description", ""), exchange.status)
    if "html" in (exchange.response_header("content-type") or ""):
        page = parse_page(exchange.response_body)
        if page.error:
            return StepError(page.error, page.error_text, exchange.status)
    return StepError(f"http_{exchange.status}", exchange.reason, exchange.status)


def _auth_params(challenge: str) -> dict[str, str]:
    """The auth-params of a ``WWW-Authenticate: Bearer error="..."`` challenge (RFC 6750 §3)."""
    _, _, rest = challenge.partition(" ")
    params: dict[str, str] = {}
    for piece in _split_params(rest):
        name, _, value = piece.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


def _split_params(text: str) -> list[str]:
    out, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    return [p for p in (*out, current) if p.strip()]


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims read without checking anything, for display only."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class _Tokens:
    access_token: str = ""
    refresh_token: str = ""
    id_token: str = ""
    expires_in: int = 0
    scope: str = ""


@dataclass
class _AuthState:
    """One application's progress through the Authorization Code flow."""

    code_verifier: str = ""
    sent_verifier: str = ""
    code_challenge: str = ""
    state: str = ""
    nonce: str = ""
    redirect_uri: str = ""
    # The last page the identity service showed the browser, parsed once.
    page: HtmlPage = field(default_factory=HtmlPage)
    page_url: str = ""
    location: str = ""
    code: str = ""
    tokens: _Tokens = field(default_factory=_Tokens)


class FlowRun:
    """One run of one flow, advanced a step at a time with :meth:`next`."""

    def __init__(
        self,
        flow: str,
        http: httpx.Client,
        app: ClientConfig | None = None,
        mistake: str | None = None,
        advance_clock: Callable[[int], None] | None = None,
        *,
        issuer: str | None = None,
        api_base: str | None = None,
        user: UserCredentials = DAVID,
        service: ClientConfig = NIGHTLY_SYNC,
        clock: Callable[[], float] | None = None,
        audience: str = DEFAULT_AUDIENCE,
    ) -> None:
        if flow not in FLOW_STEPS:
            raise ValueError(f"unknown flow {flow!r}; known: {', '.join(FLOW_STEPS)}")
        if mistake is not None and MISTAKE_FLOWS.get(mistake) != flow:
            raise ValueError(f"mistake {mistake!r} is not one the client can make in the {flow!r} flow")
        self.flow = flow
        self.steps = FLOW_STEPS[flow]
        self.http = http
        self.mistake = mistake
        self.app = app or MISTAKE_APPS.get(mistake or "") or DEFAULT_APPS[flow]
        self.service = service
        self.user = user
        self.advance_clock = advance_clock
        self.clock = clock or time.time
        self.audience = audience
        base = str(http.base_url).rstrip("/")
        # Exactly as the provider publishes it (some end in /): every iss is compared with this.
        self.issuer = issuer or (base + "/id" if base else "")
        if not self.issuer:
            raise ValueError("give an issuer, or an httpx.Client with a base_url")
        instance = self.issuer.rstrip("/").removesuffix("/id")
        self.api_base = (api_base or instance + API_PATH).rstrip("/")
        self.reset()

    @classmethod
    def for_sandbox(cls, sandbox: Any, flow: str, client_id: str | None = None, mistake: str | None = None) -> FlowRun:
        """A run against an in-process sandbox, whose clock the run may move to show expiry."""
        app = DEMO_APPS[client_id] if client_id else None
        return cls(
            flow,
            sandbox.http_client(),
            app=app,
            mistake=mistake,
            advance_clock=sandbox.clock.advance,
            issuer=sandbox.issuer,
            clock=sandbox.clock.now,
        )

    def reset(self) -> None:
        """Forget everything this run did, to start the flow again."""
        self.results: list[StepResult] = []
        self.discovery: dict[str, Any] = {}
        self.auth = _AuthState()
        self.service_tokens = _Tokens()
        self.old_refresh_token = ""
        self._cookies: dict[str, str] = {}
        self._stopped = False

    @property
    def finished(self) -> bool:
        return self._stopped or len(self.results) >= len(self.steps)

    @property
    def next_step(self) -> str | None:
        return None if self.finished else self.steps[len(self.results)]

    @property
    def error(self) -> StepError | None:
        """The error that stopped the run, if one did."""
        return next((r.error for r in self.results if r.error and not r.error.expected), None)

    @property
    def exchanges(self) -> list[Exchange]:
        return [e for r in self.results for e in r.exchanges]

    def next(self) -> StepResult:
        """Run the next step and return what it did."""
        step = self.next_step
        if step is None:
            raise RuntimeError("the run is finished; reset() to start again")
        result = self._run(step, getattr(self, f"_{self.flow}_{step}"))
        if (result.error and not result.error.expected) or not all(c.passed for c in result.checks):
            self._stopped = True
        return result

    def retry_last(self) -> None:
        """Forget the last step's result so it runs again (a person who mistyped their password)."""
        if self.results:
            self.results.pop()
        self._stopped = False

    def known_secrets(self) -> set[str]:
        """Every credential this run holds or sent, for tests that search logs and URLs for them."""
        values = {self.app.client_secret, self.service.client_secret, self.user.password, self.old_refresh_token}
        values |= {self.auth.code_verifier, self.auth.sent_verifier, self.auth.code}
        for tokens in (self.auth.tokens, self.service_tokens):
            values |= {tokens.access_token, tokens.refresh_token, tokens.id_token}
        return {v for v in values if v}

    def _run(self, step: str, action: Callable[[StepResult], None]) -> StepResult:
        result = StepResult(self.flow, step)
        try:
            action(result)
        except OutboundError as exc:
            # The guard refused the request or it failed on the way: its one sentence says which.
            result.error = StepError("request_failed", exc.message)
        except httpx.HTTPError as exc:
            result.error = StepError("transport_error", f"{type(exc).__name__}: {exc}")
        except httpx.InvalidURL:
            result.error = StepError("invalid_response", "The provider gave an address that is not a valid URL.")
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
            # A broken or hostile provider's answer in a shape the client cannot use: one sentence, not a crash.
            last = result.exchanges[-1] if result.exchanges else None
            sentence = (
                str(exc)
                if isinstance(exc, OddResponse)
                else (
                    f"The {last.label if last and last.label else 'provider'} answer is not in the shape the "
                    f"client expects ({type(exc).__name__}), so the step stopped."
                )
            )
            result.error = StepError("invalid_response", sentence, last.status if last else None)
        self.results.append(result)
        return result

    # --- the pieces on their own ------------------------------------------------------------------
    # For a real provider the visitor signs in in their own browser tab, so /connect calls these one by
    # one instead of next(); a run uses one way or the other. Each returns a step's StepResult.

    @property
    def tokens(self) -> _Tokens:
        """The tokens this run's application holds now."""
        return self.service_tokens if self.flow == "client_credentials" else self.auth.tokens

    def discover(self) -> StepResult:
        """Fetch the discovery document from the issuer and check it names that issuer."""
        actor = "service" if self.flow == "client_credentials" else "app"
        return self._run("discovery", lambda r: self._discover(r, actor))

    def authorization_request(self) -> StepResult:
        """Make the verifier, S256 challenge, state and nonce; ``values["authorization_url"]`` is the URL to open."""

        def build(r: StepResult) -> None:
            params = self._authorization_params(r, self.app)
            url = httpx.URL(self.discovery["authorization_endpoint"]).copy_merge_params(params)
            r.values["authorization_url"] = str(url)

        return self._run("authorize", build)

    def accept_callback(self, url: str) -> StepResult:
        """The URL the browser landed on after sign-in: its error, or its state checked and its code kept."""

        def accept(r: StepResult) -> None:
            self.auth.location = url.strip()
            params = dict(parse_qsl(urlsplit(self.auth.location).query, keep_blank_values=True))
            if "error" in params:
                # The identity service reported the error by redirecting back (RFC 6749 §4.1.2.1).
                r.error = StepError(params["error"], params.get("error_description", ""))
                return
            if "iss" in params:
                # RFC 9207: the response names who issued it, so a code from another provider is caught.
                r.check("iss in the callback is the issuer", params["iss"] == self.issuer, params["iss"])
            self._callback(r, self.app)
            if not r.error and not self.auth.code:
                r.error = StepError("no_code", "the URL has no code parameter; paste the whole address")

        return self._run("callback", accept)

    def redeem_code(self) -> StepResult:
        """Exchange the code and the PKCE verifier for tokens at the token endpoint."""
        return self._run("token", lambda r: self._redeem_code(r, self.app))

    def client_credentials_token(self) -> StepResult:
        """Ask the token endpoint for a token with the application's own credentials."""
        return self._run("token", lambda r: self._client_credentials(r, self.app, "service"))

    def validate(self) -> StepResult:
        """Fetch the JWKS and verify the tokens held (signature, iss, exp, nbf, aud, nonce)."""
        return self._run("validate", lambda r: self._validate(r, self.tokens, self.app))

    def refresh(self, rotation_required: bool = False) -> StepResult:
        """Redeem the refresh token held; a provider that does not rotate it keeps the old one in use."""
        held = self.auth.tokens.refresh_token

        def redeem(r: StepResult) -> None:
            self._redeem_refresh_token(r, self.app, held, rotation_required=rotation_required)
            if not r.error and not self.auth.tokens.refresh_token:
                self.auth.tokens.refresh_token = held

        return self._run("refresh", redeem)

    def call_api(self, url: str) -> StepResult:
        """One GET to ``url`` with the access token held; the answer's status and body are the values."""

        def call(r: StepResult) -> None:
            headers = {"Authorization": f"Bearer {self.tokens.access_token}", "Accept": "application/json"}
            actor = "service" if self.flow == "client_credentials" else self._actor(self.app)
            _, ex = self._send(r, "GET", url, actor, f"GET {urlsplit(url).path}", headers=headers)
            r.values["status"] = ex.status
            if (err := error_of(ex)) is not None:
                r.error = err

        return self._run("api_call", call)

    # --- authorization_code ---------------------------------------------------------------------

    def _authorization_code_discovery(self, r: StepResult) -> None:
        self._discover(r, "app")

    def _authorization_code_authorize(self, r: StepResult) -> None:
        self._authorize(r, self.app)

    def _authorization_code_sign_in(self, r: StepResult) -> None:
        self._sign_in(r)

    def _authorization_code_consent(self, r: StepResult) -> None:
        self._consent(r, "deny" if self.mistake == "consent_declined" else "allow")

    def _authorization_code_callback(self, r: StepResult) -> None:
        self._callback(r, self.app)

    def _authorization_code_token(self, r: StepResult) -> None:
        self._redeem_code(r, self.app)

    def _authorization_code_validate(self, r: StepResult) -> None:
        self._validate(r, self.auth.tokens, self.app)

    def _authorization_code_api_call(self, r: StepResult) -> None:
        # With this mistake the app keeps the token past its lifetime instead of refreshing it.
        expired = self.mistake == "expired_access_token"
        if expired and not self._advance(r, self.auth.tokens.expires_in + 60):
            return
        self._call_api(r, self.auth.tokens.access_token, self._actor(self.app))

    # --- client_credentials ---------------------------------------------------------------------

    def _client_credentials_discovery(self, r: StepResult) -> None:
        self._discover(r, "service")

    def _client_credentials_token(self, r: StepResult) -> None:
        self._client_credentials(r, self.app, "service")

    def _client_credentials_validate(self, r: StepResult) -> None:
        self._validate(r, self.service_tokens, self.app)

    def _client_credentials_api_call(self, r: StepResult) -> None:
        self._call_api(r, self.service_tokens.access_token, "service")

    # --- refresh -----------------------------------------------------------------------------------

    def _refresh_initial_tokens(self, r: StepResult) -> None:
        for part in (
            lambda: self._discover(r, "app"),
            lambda: self._authorize(r, self.app),
            lambda: self._sign_in(r),
            lambda: self._consent(r, "allow"),
            lambda: self._callback(r, self.app),
            lambda: self._redeem_code(r, self.app),
        ):
            part()
            if r.error:
                return
        r.check("a refresh token was issued (offline_access)", bool(self.auth.tokens.refresh_token))

    def _refresh_expire(self, r: StepResult) -> None:
        if not self._advance(r, self.auth.tokens.expires_in + 60):
            return
        self._call_api(r, self.auth.tokens.access_token, self._actor(self.app), expect=(401, "invalid_token"))

    def _refresh_refresh(self, r: StepResult) -> None:
        self._redeem_refresh_token(r, self.app, self.auth.tokens.refresh_token)
        if self.mistake == "rotated_refresh_token" and not r.error:
            # The app stored the first refresh token and keeps presenting it after rotation.
            self._redeem_refresh_token(r, self.app, self.old_refresh_token, label="the rotated-out one again")

    def _refresh_api_call(self, r: StepResult) -> None:
        self._call_api(r, self.auth.tokens.access_token, self._actor(self.app))

    def _refresh_reuse_refresh(self, r: StepResult) -> None:
        self._redeem_refresh_token(
            r, self.app, self.old_refresh_token, label="the old one again", expect=(400, "invalid_grant")
        )

    # --- hybrid --------------------------------------------------------------------------------------

    def _hybrid_discovery(self, r: StepResult) -> None:
        self._discover(r, "web app")
        if not r.error:
            self._discover(r, "service")

    def _hybrid_user_authorize(self, r: StepResult) -> None:
        self._authorize(r, self.app)

    def _hybrid_user_sign_in(self, r: StepResult) -> None:
        self._sign_in(r)

    def _hybrid_user_consent(self, r: StepResult) -> None:
        self._consent(r, "allow")

    def _hybrid_user_callback(self, r: StepResult) -> None:
        self._callback(r, self.app)

    def _hybrid_user_token(self, r: StepResult) -> None:
        self._redeem_code(r, self.app)

    def _hybrid_user_api_call(self, r: StepResult) -> None:
        self._call_api(r, self.auth.tokens.access_token, self._actor(self.app))

    def _hybrid_service_token(self, r: StepResult) -> None:
        if self.mistake == "forwarded_user_token":
            # The web app hands David's access token to the nightly job instead of the job signing in.
            self.service_tokens = _Tokens(access_token=self.auth.tokens.access_token)
            r.values["access_token"] = self.service_tokens.access_token
            r.values["forwarded_from"] = "the web app (David's token)"
            return
        self._client_credentials(r, self.service, "service")

    def _hybrid_service_api_call(self, r: StepResult) -> None:
        token = self.service_tokens.access_token
        # The job runs overnight, long after the person signed in and their token was issued.
        if self.mistake == "forwarded_user_token" and not self._advance(r, NIGHTLY_JOB_DELAY):
            return
        self._call_api(r, token, "service")
        if r.error:
            return
        claims = unverified_claims(token)
        r.check("the service did not use David's token", token != self.auth.tokens.access_token)
        r.check(
            "the token acts as the System User (client_system_user, no sub)",
            "client_system_user" in claims and "sub" not in claims,
            str(claims.get("client_system_user", "")),
        )

    # --- the pieces the flows share ---------------------------------------------------------------

    def _send(
        self,
        r: StepResult,
        method: str,
        url: str,
        actor: str,
        label: str = "",
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, Exchange]:
        browser = actor == "browser"
        request = self.http.build_request(method, url, params=params, data=data, headers=headers)
        if browser and self._cookies:
            request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self._cookies.items())
        response, exchange = send_and_record(self.http, request, actor=actor, label=label)
        # Only the browser keeps the identity service's cookies; the back channel never sends them.
        if "set-cookie" in response.headers:
            self.http.cookies.clear()
            if browser:
                self._cookies |= dict(response.cookies.items())
        r.exchanges.append(exchange)
        return response, exchange

    @staticmethod
    def _actor(app: ClientConfig) -> str:
        """Who makes an application's back-channel calls: a public client has no back end."""
        if not app.redirect_uri:
            return "service"
        return "web app back end" if app.confidential else "single-page app"

    def _advance(self, r: StepResult, seconds: int) -> bool:
        if self.advance_clock is None:
            r.error = StepError("clock_not_movable", "this step needs a clock it can move (advance_clock)")
            return False
        self.advance_clock(seconds)
        r.values["clock_advanced_seconds"] = seconds
        return True

    def _discover(self, r: StepResult, actor: str) -> None:
        url = self.issuer.rstrip("/") + DISCOVERY_PATH
        _, ex = self._send(r, "GET", url, actor, "discovery document")
        if (err := error_of(ex)) or not isinstance(ex.response_json(), dict):
            r.error = err or StepError("invalid_discovery", "the discovery document is not JSON", ex.status)
            return
        doc = ex.response_json()
        self.discovery = doc
        r.check("issuer is the instance's identity service", doc.get("issuer") == self.issuer, doc.get("issuer", ""))
        grants = doc.get("grant_types_supported") or []
        if not isinstance(grants, list) or not all(isinstance(g, str) for g in grants):
            raise OddResponse("The discovery document's grant_types_supported is not a list of names.")
        needed = "client_credentials" if actor == "service" else "authorization_code"
        r.check(f"{needed} is a supported grant", needed in grants, " ".join(grants))
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            r.values[key] = doc.get(key, "")

    def _authorize(self, r: StepResult, app: ClientConfig) -> None:
        params = self._authorization_params(r, app)
        url = self.discovery["authorization_endpoint"]
        _, ex = self._send(r, "GET", url, "browser", "authorization request", params=params)
        r.values["authorization_url"] = ex.url
        if ex.status >= 400:
            r.check("the browser was not redirected to an unregistered URI", ex.location is None)
            r.error = error_of(ex)
            return
        self._browser_page(r, ex)

    def _authorization_params(self, r: StepResult, app: ClientConfig) -> dict[str, str]:
        """A fresh verifier, challenge, state and nonce, and the authorization request's parameters."""
        a = self.auth = _AuthState()
        a.code_verifier = make_code_verifier()
        a.code_challenge = s256_challenge(a.code_verifier)
        a.state = make_state()
        a.redirect_uri = app.redirect_uri or ""
        scope = app.scope
        if self.mistake == "redirect_uri_case":
            # The registered URI with one letter's case changed: ".../Callback".
            a.redirect_uri = a.redirect_uri.replace("/callback", "/Callback")
        if self.mistake == "scope_not_allowed":
            scope = app.scope + " update"
        params = {
            "client_id": app.client_id,
            "redirect_uri": a.redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": a.state,
        }
        if self.mistake != "missing_pkce":
            params |= {"code_challenge": a.code_challenge, "code_challenge_method": S256}
        if "openid" in scope.split():
            a.nonce = make_nonce()
            params["nonce"] = a.nonce
        r.values |= {
            "code_verifier": a.code_verifier if self.mistake != "missing_pkce" else "",
            "code_challenge": params.get("code_challenge", "(not sent)"),
            "code_challenge_method": params.get("code_challenge_method", "(not sent)"),
            "challenge_computation": S256_FORMULA,
            "state": a.state,
            "nonce": a.nonce,
            "scope": scope,
            "redirect_uri": a.redirect_uri,
        }
        if self.mistake == "missing_pkce":
            a.code_verifier = ""
        return params

    def _browser_page(self, r: StepResult, ex: Exchange) -> None:
        """Follow the identity service's own redirects until a page or the app's redirect URI."""
        for _ in range(5):
            location = ex.location
            if not (300 <= ex.status < 400 and location):
                break
            target = urljoin(ex.url, location)
            if target.startswith(self.auth.redirect_uri or "\0") or not target.startswith(self.issuer):
                self.auth.location = target
                r.values["location"] = target
                r.error = error_of(ex)
                return
            _, ex = self._send(r, "GET", target, "browser", "identity service redirect")
        if (err := error_of(ex)) is not None:
            r.error = err
            return
        self.auth.page = parse_page(ex.response_body)
        self.auth.page_url = ex.url

    def _sign_in(self, r: StepResult) -> None:
        page = self.auth.page
        form = page.form_with_input("password") or next(iter(page.forms), None)
        if form is None:
            r.error = StepError("no_sign_in_form", "the identity service showed no sign-in form")
            return
        fields = dict(form.fields)
        names = list(form.input_types)
        user_field = next((n for n in names if n in ("username", "login", "email")), "username")
        pass_field = next((n for n, t in form.input_types.items() if t == "password"), "password")
        fields[user_field] = self.user.username
        fields[pass_field] = self.user.password
        r.values["username"] = self.user.username
        url = urljoin(self.auth.page_url, form.action)
        _, ex = self._send(r, form.method.upper(), url, "browser", "sign-in form", data=fields)
        self._browser_page(r, ex)
        if not r.error and not self.auth.location:
            again = self.auth.page.form_with_input("password")
            if not r.check("signed in (no sign-in form shown again)", again is None):
                # The page's alert says why (a wrong password, or a user type the application refuses).
                said = self.auth.page.alert_text or "the sign-in page came back without saying why"
                r.error = StepError("sign_in_failed", said, ex.status)

    def _consent(self, r: StepResult, decision: str) -> None:
        if self.auth.location:
            r.values["location"] = self.auth.location
            return
        form = self.auth.page.form_with_button("decision")
        if form is None:
            r.error = StepError("no_consent_form", "the identity service showed no consent form")
            return
        fields = dict(form.fields) | {"decision": decision}
        r.values["decision"] = decision
        url = urljoin(self.auth.page_url, form.action)
        _, ex = self._send(r, form.method.upper(), url, "browser", f"consent: {decision}", data=fields)
        self._browser_page(r, ex)
        if not r.error and not self.auth.location:
            r.error = StepError("no_redirect", "consent did not redirect back to the app", ex.status)

    def _callback(self, r: StepResult, app: ClientConfig) -> None:
        location = self.auth.location
        params = dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))
        back_at = location.split("?")[0]
        r.check("the browser came back to the registered redirect URI", back_at == app.redirect_uri, back_at)
        returned = params.get("state", "")
        if self.mistake == "state_tampered":
            # Someone changed the state in transit (or forged the callback).
            returned = make_state()
        self.auth.code = params.get("code", "")
        r.values |= {"state_sent": self.auth.state, "state_returned": returned, "code": self.auth.code}
        detail = "" if returned == self.auth.state else f"sent {self.auth.state}, got {returned or '(none)'}"
        if not r.check("state matches the one sent", returned == self.auth.state, detail):
            r.error = StepError(
                "state_mismatch", "the state that came back differs from the one sent; the code is not used", 302
            )

    def _client_auth(self, app: ClientConfig, form: dict[str, str], secret: str | None = None) -> dict[str, str]:
        """Client authentication (RFC 6749 §2.3.1); returns the headers to add."""
        secret = secret if secret is not None else app.client_secret
        if not (app.confidential and secret):
            form["client_id"] = app.client_id
            return {}
        if app.auth_method == "client_secret_basic":
            pair = f"{quote(app.client_id, safe='')}:{quote(secret, safe='')}"
            return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        form |= {"client_id": app.client_id, "client_secret": secret}
        return {}

    def _token_request(
        self, r: StepResult, form: dict[str, str], app: ClientConfig, actor: str, label: str, secret: str | None = None
    ) -> tuple[dict[str, Any] | None, Exchange]:
        headers = self._client_auth(app, form, secret)
        _, ex = self._send(r, "POST", self.discovery["token_endpoint"], actor, label, data=form, headers=headers)
        body = ex.response_json()
        if ex.status == 200 and isinstance(body, dict) and body.get("access_token"):
            return body, ex
        return None, ex

    def _store_tokens(self, r: StepResult, body: dict[str, Any], into: _Tokens) -> None:
        for name in ("access_token", "refresh_token", "id_token", "scope", "token_type"):
            if not isinstance(body.get(name, ""), str):
                raise OddResponse(f"The token endpoint's {name} is not a string, so the tokens were not used.")
        expires_in = body.get("expires_in", 0) or 0
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
            expires_in = "?"
        try:
            int(expires_in)
        except (ValueError, OverflowError):
            raise OddResponse(
                "The token endpoint's expires_in is not a number of seconds, so the tokens were not used."
            ) from None
        into.access_token = body.get("access_token", "")
        into.refresh_token = body.get("refresh_token", "")
        into.id_token = body.get("id_token", "")
        into.expires_in = int(body.get("expires_in", 0) or 0)
        into.scope = body.get("scope", "")
        r.values |= {
            "access_token": into.access_token,
            "token_type": body.get("token_type", ""),
            "expires_in": into.expires_in,
            "scope": into.scope,
        }
        if into.refresh_token:
            r.values["refresh_token"] = into.refresh_token
        if into.id_token:
            r.values["id_token"] = into.id_token
        r.values["access_token_claims"] = unverified_claims(into.access_token)
        r.check("token_type is Bearer", str(body.get("token_type", "")).lower() == "bearer")

    def _redeem_code(self, r: StepResult, app: ClientConfig) -> None:
        a = self.auth
        a.sent_verifier = a.code_verifier
        if self.mistake == "wrong_verifier":
            # A verifier from another attempt, not the one whose challenge went to authorize.
            a.sent_verifier = make_code_verifier()
        form = {"grant_type": "authorization_code", "code": a.code, "redirect_uri": a.redirect_uri}
        if a.sent_verifier:
            form["code_verifier"] = a.sent_verifier
        r.values |= {"code": a.code, "code_verifier": a.sent_verifier}
        body, ex = self._token_request(r, form, app, self._actor(app), "code for tokens")
        if body is None:
            r.error = error_of(ex)
            return
        self._store_tokens(r, body, a.tokens)
        if self.mistake == "code_reused":
            # The same code again (a retry, or an attacker who saw it): refused, and the first tokens revoked.
            again, ex2 = self._token_request(r, dict(form), app, self._actor(app), "the same code again")
            error = error_of(ex2) if again is None else StepError("code_accepted_twice", "", ex2.status)
            _, api = self._send(
                r,
                "GET",
                self._api_url(),
                self._actor(app),
                "API call with the first token",
                headers={"Authorization": f"Bearer {a.tokens.access_token}"},
            )
            r.check("the tokens issued for the replayed code are revoked", api.status == 401, str(api.status))
            r.error = error

    def _client_credentials(self, r: StepResult, app: ClientConfig, actor: str) -> None:
        form = {"grant_type": "client_credentials", "scope": app.scope}
        secret = None
        if self.mistake == "wrong_client_secret":
            secret = "not-the-" + (app.client_secret or "secret")
        if self.mistake == "password_grant":
            # The resource owner password grant: the service sends a person's password.
            form = {
                "grant_type": "password",
                "username": self.user.username,
                "password": self.user.password,
                "scope": app.scope,
            }
        r.values["scope_requested"] = app.scope
        body, ex = self._token_request(r, form, app, actor, "token request", secret)
        if body is None:
            r.error = error_of(ex)
            return
        self._store_tokens(r, body, self.service_tokens)
        r.check("no refresh token (Client Credentials asks again instead)", not self.service_tokens.refresh_token)

    def _redeem_refresh_token(
        self,
        r: StepResult,
        app: ClientConfig,
        refresh_token: str,
        label: str = "refresh token for new tokens",
        expect: tuple[int, str] | None = None,
        rotation_required: bool = True,
    ) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        r.values["sent_refresh_token"] = refresh_token
        body, ex = self._token_request(r, form, app, self._actor(app), label)
        if expect is not None:
            self._expect(r, ex, expect)
            return
        if body is None:
            r.error = error_of(ex)
            return
        self.old_refresh_token = refresh_token
        self._store_tokens(r, body, self.auth.tokens)
        rotated = bool(self.auth.tokens.refresh_token) and self.auth.tokens.refresh_token != refresh_token
        r.values["refresh_token_rotated"] = rotated
        if rotation_required:
            r.check("the refresh token was rotated (a new one came back)", rotated)

    def _api_url(self) -> str:
        return f"{self.api_base}/{API_ENTITY}?$top=10"

    def _call_api(self, r: StepResult, access_token: str, actor: str, expect: tuple[int, str] | None = None) -> None:
        _, ex = self._send(
            r,
            "GET",
            self._api_url(),
            actor,
            f"GET {API_ENTITY}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if expect is not None:
            self._expect(r, ex, expect)
            return
        if (err := error_of(ex)) is not None:
            r.error = err
            return
        body = ex.response_json()
        rows = body.get("value", []) if isinstance(body, dict) else body
        r.values["rows"] = rows
        r.check("the API answered with rows", isinstance(rows, list), f"{len(rows or [])} rows")

    def _expect(self, r: StepResult, ex: Exchange, expect: tuple[int, str]) -> None:
        """The flow shows this refusal on purpose: record it as an expected error, or stop if it is missing."""
        status, code = expect
        err = error_of(ex)
        met = err is not None and err.status == status and err.code == code
        r.check(f"refused with {status} {code}", met, f"{ex.status} {err.code if err else ''}".strip())
        if met and err is not None:
            err.expected = True
            r.error = err
        elif err is None:
            r.error = StepError("unexpected_success", f"expected {status} {code}", ex.status)
        else:
            r.error = err

    def _validate(self, r: StepResult, tokens: _Tokens, app: ClientConfig) -> None:
        url = self.discovery["jwks_uri"]
        _, ex = self._send(r, "GET", url, self._actor(app), "signing keys")
        if (err := error_of(ex)) is not None:
            r.error = err
            return
        try:
            keys = KeySet.import_key_set(ex.response_json())
        except (JoseError, ValueError, TypeError) as exc:
            r.error = StepError("invalid_jwks", str(exc), ex.status)
            return
        now = int(self.clock())
        claims = self._verify(r, "access token", tokens.access_token, keys, now, typ="at+jwt")
        if claims is not None:
            r.values["access_token_claims"] = claims
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            r.check(f"aud names {self.audience}", self.audience in auds, json.dumps(aud))
        if tokens.id_token:
            id_claims = self._verify(r, "ID token", tokens.id_token, keys, now)
            if id_claims is not None:
                r.values["id_token_claims"] = id_claims
                aud = id_claims.get("aud")
                auds = aud if isinstance(aud, list) else [aud]
                r.check("ID token aud is the client_id", app.client_id in auds, json.dumps(aud))
                r.check("ID token nonce matches the one sent", id_claims.get("nonce") == self.auth.nonce)
        failed = [c.name for c in r.checks if not c.passed]
        if failed:
            r.error = StepError("invalid_token", "failed: " + "; ".join(failed))

    def _verify(self, r: StepResult, what: str, token: str, keys: KeySet, now: int, typ: str | None = None) -> Any:
        """Signature and time checks for one JWT against the published keys (RFC 7519 §7.2, RFC 9068 §4)."""
        try:
            decoded = jwt.decode(token, keys, algorithms=["RS256"])
        except JoseError as exc:
            r.check(f"{what}: signature verifies against the JWKS", False, f"{type(exc).__name__}: {exc}")
            return None
        header = decoded.header
        r.values[f"{what.replace(' ', '_').lower()}_header"] = dict(header)
        r.check(
            f"{what}: signature verifies against the JWKS",
            True,
            f"{header.get('alg')} with key {header.get('kid')}",
        )
        if typ is not None:
            r.check(f"{what}: typ is {typ}", str(header.get("typ", "")).lower() == typ, str(header.get("typ")))
        claims = decoded.claims
        for name, options in (
            ("iss is the issuer", {"iss": {"essential": True, "value": self.issuer}}),
            ("exp is in the future", {"exp": {"essential": True}}),
            ("nbf is not in the future", {"nbf": {"essential": False}}),
        ):
            try:
                # One claim at a time, so each check is recorded on its own.
                (claim,) = options
                subset = {claim: claims[claim]} if claim in claims else {}
                jwt.JWTClaimsRegistry(now=now, **options).validate(subset)
                passed, detail = True, ""
            except ClaimError as exc:
                passed, detail = False, exc.description or exc.error
            r.check(f"{what}: {name}", passed, detail)
        return claims


def run_to_end(run: FlowRun) -> list[StepResult]:
    """Advance a run until it finishes or stops at an error; returns all its step results."""
    while not run.finished:
        run.next()
    return run.results
