"""The client side of each flow, run one step at a time, recording every HTTP exchange.

- :mod:`~flowguide.client.requests`: the requests, as pure functions
- :mod:`~flowguide.client.browser`: the person's browser (cookies, pages, forms, where it lands)
- :mod:`~flowguide.client.front_channel` / :mod:`~flowguide.client.back_channel`: what each step does
- :mod:`~flowguide.client.steps`: one declarative table per flow, its ids from content/flows/
- :mod:`~flowguide.client.mistakes`: wrong moves as hooks on one request
- :mod:`~flowguide.client.results`: what a step did, and the checks it made
- :mod:`~flowguide.client.run`: :class:`FlowRun`, the runner
"""

from flowguide.client.back_channel import API_ENTITY
from flowguide.client.browser import HtmlForm, HtmlPage, parse_page
from flowguide.client.config import (
    AppChoice,
    ClientConfig,
    UserCredentials,
    app_choices,
    default_apps,
    demo_apps,
    demo_user,
    flow_steps,
    mistake_apps,
    mistake_flows,
)
from flowguide.client.responses import error_of
from flowguide.client.results import Check, OddResponse, StepError, StepResult, Tokens
from flowguide.client.run import API_PATH, DEFAULT_AUDIENCE, AuthState, FlowRun, run_to_end
from flowguide.tokens import unverified_claims

# The demo registry's applications and person (content/sandbox.yaml), under the names the pages use.
DEMO_APPS = demo_apps()
WEB_PORTAL = DEMO_APPS["com.example/web-portal"]
SPA = DEMO_APPS["com.example/spa"]
NIGHTLY_SYNC = DEMO_APPS["com.example/nightly-sync"]
LEGACY_REPORT = DEMO_APPS["com.example/legacy-report"]
DAVID = demo_user("david")
FLOW_STEPS = flow_steps()
DEFAULT_APPS = default_apps()
MISTAKE_FLOWS = mistake_flows()
MISTAKE_APPS = mistake_apps()

__all__ = [
    "API_ENTITY",
    "API_PATH",
    "DAVID",
    "DEFAULT_APPS",
    "DEFAULT_AUDIENCE",
    "DEMO_APPS",
    "FLOW_STEPS",
    "LEGACY_REPORT",
    "MISTAKE_APPS",
    "MISTAKE_FLOWS",
    "NIGHTLY_SYNC",
    "SPA",
    "WEB_PORTAL",
    "AppChoice",
    "AuthState",
    "Check",
    "ClientConfig",
    "FlowRun",
    "HtmlForm",
    "HtmlPage",
    "OddResponse",
    "StepError",
    "StepResult",
    "Tokens",
    "UserCredentials",
    "app_choices",
    "error_of",
    "parse_page",
    "run_to_end",
    "unverified_claims",
]
