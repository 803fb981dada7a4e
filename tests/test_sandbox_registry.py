"""content/sandbox.yaml as data: the scopes the identity service knows and the published demo credentials.

Each refusal at load is checked with a copy of the real file that differs in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from flowguide.content import ContentError
from flowguide.sandbox import SCOPES_SUPPORTED, Sandbox
from flowguide.sandbox.pages import SCOPE_WORDS
from flowguide.sandbox.registry import (
    API_SCOPES,
    KNOWN_SCOPES,
    PROTOCOL_SCOPES,
    REGISTRY_PATH,
    RegistryFile,
    ScopeKind,
    default_registry,
    load_registry,
)

SPA_CALLBACK = "http://localhost:5173/callback"


def the_file() -> dict[str, Any]:
    return yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))


def load_changed(tmp_path: Path, data: dict[str, Any]) -> RegistryFile:
    path = tmp_path / "sandbox.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_registry(path)


def scope_entry(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in data["scopes"] if s["name"] == name)


# --- scopes --------------------------------------------------------------------------------------------


def test_the_python_names_of_the_scopes_are_the_files_values() -> None:
    assert SCOPES_SUPPORTED == ["openid", "profile", "offline_access", "read", "update"]
    assert sorted(PROTOCOL_SCOPES) == ["offline_access", "openid", "profile"]
    assert sorted(API_SCOPES) == ["read", "update"]
    assert sorted(KNOWN_SCOPES) == ["offline_access", "openid", "profile", "read", "update"]
    assert SCOPE_WORDS == {
        "openid": "Confirm who you are to the application (OpenID Connect)",
        "profile": "See your name, email and user type",
        "offline_access": "Keep access while you are away (a refresh token)",
        "read": "Read your data",
        "update": "Create, change and delete your data",
    }


def test_discovery_lists_the_files_scopes_in_order() -> None:
    meta = Sandbox().http_client().get("/id/.well-known/openid-configuration").json()
    assert meta["scopes_supported"] == ["openid", "profile", "offline_access", "read", "update"]


def test_an_application_scope_missing_from_the_scopes_list_is_refused(tmp_path: Path) -> None:
    data = the_file()
    data["scopes"] = [s for s in data["scopes"] if s["name"] != "update"]
    with pytest.raises(ContentError) as caught:
        load_changed(tmp_path, data)
    assert caught.value.key == "trusted_applications[0].Scope"
    assert "unknown: ['update']" in caught.value.problem


def test_a_scope_listed_twice_is_refused(tmp_path: Path) -> None:
    data = the_file()
    data["scopes"].append({"name": "read", "kind": "api", "consent": "Read again"})
    with pytest.raises(ContentError, match="'read' appears more than once in scopes"):
        load_changed(tmp_path, data)


def test_a_scope_of_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    data = the_file()
    scope_entry(data, "read")["kind"] = "data"
    with pytest.raises(ContentError) as caught:
        load_changed(tmp_path, data)
    assert caught.value.key == "scopes[3].kind"


def test_the_consent_page_says_the_files_words(tmp_path: Path) -> None:
    data = the_file()
    scope_entry(data, "read")["consent"] = "Look at your customers"
    sandbox = Sandbox(registry=load_changed(tmp_path, data))
    client = sandbox.http_client()
    params = {
        "client_id": "com.example/spa",
        "redirect_uri": SPA_CALLBACK,
        "response_type": "code",
        "state": "s",
        "scope": "read",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    page = client.get("/id/connect/authorize", params=params)
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
    consent = client.post("/id/account/login", data={"request_id": request_id, "username": "david", "password": "demo"})
    assert "<code>read</code>: Look at your customers" in consent.text


def spa_authorize(sandbox: Sandbox, scope: str) -> httpx.Response:
    params = {
        "client_id": "com.example/spa",
        "redirect_uri": SPA_CALLBACK,
        "response_type": "code",
        "state": "s",
        "scope": scope,
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    return sandbox.http_client().get("/id/connect/authorize", params=params)


def test_a_scopes_kind_decides_whether_an_application_must_list_it(tmp_path: Path) -> None:
    # profile is a protocol scope: the SPA may ask for it although its Scope is only "read".
    assert spa_authorize(Sandbox(), "read profile").status_code == 200
    data = the_file()
    scope_entry(data, "profile")["kind"] = "api"
    refused = spa_authorize(Sandbox(registry=load_changed(tmp_path, data)), "read profile")
    assert refused.status_code == 302
    assert "error=invalid_scope" in refused.headers["location"]


def test_a_scopes_kind_decides_what_client_credentials_never_gets(tmp_path: Path) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "com.example/nightly-sync",
        "client_secret": "nightly-sync-secret",
        "scope": "update",
    }
    assert Sandbox().http_client().post("/id/connect/token", data=form).status_code == 200
    data = the_file()
    scope_entry(data, "update")["kind"] = "protocol"
    refused = Sandbox(registry=load_changed(tmp_path, data)).http_client().post("/id/connect/token", data=form)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    assert "never issued with client_credentials" in refused.json()["error_description"]


def test_a_registrys_scope_kinds_are_its_own_scopes_kinds() -> None:
    # The names of each kind are kept by the scope tuple read: a copy with other scopes never sees the original's.
    registry = default_registry()
    assert registry.protocol_scopes == PROTOCOL_SCOPES and registry.api_scopes == API_SCOPES
    kinds = {"profile": ScopeKind.API}
    swapped = tuple(s.model_copy(update={"kind": kinds.get(s.name, s.kind)}) for s in registry.scopes)
    copy = registry.model_copy(update={"scopes": swapped})
    assert "profile" in copy.api_scopes and "profile" not in copy.protocol_scopes
    assert "profile" in registry.protocol_scopes and "profile" not in registry.api_scopes
    assert registry.model_copy().protocol_scopes == PROTOCOL_SCOPES


# --- the published demo credentials ------------------------------------------------------------------------


def test_the_demo_credentials_are_published_per_client_and_per_login() -> None:
    registry = default_registry()
    assert registry.demo_secret("com.example/web-portal") == "web-portal-secret"
    assert registry.demo_secret("com.example/nightly-sync") == "nightly-sync-secret"
    assert registry.demo_secret("com.example/legacy-report") == "legacy-report-secret"
    assert registry.demo_secret("com.example/spa") is None
    assert registry.demo_secret("com.example/nobody") is None
    assert registry.demo_password("david") == "demo"
    assert registry.demo_password("petra") == "demo"
    assert registry.demo_password("sync-bot") is None


def test_a_wrong_demo_secret_is_refused_at_load(tmp_path: Path) -> None:
    data = the_file()
    data["demo_credentials"]["client_secrets"]["com.example/web-portal"] = "not-the-web-portal-secret"
    with pytest.raises(ContentError) as caught:
        load_changed(tmp_path, data)
    assert caught.value.key == "demo_credentials.client_secrets.com.example/web-portal"
    assert caught.value.problem == "does not hash to its ApplicationSecretHash"
    assert "sandbox.yaml" in str(caught.value)
    assert "not-the-web-portal-secret" not in str(caught.value)


def test_a_wrong_demo_password_is_refused_at_load(tmp_path: Path) -> None:
    data = the_file()
    data["demo_credentials"]["passwords"]["petra"] = "guess"
    with pytest.raises(ContentError) as caught:
        load_changed(tmp_path, data)
    assert caught.value.key == "demo_credentials.passwords.petra"
    assert caught.value.problem == "does not hash to its password_hash"


CONFIDENTIAL_ONLY = "is not the ApplicationUri of a Confidential application in trusted_applications"


@pytest.mark.parametrize(
    ("section", "name", "key", "problem"),
    [
        ("client_secrets", "com.example/spa", "demo_credentials.client_secrets.com.example/spa", CONFIDENTIAL_ONLY),
        (
            "client_secrets",
            "com.example/nobody",
            "demo_credentials.client_secrets.com.example/nobody",
            CONFIDENTIAL_ONLY,
        ),
        ("passwords", "sync-bot", "demo_credentials.passwords.sync-bot", "is not the login of a user in users"),
    ],
    ids=["public-client", "unknown-client", "system-user"],
)
def test_demo_credentials_for_no_such_record_are_refused(
    tmp_path: Path, section: str, name: str, key: str, problem: str
) -> None:
    data = the_file()
    data["demo_credentials"][section][name] = "anything"
    with pytest.raises(ContentError) as caught:
        load_changed(tmp_path, data)
    assert (caught.value.key, caught.value.problem) == (key, problem)


# --- a user's claims --------------------------------------------------------------------------------------


def test_the_users_claims_beyond_name_and_email_are_data() -> None:
    david = default_registry().user("david")
    assert (david.email_verified, david.locale, david.is_admin) == (True, "en-US", False)
    assert default_registry().user("petra").locale == "bg"


@pytest.mark.parametrize(("field", "value"), [("locale", "English"), ("email_verified", "yes"), ("is_admin", 1)])
def test_a_users_claim_of_the_wrong_shape_is_refused(tmp_path: Path, field: str, value: object) -> None:
    data = the_file()
    data["users"][0][field] = value
    with pytest.raises(ContentError) as caught:
        load_changed(tmp_path, data)
    assert caught.value.key == f"users[0].{field}"
