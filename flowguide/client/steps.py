"""One declarative table per flow: each row a step id (as content/flows/*.yaml names it) and its action.

The runner walks the table; the step ids are checked against the content when the table is built, so
a narrative, a diagram, the client and the mistakes catalogue can only name the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowguide.client import back_channel as back
from flowguide.client import front_channel as front
from flowguide.client import reference_steps as reference
from flowguide.client.config import flow_steps
from flowguide.content import CONTENT_DIR, ContentError

if TYPE_CHECKING:
    from flowguide.client.results import StepResult
    from flowguide.client.run import FlowRun

Action = Callable[["FlowRun", "StepResult"], None]


@dataclass(frozen=True)
class Step:
    id: str
    action: Action
    # In the hybrid, which of the solution's two applications takes the step.
    lane: str | None = None


def _discover(actor: str) -> Action:
    return lambda run, r: front.discover(run, r, actor)


def _authorize(run: FlowRun, r: StepResult) -> None:
    front.authorize(run, r, run.app)


def _sign_in(run: FlowRun, r: StepResult) -> None:
    front.sign_in(run, r)


def _consent(run: FlowRun, r: StepResult) -> None:
    front.consent(run, r, run.mistake.consent_decision())


def _callback(run: FlowRun, r: StepResult) -> None:
    front.callback(run, r, run.app)


def _token(run: FlowRun, r: StepResult) -> None:
    back.redeem_code(run, r, run.app)


def _validate_user(run: FlowRun, r: StepResult) -> None:
    back.validate(run, r, run.auth.tokens, run.app)


def _user_api_call(run: FlowRun, r: StepResult) -> None:
    if run.wait(r, run.mistake.wait_before_api_call(run, service=False)) and not run.mistake.calls_api(run, r):
        back.call_api(run, r, run.auth.tokens.access_token, back.actor_of(run.app))


def _service_token(run: FlowRun, r: StepResult) -> None:
    back.client_credentials(run, r, run.app)


def _validate_service(run: FlowRun, r: StepResult) -> None:
    back.validate(run, r, run.service_tokens, run.app)


def _service_api_call(run: FlowRun, r: StepResult) -> None:
    if not run.mistake.calls_api(run, r):
        back.call_api(run, r, run.service_tokens.access_token, "service")


def _initial_tokens(run: FlowRun, r: StepResult) -> None:
    # The refresh flow starts from a finished sign-in: the Authorization Code steps in one.
    for action in (_discover("app"), _authorize, _sign_in, _consent, _callback, _token):
        action(run, r)
        if r.error or r.failed():
            return
    r.check("a refresh token was issued (offline_access)", bool(run.auth.tokens.refresh_token))


def _expire(run: FlowRun, r: StepResult) -> None:
    if run.wait(r, run.auth.tokens.expires_in + 60):
        back.call_api(run, r, run.auth.tokens.access_token, back.actor_of(run.app), expect=(401, "invalid_token"))


def _refresh(run: FlowRun, r: StepResult) -> None:
    back.redeem_refresh_token(run, r, run.auth.tokens.refresh_token)
    if not r.error:
        run.mistake.after_refresh(run, r)


def _reuse_refresh(run: FlowRun, r: StepResult) -> None:
    back.redeem_refresh_token(run, r, run.old_refresh_token, label="the old one again", expect=(400, "invalid_grant"))


def _hybrid_discovery(run: FlowRun, r: StepResult) -> None:
    # Both parts read the discovery document: they are separate applications.
    front.discover(run, r, "web app")
    if not r.error:
        front.discover(run, r, "service")


def _hybrid_service_token(run: FlowRun, r: StepResult) -> None:
    if not run.mistake.service_token(run, r):
        back.client_credentials(run, r, run.service)


def _hybrid_service_api_call(run: FlowRun, r: StepResult) -> None:
    token = run.service_tokens.access_token
    if run.wait(r, run.mistake.wait_before_api_call(run, service=True)):
        back.call_api(run, r, token, "service")
        if not r.error:
            back.service_call_checks(run, r, token)


WEB_APP, SERVICE = "web app", "service"

_TABLES: dict[str, tuple[Step, ...]] = {
    "authorization_code": (
        Step("discovery", _discover("app")),
        Step("authorize", _authorize),
        Step("sign_in", _sign_in),
        Step("consent", _consent),
        Step("callback", _callback),
        Step("token", _token),
        Step("validate", _validate_user),
        Step("api_call", _user_api_call),
    ),
    "client_credentials": (
        Step("discovery", _discover("service")),
        Step("token", _service_token),
        Step("validate", _validate_service),
        Step("api_call", _service_api_call),
    ),
    "hybrid": (
        Step("discovery", _hybrid_discovery),
        Step("user_authorize", _authorize, WEB_APP),
        Step("user_sign_in", _sign_in, WEB_APP),
        Step("user_consent", _consent, WEB_APP),
        Step("user_callback", _callback, WEB_APP),
        Step("user_token", _token, WEB_APP),
        Step("user_api_call", _user_api_call, WEB_APP),
        Step("service_token", _hybrid_service_token, SERVICE),
        Step("service_api_call", _hybrid_service_api_call, SERVICE),
    ),
    "refresh": (
        Step("initial_tokens", _initial_tokens),
        Step("expire", _expire),
        Step("refresh", _refresh),
        Step("api_call", _user_api_call),
        Step("reuse_refresh", _reuse_refresh),
    ),
    # No OAuth flow: tokens issued by hand (auth/tokens/reference-access-tokens.md).
    "reference_token": (
        Step("issue_pat", reference.issue_pat),
        Step("pat_api_call", reference.pat_api_call),
        Step("last_used", reference.last_used),
        Step("issue_sat", reference.issue_sat),
        Step("sat_api_call", reference.sat_api_call),
        Step("revoke", reference.revoke),
        Step("refused", reference.refused),
    ),
}


def flow_table(flow: str) -> tuple[Step, ...]:
    """The steps of a flow, after checking they are the ones its narrative names, in the same order."""
    table = _TABLES[flow]
    named = flow_steps().get(flow)
    if named != tuple(s.id for s in table):
        raise ContentError(CONTENT_DIR / "flows" / f"{flow}.yaml", "steps", f"the client runs {[s.id for s in table]}")
    return table


def flows() -> tuple[str, ...]:
    return tuple(_TABLES)


def _steps_doing(action: Action) -> frozenset[str]:
    return frozenset(s.id for table in _TABLES.values() for s in table if s.action is action)


# Where the browser shows the identity service's own pages and the person answers them.
SIGN_IN_STEPS = _steps_doing(_sign_in)
CONSENT_STEPS = _steps_doing(_consent)


def lanes(flow: str) -> dict[str, tuple[str, ...]]:
    """The applications of a solution (the hybrid's two) and the steps each takes; {} for one application."""
    found: dict[str, tuple[str, ...]] = {}
    for step in _TABLES[flow]:
        if step.lane:
            found[step.lane] = (*found.get(step.lane, ()), step.id)
    return found
