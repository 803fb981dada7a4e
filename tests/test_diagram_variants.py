"""Diagrams match the client kind and the scopes the guide recommends; variants are data the spec checks."""

from __future__ import annotations

import re

import pytest

from flowguide import content, diagrams
from flowguide.content import ContentError, validate
from flowguide.diagrams import DiagramSpec
from flowguide.guide import guide_content, recommend
from flowguide.pages import ui

SIGN_IN_FLOWS = ("authorization_code", "hybrid")
CLIENT_KINDS = [o.id for o in guide_content().question("client").options]


def _labels(spec: DiagramSpec) -> str:
    return "\n".join([p.label for p in spec.participants] + [m.label for m in spec.messages])


def _token_request(spec: DiagramSpec) -> str:
    return next(m.label for m in spec.messages if m.id == "token_request")


@pytest.mark.parametrize("flow", SIGN_IN_FLOWS)
def test_every_kind_of_client_the_guide_asks_about_has_its_variant(flow: str) -> None:
    assert set(CLIENT_KINDS) <= set(diagrams.load_spec_with_variants(flow).variants)


def test_every_way_the_simulator_runs_authorization_code_has_its_variant() -> None:
    choices = [c.id for c in content.flows()["authorization_code"].choices]
    assert set(choices) <= set(diagrams.load_spec_with_variants("authorization_code").variants)


@pytest.mark.parametrize("flow", SIGN_IN_FLOWS)
def test_a_browser_only_app_exchanges_the_code_itself_with_no_secret(flow: str) -> None:
    spec = diagrams.resolved_spec(flow, "spa")
    token = next(m for m in spec.messages if m.id == "token_request")
    assert "SPA" in spec.participant(token.source).label
    assert "Web app" not in _labels(spec) and "secret" not in _token_request(spec).replace("no secret", "")
    assert "CORS" in _token_request(spec)


@pytest.mark.parametrize("flow", SIGN_IN_FLOWS)
def test_a_web_app_with_a_server_sends_its_secret(flow: str) -> None:
    spec = diagrams.resolved_spec(flow, "web")
    assert "(server)" in spec.participant(next(m for m in spec.messages if m.id == "token_request").source).label
    assert _token_request(spec).endswith("secret")


@pytest.mark.parametrize("flow", SIGN_IN_FLOWS)
@pytest.mark.parametrize("kind", ["native", "cli"])
def test_installed_apps_use_the_system_browser_and_a_loopback_redirect(flow: str, kind: str) -> None:
    spec = diagrams.resolved_spec(flow, kind)
    labels = _labels(spec)
    assert "System browser" in labels and "127.0.0.1" in labels
    assert "no secret" in _token_request(spec)


@pytest.mark.parametrize("flow", diagrams.SEQUENCE_IDS)
@pytest.mark.parametrize("kind", [None, *CLIENT_KINDS])
def test_every_variant_keeps_the_flows_steps_and_fills_every_placeholder(flow: str, kind: str | None) -> None:
    spec = diagrams.resolved_spec(flow, kind)
    assert spec.step_ids() == [s.id for s in content.flows()[flow].steps]
    assert not re.search(r"\{[a-z_]+\}", _labels(spec))


def _consent(answers: dict[str, str], flow: str) -> str:
    shown = ui.recommended_diagram(recommend(answers))
    spec = diagrams.resolved_spec(flow, shown["variant"], tuple(sorted(shown["params"].items())))
    return next(m.label for m in spec.messages if m.id == "consent_page")


def test_the_consent_asks_for_the_scopes_the_guide_recommends() -> None:
    reads = _consent({"signin": "yes", "unattended": "no", "client": "spa"}, "authorization_code")
    assert reads == "consent: allow openid, profile, read?"
    writes = {"signin": "yes", "unattended": "yes", "client": "web", "user_writes": "yes", "long_sessions": "yes"}
    assert _consent(writes, "hybrid") == "consent: allow openid, profile, offline_access, read, update?"


def test_the_guides_spa_diagram_is_the_spa_variant() -> None:
    shown = ui.recommended_diagram(recommend({"signin": "yes", "unattended": "no", "client": "spa"}))
    assert shown["variant"] == "spa"


def test_a_variant_the_spec_lacks_draws_the_base() -> None:
    assert diagrams.resolved_spec("client_credentials", "spa") == diagrams.load_spec("client_credentials")


def _spec_data(**changes: object) -> dict:
    data = {
        "id": "x",
        "kind": "sequence",
        "title": "t",
        "participants": [
            {"id": "app", "label": "App", "role": "app"},
            {"id": "idp", "label": "Id", "role": "identity"},
        ],
        "messages": [{"id": "ask", "step": "s", "from": "app", "to": "idp", "kind": "request", "label": "GET"}],
    }
    return data | changes


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"variants": {"spa": {"participants": {"browser": "B"}}}}, "unknown participant 'browser'"),
        ({"variants": {"spa": {"messages": {"token": "POST"}}}}, "no message with id 'token'"),
        ({"variants": {"spa": {"messages": {"ask": "allow {scope}?"}}}}, "uses {scope}"),
        ({"params": {"scope": "read"}, "variants": {"spa": {"extra": 1}}}, "variants.spa.extra"),
    ],
)
def test_a_variant_that_names_what_the_spec_lacks_is_refused(changes: dict, error: str) -> None:
    with pytest.raises(ContentError, match=re.escape(error)):
        validate(_spec_data(**changes), DiagramSpec, "diagrams/x.yaml")


def test_params_fill_placeholders_and_unknown_ones_are_ignored() -> None:
    data = _spec_data(params={"scope": "read"})
    data["messages"][0]["label"] = "allow {scope}?"
    spec = validate(data, DiagramSpec, "diagrams/x.yaml")
    assert spec.resolved(None, {"scope": "read, update", "other": "x"}).messages[0].label == "allow read, update?"
    assert spec.resolved().messages[0].label == "allow read?"
