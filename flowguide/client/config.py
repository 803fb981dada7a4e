"""How an application is registered, as its own code knows it, and the demo registry's applications.

The demo applications, their published secrets, the signing-in person and which application each
flow and mistake uses are content (content/sandbox.yaml, content/flows/*.yaml, content/mistakes.yaml);
this module only turns them into the client's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from flowguide import content
from flowguide.sandbox.registry import TrustedApplication, default_registry


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
    # "code id_token" is OpenID Connect's hybrid response (Core §3.3); the mode says how it comes back.
    response_type: Literal["code", "code id_token"] = "code"
    response_mode: Literal["query", "fragment", "form_post"] | None = None

    @property
    def confidential(self) -> bool:
        return self.client_type == "Confidential"


@dataclass(frozen=True)
class UserCredentials:
    """What the person types on the identity service's sign-in page."""

    username: str
    password: str


def _config(app: TrustedApplication, secret: str | None) -> ClientConfig:
    return ClientConfig(
        client_id=app.client_id,
        client_type="Public" if app.is_public else "Confidential",
        client_secret=secret,
        redirect_uri=next(iter(app.login_redirect_uris), None),
        scope=" ".join(app.scopes),
    )


@cache
def demo_apps() -> dict[str, ClientConfig]:
    """Every Trusted Application of the demo registry, with its published demo secret."""
    registry = default_registry()
    return {a.client_id: _config(a, registry.demo_secret(a.client_id)) for a in registry.trusted_applications}


@cache
def demo_user(login: str = "david") -> UserCredentials:
    """A demo person and the published password they type."""
    password = default_registry().demo_password(login)
    if password is None:
        raise KeyError(f"the demo registry publishes no password for {login!r}")
    return UserCredentials(login, password)


@cache
def flow_steps() -> dict[str, tuple[str, ...]]:
    """The step ids of each flow, in order, as content/flows/*.yaml names them."""
    return {flow_id: tuple(s.id for s in flow.steps) for flow_id, flow in content.flows().items()}


def _registered(client_id: str, file: str, key: str) -> ClientConfig:
    app = demo_apps().get(client_id)
    if app is None:
        raise content.ContentError(content.CONTENT_DIR / file, key, f"{client_id!r} is not in content/sandbox.yaml")
    return app


@cache
def default_apps() -> dict[str, ClientConfig]:
    """The application each flow runs as unless a mistake or the visitor picks another."""
    flows = content.flows().items()
    return {f: _registered(flow.application, f"flows/{f}.yaml", "application") for f, flow in flows}


@cache
def mistake_flows() -> dict[str, str]:
    """Every mistake the client can make, with the flow it belongs to (content/mistakes.yaml)."""
    return {m.id: m.flow for m in content.mistakes().values()}


def demo_license_slots() -> int:
    """The licence slots of the simulator's demo instance (content/sandbox.yaml)."""
    return default_registry().sessions.license_slots


@cache
def mistake_apps() -> dict[str, ClientConfig]:
    """Mistakes whose wrong move is made by another application than the flow's default."""
    found = [m for m in content.mistakes().values() if m.application]
    return {m.id: _registered(m.application or "", "mistakes.yaml", f"{m.id}.application") for m in found}


@dataclass(frozen=True)
class AppChoice:
    """One way a visitor may run a flow (content/flows/*.yaml ``choices``)."""

    id: str
    label: str
    app: ClientConfig
    when: str = ""


@cache
def app_choices(flow: str) -> dict[str, AppChoice]:
    """The ways a flow may be run, by choice id; {} when it runs with its own application only."""
    narrative = content.flows()[flow]
    found = {}
    for i, c in enumerate(narrative.choices):
        app = _registered(c.application, f"flows/{flow}.yaml", f"choices[{i}].application")
        configured = replace(app, response_type=c.response_type, response_mode=c.response_mode)
        found[c.id] = AppChoice(c.id, c.label, configured, c.when)
    return found
