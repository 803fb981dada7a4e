"""The sandbox's registry: Trusted Application records, users, System Users and demo rows.

The schema of ``content/sandbox.yaml``. Field names of a Trusted Application follow the product's
record (``auth/configuration/trusted-apps-access.md``): ``ApplicationUri`` is the ``client_id``,
only ``base64(sha256(secret))`` is stored, redirect URIs match exactly and case-sensitively.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, StrictBool, StrictStr, field_validator, model_validator

from flowguide.content import CONTENT_DIR, Model, load_file, require_unique

REGISTRY_PATH = CONTENT_DIR / "sandbox.yaml"

# Protocol scopes need no configuration in a Trusted Application (auth/concepts/scopes.md).
PROTOCOL_SCOPES = frozenset({"openid", "profile", "offline_access"})
API_SCOPES = frozenset({"read", "update"})
KNOWN_SCOPES = PROTOCOL_SCOPES | API_SCOPES


def secret_hash(secret: str) -> str:
    """The product's stored form of a secret: base64(sha256(secret))."""
    return base64.b64encode(hashlib.sha256(secret.encode("utf-8")).digest()).decode("ascii")


def matches_hash(secret: str, stored_hash: str) -> bool:
    """Compare a presented secret with a stored hash in constant time."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


class ClientType(StrEnum):
    PUBLIC = "Public"
    CONFIDENTIAL = "Confidential"


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
    def _known_scopes(cls, value: str) -> str:
        unknown = [s for s in value.split() if s not in KNOWN_SCOPES]
        if unknown or not value.split():
            raise ValueError(f"scopes must be among {sorted(KNOWN_SCOPES)}; unknown: {unknown}")
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


class RegistryFile(Model):
    """content/sandbox.yaml."""

    database: StrictStr = Field(min_length=1)
    trusted_applications: tuple[TrustedApplication, ...] = Field(min_length=1)
    users: tuple[User, ...] = ()
    system_users: tuple[SystemUser, ...] = ()
    customers: tuple[CustomerRow, ...] = ()

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


def load_registry(path: Path = REGISTRY_PATH) -> RegistryFile:
    """Read and validate a registry file (a ContentError names what is wrong)."""
    return load_file(path, RegistryFile)


@cache
def default_registry() -> RegistryFile:
    """content/sandbox.yaml, parsed once: the registry is immutable, each Sandbox shares it."""
    return load_registry()
