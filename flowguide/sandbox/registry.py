"""The sandbox's registry: scopes, Trusted Application records, users, System Users and demo rows.

The schema of ``content/sandbox.yaml``. Field names of a Trusted Application follow the product's
record (``auth/configuration/trusted-apps-access.md``): ``ApplicationUri`` is the ``client_id``,
only ``base64(sha256(secret))`` is stored, redirect URIs match exactly and case-sensitively.
The scopes the identity service knows are data too (``auth/concepts/scopes.md``; RFC 6749 §3.3), and
so are the published demo credentials the client side types, each checked against its stored hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, StrictBool, StrictStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from flowguide.content import CONTENT_DIR, Model, load_file, require_unique

REGISTRY_PATH = CONTENT_DIR / "sandbox.yaml"


def secret_hash(secret: str) -> str:
    """The product's stored form of a secret: base64(sha256(secret))."""
    return base64.b64encode(hashlib.sha256(secret.encode("utf-8")).digest()).decode("ascii")


def matches_hash(secret: str, stored_hash: str) -> bool:
    """Compare a presented secret with a stored hash in constant time."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def _invalid_at(loc: tuple[str | int, ...], problem: str) -> ValidationError:
    """A problem at a key below the field being validated: pydantic prefixes the field, the loader names the key."""
    detail = PydanticCustomError("registry", "{problem}", {"problem": problem})
    return ValidationError.from_exception_data("RegistryFile", [InitErrorDetails(type=detail, loc=loc, input=None)])


class ScopeKind(StrEnum):
    # Protocol scopes need no configuration and are never issued with client_credentials (auth/concepts/scopes.md).
    PROTOCOL = "protocol"
    API = "api"


class ScopeDefinition(Model):
    """One scope the identity service knows, and the words its consent page shows for it."""

    name: StrictStr = Field(pattern=r"^[a-z][a-z_]*$")
    kind: ScopeKind
    consent: StrictStr = Field(min_length=1)


class DemoCredentials(Model):
    """The published demo secrets (per client_id) and passwords (per login) that the client side types."""

    client_secrets: dict[StrictStr, StrictStr] = {}
    passwords: dict[StrictStr, StrictStr] = {}


class ClientType(StrEnum):
    PUBLIC = "Public"
    CONFIDENTIAL = "Confidential"


class AccessTokensPolicy(StrEnum):
    """Who may issue reference tokens (PAT, SAT) for an application (auth/tokens/reference-access-tokens.md)."""

    NONE = "None"
    AUTHENTICATED_USERS = "AuthenticatedUsers"
    ADMINISTRATORS_ONLY = "AdministratorsOnly"


class TrustedApplication(Model):
    """One Trusted Application record, in the product's field names."""

    ApplicationUri: StrictStr = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$")
    Description: StrictStr = ""
    ClientType: ClientType
    ApplicationSecretHash: StrictStr | None = Field(default=None, pattern=r"^[A-Za-z0-9+/]{43}=$")
    ImpersonateLoginUrl: StrictStr = ""
    ImpersonateLogoutUrl: StrictStr = ""
    ImpersonateAsInternalUserAllowed: StrictBool = False
    ImpersonateAsCommunityUserAllowed: StrictBool = False
    SystemUserAllowed: StrictBool = False
    SystemUser: StrictStr | None = None
    Scope: StrictStr
    IsEnabled: StrictBool = True
    # The documentation's default, and its most secure value: no reference tokens.
    AccessTokens: AccessTokensPolicy = AccessTokensPolicy.NONE

    @field_validator("ImpersonateLoginUrl", "ImpersonateLogoutUrl")
    @classmethod
    def _absolute_uris(cls, value: str) -> str:
        for uri in _split_uris(value):
            parts = urlsplit(uri)
            if not parts.scheme or not parts.netloc or parts.fragment:
                raise ValueError(f"{uri!r} is not an absolute URI without a fragment")
        return value

    @field_validator("Scope")
    @classmethod
    def _some_scope(cls, value: str) -> str:
        # Which names are known is the file's scopes list, checked by RegistryFile.
        if not value.split():
            raise ValueError("name at least one scope")
        return value

    @model_validator(mode="after")
    def _secret_and_system_user(self) -> TrustedApplication:
        if self.ClientType is ClientType.CONFIDENTIAL and not self.ApplicationSecretHash:
            raise ValueError("a Confidential application needs ApplicationSecretHash")
        if self.ClientType is ClientType.PUBLIC and self.ApplicationSecretHash:
            raise ValueError("a Public application has no secret: remove ApplicationSecretHash")
        if self.SystemUserAllowed and not self.SystemUser:
            raise ValueError("SystemUserAllowed needs a SystemUser")
        return self

    @property
    def client_id(self) -> str:
        return self.ApplicationUri

    @property
    def is_public(self) -> bool:
        return self.ClientType is ClientType.PUBLIC

    @property
    def login_redirect_uris(self) -> tuple[str, ...]:
        return _split_uris(self.ImpersonateLoginUrl)

    @property
    def logout_redirect_uris(self) -> tuple[str, ...]:
        return _split_uris(self.ImpersonateLogoutUrl)

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.Scope.split())

    def allows_user_type(self, user_type: str) -> bool:
        """Which users may sign in to this application (the Impersonate... flags)."""
        if user_type == "InternalUser":
            return self.ImpersonateAsInternalUserAllowed
        if user_type == "ExternalCommunityUser":
            return self.ImpersonateAsCommunityUserAllowed
        return False

    def check_secret(self, secret: str) -> bool:
        return self.ApplicationSecretHash is not None and matches_hash(secret, self.ApplicationSecretHash)


# A pure function of the text, which every redirect-URI check and CORS answer splits again.
@lru_cache(maxsize=256)
def _split_uris(value: str) -> tuple[str, ...]:
    # The product's list is comma-separated; each entry matches exactly, so only whitespace is trimmed.
    return tuple(u.strip() for u in value.split(",") if u.strip())


class User(Model):
    """A person who signs in (Authorization Code flow)."""

    login: StrictStr = Field(pattern=r"^[a-z][a-z0-9._-]*$")
    id: StrictStr = Field(pattern=r"^[0-9a-f-]{36}$")
    name: StrictStr
    email: StrictStr = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    user_type: Literal["InternalUser", "ExternalCommunityUser"]
    password_hash: StrictStr = Field(pattern=r"^[A-Za-z0-9+/]{43}=$")
    # The rest of a user's claims in auth/tokens/access-tokens.md.
    email_verified: StrictBool = False
    locale: StrictStr = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    is_admin: StrictBool = False

    def check_password(self, password: str) -> bool:
        return matches_hash(password, self.password_hash)


class SystemUser(Model):
    """A service account a Trusted Application acts as (Client Credentials flow); it cannot sign in."""

    login: StrictStr = Field(pattern=r"^[a-z][a-z0-9._-]*$")
    id: StrictStr = Field(pattern=r"^[0-9a-f-]{36}$")
    name: StrictStr
    user_type: Literal["InternalUser", "SystemUserNoLogin"] = "InternalUser"


class CustomerRow(Model):
    """A seeded row of Crm_Sales_Customers, visible to its owner only."""

    owner: StrictStr
    Id: StrictStr = Field(pattern=r"^[0-9a-f-]{36}$")
    Number: StrictStr
    Name: StrictStr
    City: StrictStr = ""


class LicenseError(Model):
    """What the API answers when no licence slot is free: the documentation's code, the sandbox's status and words."""

    status: int = Field(ge=400, le=599)
    code: StrictStr = Field(min_length=1)
    message: StrictStr = Field(min_length=1)


class SessionPolicy(Model):
    """The instance's licence slots and session timers (auth/sessions/license-slot.md)."""

    license_slots: int = Field(ge=1, le=10_000)
    standalone_license_slots: int = Field(ge=1, le=10_000)
    sliding_expiration: int = Field(gt=0)
    service_absolute_expiration: int = Field(gt=0)
    license_error: LicenseError


class RegistryFile(Model):
    """content/sandbox.yaml."""

    database: StrictStr = Field(min_length=1)
    # Fields are validated in this order: a validator below may look at the ones above it (info.data).
    scopes: tuple[ScopeDefinition, ...] = Field(min_length=1)
    trusted_applications: tuple[TrustedApplication, ...] = Field(min_length=1)
    users: tuple[User, ...] = ()
    system_users: tuple[SystemUser, ...] = ()
    customers: tuple[CustomerRow, ...] = ()
    demo_credentials: DemoCredentials = DemoCredentials()
    sessions: SessionPolicy

    @field_validator("scopes")
    @classmethod
    def _unique_scopes(cls, scopes: tuple[ScopeDefinition, ...]) -> tuple[ScopeDefinition, ...]:
        require_unique([s.name for s in scopes], "scopes")
        return scopes

    @field_validator("trusted_applications")
    @classmethod
    def _known_scopes(
        cls, apps: tuple[TrustedApplication, ...], info: ValidationInfo
    ) -> tuple[TrustedApplication, ...]:
        known = [s.name for s in info.data.get("scopes", ())]
        for i, app in enumerate(apps):
            unknown = [s for s in app.scopes if s not in known]
            if known and unknown:
                raise _invalid_at((i, "Scope"), f"scopes must be among {known}; unknown: {unknown}")
        return apps

    @field_validator("demo_credentials")
    @classmethod
    def _demo_credentials_match(cls, demo: DemoCredentials, info: ValidationInfo) -> DemoCredentials:
        # Published values the client side sends: each must be what the stored hash was made from.
        apps = {a.ApplicationUri: a for a in info.data.get("trusted_applications", ())}
        for client_id, secret in demo.client_secrets.items():
            app = apps.get(client_id)
            if app is None or app.ApplicationSecretHash is None:
                problem = "is not the ApplicationUri of a Confidential application in trusted_applications"
                raise _invalid_at(("client_secrets", client_id), problem)
            if not app.check_secret(secret):
                raise _invalid_at(("client_secrets", client_id), "does not hash to its ApplicationSecretHash")
        users = {u.login: u for u in info.data.get("users", ())}
        for login, password in demo.passwords.items():
            user = users.get(login)
            if user is None:
                raise _invalid_at(("passwords", login), "is not the login of a user in users")
            if not user.check_password(password):
                raise _invalid_at(("passwords", login), "does not hash to its password_hash")
        return demo

    @model_validator(mode="after")
    def _references(self) -> RegistryFile:
        require_unique([a.ApplicationUri for a in self.trusted_applications], "trusted_applications")
        logins = [u.login for u in self.users] + [s.login for s in self.system_users]
        require_unique(logins, "users and system_users")
        system = {s.login for s in self.system_users}
        for app in self.trusted_applications:
            if app.SystemUser and app.SystemUser not in system:
                raise ValueError(f"{app.ApplicationUri}: SystemUser {app.SystemUser!r} is not in system_users")
        for row in self.customers:
            if row.owner not in logins:
                raise ValueError(f"customer {row.Number}: owner {row.owner!r} is not a user or system user")
        return self

    def application(self, client_id: str | None) -> TrustedApplication | None:
        return next((a for a in self.trusted_applications if a.ApplicationUri == client_id), None)

    def user(self, login: str) -> User | None:
        return next((u for u in self.users if u.login == login), None)

    def system_user(self, login: str | None) -> SystemUser | None:
        return next((s for s in self.system_users if s.login == login), None)

    def demo_secret(self, client_id: str) -> str | None:
        """The published demo secret of an application (it hashes to its ApplicationSecretHash), if any."""
        return self.demo_credentials.client_secrets.get(client_id)

    def demo_password(self, login: str) -> str | None:
        """The published demo password of a user (it hashes to their password_hash), if any."""
        return self.demo_credentials.passwords.get(login)

    @property
    def scope_names(self) -> list[str]:
        """Every scope the identity service knows, in the file's order (discovery's scopes_supported)."""
        return [s.name for s in self.scopes]

    @property
    def protocol_scopes(self) -> frozenset[str]:
        return _names_of_kind(self.scopes, ScopeKind.PROTOCOL)

    @property
    def api_scopes(self) -> frozenset[str]:
        return _names_of_kind(self.scopes, ScopeKind.API)

    def consent_words(self) -> dict[str, str]:
        """What the consent page says each scope lets the application do."""
        return {s.name: s.consent for s in self.scopes}


# The names of each kind, by the scope tuple they were read from (kept, so its id stays its own): every
# authorize, consent and token request asks, and a registry's scopes never change.
_KIND_NAMES: dict[tuple[int, ScopeKind], tuple[tuple[ScopeDefinition, ...], frozenset[str]]] = {}


def _names_of_kind(scopes: tuple[ScopeDefinition, ...], kind: ScopeKind) -> frozenset[str]:
    held = _KIND_NAMES.get((id(scopes), kind))
    if held is None or held[0] is not scopes:
        if len(_KIND_NAMES) >= 64:
            _KIND_NAMES.clear()
        held = (scopes, frozenset(s.name for s in scopes if s.kind is kind))
        _KIND_NAMES[(id(scopes), kind)] = held
    return held[1]


def load_registry(path: Path = REGISTRY_PATH) -> RegistryFile:
    """Read and validate a registry file (a ContentError names what is wrong)."""
    return load_file(path, RegistryFile)


@cache
def default_registry() -> RegistryFile:
    """content/sandbox.yaml, parsed once: the registry is immutable, each Sandbox shares it."""
    return load_registry()


# The names importers know, as values of content/sandbox.yaml.
PROTOCOL_SCOPES = default_registry().protocol_scopes
API_SCOPES = default_registry().api_scopes
KNOWN_SCOPES = PROTOCOL_SCOPES | API_SCOPES
