"""One run of one flow, advanced a step at a time; every HTTP exchange recorded as it crossed the wire.

The client speaks only HTTP: it finds the endpoints in the discovery document, so the same code runs
against the in-process sandbox and a real instance. Nothing here logs; secrets live only in the
recorded exchanges and the run's state.
"""

from __future__ import annotations

import http.cookiejar
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx

from flowguide.client import back_channel as back
from flowguide.client import front_channel as front
from flowguide.client import in_process
from flowguide.client.browser import Browser
from flowguide.client.config import ClientConfig, UserCredentials, default_apps, demo_apps, demo_user, mistake_apps
from flowguide.client.config import mistake_flows as _mistake_flows
from flowguide.client.mistakes import MISTAKES, NO_MISTAKE, Mistake
from flowguide.client.results import OddResponse, StepError, StepResult, Tokens
from flowguide.client.steps import flow_table, flows
from flowguide.outbound import OutboundError
from flowguide.transcript import Exchange, send_and_record

API_PATH = "/api/domain/odata"
# The audience a domain API access token must name (auth/tokens/access-tokens.md).
DEFAULT_AUDIENCE = "DomainAPI"
# Longer addresses are parsed afresh each time rather than kept (a hostile discovery document's, say).
_KEPT_URL_LENGTH = 2048


class _NoCookies(http.cookiejar.CookieJar):
    """The jar of an in-process run's client, which keeps nothing: the browser holds the identity service's cookies."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


class _SandboxClient(httpx.Client):
    """The client of an in-process sandbox's runs, one per sandbox: it holds no socket and no cookie to release."""

    def close(self) -> None:
        # A run's owner closes its run's client when done with it; the sandbox's other runs go on using it.
        return None


# Making an httpx.Client is a thirtieth of an in-process run, so a sandbox's runs share one (it lives as the sandbox).
_SANDBOX_CLIENTS: weakref.WeakKeyDictionary[Any, httpx.Client] = weakref.WeakKeyDictionary()


def _sandbox_client(sandbox: Any) -> httpx.Client:
    client = _SANDBOX_CLIENTS.get(sandbox)
    if client is None:
        client = _SandboxClient(
            base_url=sandbox.base_url, transport=sandbox.transport, follow_redirects=False, cookies=_NoCookies()
        )
        _SANDBOX_CLIENTS[sandbox] = client
    return client


@lru_cache(maxsize=128)
def _parsed_url(url: str) -> httpx.URL:
    # A run sends to the same few endpoints again and again; an httpx.URL is immutable, so one parse serves them all.
    return httpx.URL(url)


@dataclass
class AuthState:
    """One application's progress through the Authorization Code flow."""

    code_verifier: str = ""
    sent_verifier: str = ""
    code_challenge: str = ""
    state: str = ""
    nonce: str = ""
    redirect_uri: str = ""
    code: str = ""
    refreshed: bool = False
    browser: Browser = field(default_factory=Browser)
    tokens: Tokens = field(default_factory=Tokens)

    @property
    def location(self) -> str:
        """Where the identity service sent the browser back to (the redirect URI with the answer)."""
        return self.browser.location


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
        user: UserCredentials | None = None,
        service: ClientConfig | None = None,
        clock: Callable[[], float] | None = None,
        audience: str = DEFAULT_AUDIENCE,
        discovery: dict[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if flow not in flows():
            raise ValueError(f"unknown flow {flow!r}; known: {', '.join(flows())}")
        if mistake is not None and _mistake_flows().get(mistake) != flow:
            raise ValueError(f"mistake {mistake!r} is not one the client can make in the {flow!r} flow")
        self.flow = flow
        self.table = flow_table(flow)
        self.steps = tuple(s.id for s in self.table)
        self.http = http
        self.mistake_id = mistake
        self.app = app or mistake_apps().get(mistake or "") or default_apps()[flow]
        self.service = service or default_apps()["client_credentials"]
        self.user = user or demo_user()
        self.advance_clock = advance_clock
        self.clock = clock or time.time
        self.audience = audience
        # A document the caller already fetched and checked: the run uses that one, never a second copy.
        self.published_discovery = discovery
        # The transport ``http`` was made with, to hand each request to directly (see send_and_record).
        self.transport = transport
        base = str(http.base_url).rstrip("/")
        # Exactly as the provider publishes it (some end in /): every iss is compared with this.
        self.issuer = issuer or (base + "/id" if base else "")
        if not self.issuer:
            raise ValueError("give an issuer, or an httpx.Client with a base_url")
        instance = self.issuer.rstrip("/").removesuffix("/id")
        self.api_base = (api_base or instance + API_PATH).rstrip("/")
        self.reset()

    @classmethod
    def for_sandbox(
        cls,
        sandbox: Any,
        flow: str,
        client_id: str | None = None,
        mistake: str | None = None,
        app: ClientConfig | None = None,
    ) -> FlowRun:
        """A run against an in-process sandbox, whose clock the run may move to show expiry."""
        return cls(
            flow,
            _sandbox_client(sandbox),
            app=app or (demo_apps()[client_id] if client_id else None),
            mistake=mistake,
            advance_clock=sandbox.clock.advance,
            issuer=sandbox.issuer,
            clock=sandbox.clock.now,
            transport=sandbox.transport,
        )

    @property
    def mistake(self) -> Mistake:
        """The wrong move this run makes, as hooks; the right moves when it makes none."""
        return MISTAKES.get(self.mistake_id or "", NO_MISTAKE)

    def reset(self) -> None:
        """Forget everything this run did, to start the flow again."""
        self.results: list[StepResult] = []
        self.discovery: dict[str, Any] = {}
        self.auth = AuthState()
        self.service_tokens = Tokens()
        self.old_refresh_token = ""
        # The reference-token walk's tokens by kind (PAT, SAT): the value issued once, its id, whom it acts as.
        self.reference: dict[str, dict[str, str]] = {}
        self._stopped = False

    def new_authorization(self, **values: str) -> None:
        """Start a sign-in: new secrets; the browser keeps its identity-service cookies."""
        self.auth = AuthState(browser=Browser(cookies=self.auth.browser.cookies), **values)

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

    @property
    def tokens(self) -> Tokens:
        """The tokens this run's application holds now."""
        return self.service_tokens if self.flow == "client_credentials" else self.auth.tokens

    def next(self) -> StepResult:
        """Run the next step and return what it did."""
        if self.next_step is None:
            raise RuntimeError("the run is finished; reset() to start again")
        step = self.table[len(self.results)]
        result = self.run_step(step.id, lambda r: step.action(self, r))
        if not result.ok:
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
        values |= {held["token"] for held in self.reference.values()}
        return {v for v in values if v}

    def run_step(self, step: str, action: Callable[[StepResult], None]) -> StepResult:
        """Run one action as the step ``step``; a failure on the way is one sentence, never a crash."""
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
            result.error = _odd_answer(result, exc)
        self.results.append(result)
        return result

    def send(
        self, r: StepResult, method: str, url: str, actor: str, label: str = "", **parts: Any
    ) -> tuple[httpx.Response | None, Exchange]:
        """Send one request as ``actor`` and record it; only the browser carries the identity service's cookies.

        The answer comes back as an httpx.Response, except from the in-process sandbox, where it does only
        when it sets cookies (see in_process).
        """
        browser = self.auth.browser
        headers = (parts.pop("headers", None) or {}) | (browser.cookie_header() if actor == "browser" else {})
        target = _parsed_url(url) if len(url) <= _KEPT_URL_LENGTH else httpx.URL(url)
        response: httpx.Response | None
        if in_process.covers(self.http, self.transport, target, parts):
            response, exchange = in_process.send(
                self.http, self.transport, method, target, headers=headers, **parts, actor=actor, label=label
            )
        else:
            request = self.http.build_request(method, target, headers=headers, **parts)
            response, exchange = send_and_record(self.http, request, actor=actor, label=label, transport=self.transport)
        if response is not None and "set-cookie" in response.headers:
            # The shared HTTP client must not carry them to the back channel.
            self.http.cookies.clear()
            if actor == "browser":
                browser.keep_cookies(response)
        r.exchanges.append(exchange)
        return response, exchange

    def wait(self, r: StepResult, seconds: int) -> bool:
        """Let time pass on the identity service's clock (the sandbox's); False when it cannot be moved."""
        if seconds <= 0:
            return True
        if self.advance_clock is None:
            r.error = StepError("clock_not_movable", "this step needs a clock it can move (advance_clock)")
            return False
        self.advance_clock(seconds)
        r.values["clock_advanced_seconds"] = seconds
        return True

    # --- the pieces on their own -------------------------------------------------------------------
    # For a real provider the visitor signs in in their own browser tab, so /connect calls these one by
    # one instead of next(); a run uses one way or the other. Each returns a step's StepResult.

    def discover(self) -> StepResult:
        """Read the discovery document and check it names the issuer and the grant this flow needs."""
        actor = "service" if self.flow == "client_credentials" else "app"
        return self.run_step("discovery", lambda r: front.discover(self, r, actor))

    def authorization_request(self) -> StepResult:
        """Make the verifier, S256 challenge, state and nonce; ``values["authorization_url"]`` is the URL to open."""

        def build(r: StepResult) -> None:
            params = front.start_authorization(self, r, self.app)
            url = httpx.URL(self.discovery["authorization_endpoint"]).copy_merge_params(params)
            r.values["authorization_url"] = str(url)

        return self.run_step("authorize", build)

    def accept_callback(self, url: str) -> StepResult:
        """The URL the browser landed on after sign-in: its error, or its state and iss checked and its code kept."""

        def accept(r: StepResult) -> None:
            self.auth.browser.location = url.strip()
            front.callback(self, r, self.app)

        return self.run_step("callback", accept)

    def redeem_code(self) -> StepResult:
        """Exchange the code and the PKCE verifier for tokens at the token endpoint."""
        return self.run_step("token", lambda r: back.redeem_code(self, r, self.app))

    def client_credentials_token(self) -> StepResult:
        """Ask the token endpoint for a token with the application's own credentials."""
        return self.run_step("token", lambda r: back.client_credentials(self, r, self.app))

    def validate(self) -> StepResult:
        """Fetch the JWKS and verify the tokens held (signature, typ, iss, aud, nonce, times)."""
        return self.run_step("validate", lambda r: back.validate(self, r, self.tokens, self.app))

    def refresh(self, rotation_required: bool = False) -> StepResult:
        """Redeem the refresh token held; a provider that does not rotate it keeps the old one in use."""
        held = self.auth.tokens.refresh_token

        def redeem(r: StepResult) -> None:
            back.redeem_refresh_token(self, r, held, rotation_required=rotation_required)
            if not r.error and not self.auth.tokens.refresh_token:
                self.auth.tokens.refresh_token = held

        return self.run_step("refresh", redeem)

    def call_api(self, url: str) -> StepResult:
        """One GET to ``url`` with the access token held; the answer's status and body are the values."""

        def call(r: StepResult) -> None:
            actor = "service" if self.flow == "client_credentials" else back.actor_of(self.app)
            headers = back.requests.bearer(self.tokens.access_token)
            _, ex = self.send(r, "GET", url, actor, f"GET {httpx.URL(url).path}", headers=headers)
            r.values["status"] = ex.status
            r.error = back.error_of(ex)

        return self.run_step("api_call", call)


def _odd_answer(result: StepResult, exc: Exception) -> StepError:
    """A broken or hostile provider's answer in a shape the client cannot use, as one sentence."""
    last = result.exchanges[-1] if result.exchanges else None
    if isinstance(exc, OddResponse):
        return StepError("invalid_response", str(exc), last.status if last else None)
    what = last.label if last and last.label else "provider"
    sentence = f"The {what} answer is not in the shape the client expects ({type(exc).__name__}), so the step stopped."
    return StepError("invalid_response", sentence, last.status if last else None)


def run_to_end(run: FlowRun) -> list[StepResult]:
    """Advance a run until it finishes or stops at an error; returns all its step results."""
    while not run.finished:
        run.next()
    return run.results
