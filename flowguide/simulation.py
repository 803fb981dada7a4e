"""The live simulator's state, independent of Streamlit: one run of one flow against one sandbox.

A :class:`Simulation` wraps a :class:`~flowguide.client.FlowRun` with what the page needs on top:
which step the visitor is looking at (Back shows an earlier result without rewinding the sandbox),
the person's own sign-in and consent answers, the sandbox clock, and API calls made by hand.
``resolve_selection`` turns the page's query parameters into a flow and a mistake, and
``resolve_step`` the ``step`` parameter into a place in the run, each with a notice when they could
not be used as given.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from flowguide import content
from flowguide.client import (
    API_ENTITY,
    DEFAULT_APPS,
    MISTAKE_APPS,
    MISTAKE_FLOWS,
    AppChoice,
    ClientConfig,
    FlowRun,
    StepResult,
    UserCredentials,
    app_choices,
    steps,
    unverified_claims,
)
from flowguide.pkce import S256_FORMULA
from flowguide.sandbox.sessions import NEW_RUN
from flowguide.text import shown
from flowguide.tokens import Check
from flowguide.transcript import Exchange, secret_values, send_and_record

FLOW_ORDER: tuple[str, ...] = ("authorization_code", "client_credentials", "refresh", "hybrid", "reference_token")
DEFAULT_FLOW = "authorization_code"
# The ways a visitor may run a flow (content/flows/*.yaml ``choices``); other flows have one application.
APP_CHOICES: dict[str, dict[str, AppChoice]] = {flow: app_choices(flow) for flow in FLOW_ORDER}
APP_NAMES: dict[str, str] = {
    "com.example/web-portal": "Web portal (confidential)",
    "com.example/spa": "Single-page app (public)",
    "com.example/nightly-sync": "Nightly sync service",
    "com.example/legacy-report": "Legacy reporting job",
    "com.example/report-script": "Reporting script (reference tokens)",
}
# The step ids come from the client's step tables (checked against content/flows/ when built).
SIGN_IN_STEPS = steps.SIGN_IN_STEPS
CONSENT_STEPS = steps.CONSENT_STEPS
HYBRID_LANES: dict[str, tuple[str, ...]] = steps.lanes("hybrid")
ONE_HOUR = 3600


@dataclass(frozen=True)
class Selection:
    """The flow, mistake and application to simulate, and a notice when the query parameters were not usable."""

    flow: str
    mistake: str | None = None
    notice: str | None = None
    # One of the flow's content ``choices`` (``?app=``), when the visitor or a link named one.
    choice: str | None = None


def resolve_selection(flow: str | None, mistake: str | None, app: str | None = None) -> Selection:
    """Turn ``?flow=&mistake=&app=`` into a selection; unknown values fall back with a short notice.

    A mistake that belongs to another flow switches to that flow, since it only happens there.
    """
    narratives = content.flows()
    notices: list[str] = []
    if flow and flow not in FLOW_ORDER:
        notices.append(f"There is no flow {shown(flow)}; showing {narratives[DEFAULT_FLOW].title} instead.")
        flow = None
    chosen, flow = _resolve_mistake(mistake, flow, notices)
    flow = flow or DEFAULT_FLOW
    choice = app if app in APP_CHOICES.get(flow, {}) and chosen is None else None
    if app and choice is None:
        notices.append(f"There is no application {shown(app)} for this run; using {DEFAULT_APPS[flow].client_id}.")
    return Selection(flow, chosen, " ".join(notices) or None, choice)


def _resolve_mistake(mistake: str | None, flow: str | None, notices: list[str]) -> tuple[str | None, str | None]:
    if not mistake:
        return None, flow
    catalogue, narratives = content.mistakes(), content.flows()
    if mistake not in catalogue or mistake not in MISTAKE_FLOWS:
        notices.append(f"There is no mistake {shown(mistake)} in the catalogue; running the flow as it should go.")
        return None, flow
    chosen = catalogue[mistake]
    if flow and chosen.flow != flow:
        where = f"{narratives[chosen.flow].title}, not in {narratives[flow].title}"
        notices.append(f"“{chosen.title}” happens in {where}; switched to it.")
    return chosen.id, chosen.flow


def resolve_step(step: str | None, step_ids: tuple[str, ...]) -> tuple[int, str | None]:
    """Turn ``?step=`` (a 1-based number or a step id) into a place in the run: 0 is before the first step.

    An unusable value falls back to the start, with a short notice.
    """
    if step is None or step == "":
        return 0, None
    if step in step_ids:
        return step_ids.index(step) + 1, None
    if step.isascii() and step.isdigit() and 1 <= int(step) <= len(step_ids):
        return int(step), None
    notice = f"There is no step {shown(step)} in this flow (1 to {len(step_ids)}, or a step id); starting at the start."
    return 0, notice


def mistakes_for(flow: str) -> list[content.Mistake]:
    """The catalogue's mistakes that happen in one flow, in catalogue order."""
    return [m for m in content.mistakes().values() if m.flow == flow and m.id in MISTAKE_FLOWS]


def app_for(flow: str, choice: str | None, mistake: str | None) -> ClientConfig:
    """The application that runs: the mistake's own, else the visitor's choice, else the flow's."""
    if mistake in MISTAKE_APPS:
        return MISTAKE_APPS[mistake]
    chosen = APP_CHOICES.get(flow, {}).get(choice or "")
    return chosen.app if chosen else DEFAULT_APPS[flow]


@dataclass(frozen=True)
class PkceComputation:
    """RFC 7636 §4.2 step by step: the verifier's ASCII bytes, their SHA-256, its base64url."""

    verifier: str
    ascii_length: int
    sha256: bytes
    challenge: str
    challenge_sent: str
    formula: str = S256_FORMULA

    @property
    def matches(self) -> bool:
        return self.challenge == self.challenge_sent


def pkce_computation(verifier: str, challenge_sent: str) -> PkceComputation:
    """Recompute the S256 challenge of ``verifier`` in the open, to compare with the one sent."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return PkceComputation(verifier, len(verifier.encode("ascii")), digest, challenge, challenge_sent)


@dataclass
class ApiProbe:
    """An API call the visitor made by hand (after moving the clock, say)."""

    exchange: Exchange
    lane: str
    clock_moved: int


@dataclass
class Simulation:
    """One flow run against one sandbox, plus the visitor's place in it."""

    sandbox: Any
    flow: str
    # The visitor's choice of application (an id of the flow's content ``choices``).
    client_id: str | None = None
    mistake: str | None = None
    app: ClientConfig = field(init=False)
    run: FlowRun = field(init=False)
    # Index into run.results of the step shown; -1 before the first step.
    viewing: int = field(init=False, default=-1)
    declined: bool = field(init=False, default=False)
    probes: list[ApiProbe] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.app = app_for(self.flow, self.client_id, self.mistake)
        # Each run starts with every licence slot free, as after a restart: an earlier run's sessions do not count.
        self.sandbox.state.sessions.end_all(NEW_RUN)
        self.run = FlowRun.for_sandbox(self.sandbox, self.flow, mistake=self.mistake, app=self.app)

    # --- where the visitor is -------------------------------------------------------------------

    @property
    def steps(self) -> tuple[str, ...]:
        return self.run.steps

    @property
    def results(self) -> list[StepResult]:
        return self.run.results

    @property
    def current(self) -> StepResult | None:
        """The result on screen (the latest, unless the visitor went Back)."""
        return self.results[self.viewing] if 0 <= self.viewing < len(self.results) else None

    @property
    def at_latest(self) -> bool:
        return self.viewing == len(self.results) - 1

    @property
    def can_back(self) -> bool:
        return self.viewing >= 0

    @property
    def can_next(self) -> bool:
        return not self.at_latest or not self.run.finished or self.awaiting_sign_in_retry

    @property
    def awaiting_sign_in_retry(self) -> bool:
        """The person mistyped their password: the sign-in page is shown again, to be answered."""
        last = self.results[-1] if self.results else None
        return last is not None and last.error is not None and last.error.code == "sign_in_failed"

    @property
    def pending_step(self) -> str | None:
        """The step Next would run now (None when Next only moves forward through earlier results)."""
        if not self.at_latest:
            return None
        if self.awaiting_sign_in_retry:
            return self.results[-1].step
        return self.run.next_step

    @property
    def position(self) -> int:
        """The step shown, counted from 1 as the page says it; 0 before the first step."""
        return self.viewing + 1

    @property
    def upcoming(self) -> int | None:
        """The number of the step Next shows or runs (a refused sign-in is asked again); None at the end."""
        if not self.can_next:
            return None
        return self.position if self.awaiting_sign_in_retry and self.at_latest else self.position + 1

    @property
    def highlight_step(self) -> str | None:
        """The step the diagram marks: the one shown; none before the first step has run."""
        return self.current.step if self.current is not None else None

    @property
    def finished(self) -> bool:
        return self.run.finished and not self.awaiting_sign_in_retry

    @property
    def succeeded(self) -> bool:
        return self.finished and self.run.error is None and len(self.results) == len(self.steps)

    # --- moving -----------------------------------------------------------------------------------

    def next(self, credentials: UserCredentials | None = None, decision: str = "allow") -> StepResult | None:
        """Show the next result; at the newest one, run the next step against the sandbox."""
        if not self.at_latest:
            self.viewing += 1
            return self.current
        if self.awaiting_sign_in_retry:
            self.run.retry_last()
        step = self.run.next_step
        if step is None:
            return None
        if step in SIGN_IN_STEPS and credentials is not None:
            self.run.user = credentials
        if step == "consent" and decision == "deny":
            # Declining is the catalogue's consent_declined: the client answers the page with Deny.
            self.declined = True
            self.run.mistake_id = "consent_declined"
        result = self.run.next()
        self.viewing = len(self.results) - 1
        return result

    def go_to(self, position: int) -> int:
        """Show step ``position`` (from 1; 0 is the start), running the steps not run yet; returns where it got.

        A link or a reload replays the walk this way: each step runs against this sandbox as Next runs it,
        signing in as the run's own user and allowing, and stops early where the run stops (a mistake met
        its error, or the sign-in was refused).
        """
        if position <= len(self.results):
            self.viewing = max(position, 0) - 1
            return self.position
        self.viewing = len(self.results) - 1
        # Bounded: a sign-in the sandbox keeps refusing must not replay forever.
        for _ in range(len(self.steps)):
            if len(self.results) >= position or self.run.finished:
                break
            self.next()
        return self.position

    def back(self) -> None:
        """Show the previous result; the sandbox keeps what already happened (codes stay used)."""
        if self.viewing >= 0:
            self.viewing -= 1

    def advance_clock(self, seconds: int = ONE_HOUR) -> None:
        """Move this sandbox's clock forward: codes and tokens age as if that much time had passed."""
        self.sandbox.clock.advance(seconds)

    @property
    def clock_moved(self) -> int:
        """Seconds the sandbox clock has moved: by the visitor, and by the flow itself (expiry, the nightly job)."""
        return self.sandbox.clock.offset

    def now(self) -> float:
        return float(self.sandbox.clock.now())

    # --- what the run holds -----------------------------------------------------------------------

    def mistake_entry(self) -> content.Mistake | None:
        """The catalogue entry of the mistake being made (declining consent counts as one)."""
        mistake_id = "consent_declined" if self.declined else self.mistake
        return content.mistakes().get(mistake_id or "")

    def lane_of(self, step: str) -> str | None:
        return next((lane for lane, steps in HYBRID_LANES.items() if step in steps), None)

    def lane_token(self, lane: str) -> str:
        """The access token a part of the application holds now ("web app" or "service")."""
        tokens = self.run.service_tokens if lane == "service" else self.run.auth.tokens
        return tokens.access_token

    def lane_refresh_token(self, lane: str) -> str:
        return "" if lane == "service" else self.run.auth.tokens.refresh_token

    def lane_claims(self, lane: str) -> dict[str, Any]:
        token = self.lane_token(lane)
        return unverified_claims(token) if token else {}

    def call_api(self, lane: str = "web app") -> ApiProbe | None:
        """Call the API now with the access token ``lane`` holds, outside the flow's own steps."""
        token = self.lane_token(lane)
        if not token:
            return None
        url = f"{self.run.api_base}/{API_ENTITY}?$top=10"
        request = self.run.http.build_request(
            "GET", url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        actor = "service" if lane == "service" else "app"
        _, exchange = send_and_record(self.run.http, request, actor=actor, label=f"GET {API_ENTITY} (by hand)")
        probe = ApiProbe(exchange, lane, self.clock_moved)
        self.probes.append(probe)
        return probe

    def revocation(self, token: str) -> Check | None:
        """Whether this session's identity service still honours an access token it issued, as the API asks it.

        A signature and its times verify offline for the token's whole life; revocation (a replayed code
        or a reused rotated refresh token, RFC 9700 §4.14.2) is known only to the issuer. None when the
        sandbox holds no record of the token (not an access token of this session).
        """
        record = self.sandbox.state.access_tokens.get(str(unverified_claims(token).get("jti", "")))
        if record is None:
            return None
        if record.revoked_because:
            return Check(
                "revoked",
                False,
                f"The identity service revoked this token: {record.revoked_because}. Its signature still "
                "verifies, but the API refuses it.",
            )
        return Check("revoked", True, "The identity service has not revoked it.")

    def secrets(self) -> set[str]:
        """Every credential this simulation issued or sent (for tests that search URLs and logs)."""
        return secret_values(self.run) | secret_values(p.exchange for p in self.probes)

    def close(self) -> None:
        self.run.http.close()
