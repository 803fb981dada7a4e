"""Reference access tokens (PAT and SAT): issued by hand, opaque, ``enrt_`` and 64 hex digits.

``auth/tokens/reference-access-tokens.md`` and ``auth/tokens/issuing-reference-tokens.md``: a PAT acts
as the user who issued it (the Profile site), a SAT as the Trusted Application's System User (the
Instance Manager, administrators only); the application's ``AccessTokens`` policy decides who may
issue either. The value is shown once and never kept: the store holds ``base64(sha256(value))`` only,
as the product stores secrets. Tokens are looked up on every call, so a revocation holds at once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .registry import AccessTokensPolicy, TrustedApplication, User, secret_hash
from .stores import ExpiringStore

if TYPE_CHECKING:
    from . import Sandbox

PREFIX = "enrt_"
# The documentation's examples: enrt_ and 64 upper-case hex digits (32 random bytes).
VALUE_PATTERN = re.compile(r"enrt_[0-9A-F]{64}")
# The documentation leaves the longest lifetime to the issuer; the sandbox's choice is one year.
MAX_LIFETIME = 365 * 24 * 3600
# A record is kept a day past its expiry, so its refusal still says "expired", then forgotten.
KEPT_AFTER_EXPIRY = 24 * 3600
MAX_REFERENCE_TOKENS = 1_000
PAT, SAT = "PAT", "SAT"


class IssueRefused(Exception):
    """Why the Profile site or the Instance Manager did not issue (or revoke) a token, and its HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class ReferenceTokenRecord:
    """What the identity service keeps of one reference token: never its value, only the value's hash."""

    id: str
    kind: str
    client_id: str
    # Who the calls act as: the issuing user's login (PAT) or the application's System User (SAT).
    acts_as: str
    created_by: str
    scopes: tuple[str, ...]
    description: str
    created_at: int
    expires_at: int
    value_hash: str
    last_used_at: int | None = None
    revoked_at: int | None = None
    revoked_by: str | None = None

    def listed(self) -> dict[str, object]:
        """The row the tokens page shows: description, scopes, kind, expiration and last use; no value."""
        return {
            "id": self.id,
            "kind": self.kind,
            "trusted_application": self.client_id,
            "acts_as": self.acts_as,
            "created_by": self.created_by,
            "description": self.description,
            "scope": " ".join(self.scopes),
            "created": iso(self.created_at),
            "expiration_time": iso(self.expires_at),
            "last_used": iso(self.last_used_at) if self.last_used_at is not None else None,
            "revoked": iso(self.revoked_at) if self.revoked_at is not None else None,
        }


def iso(seconds: int) -> str:
    """A sandbox time as the UTC date-time the pages show."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expiration(text: str, now: int) -> int:
    """The dialog's Expiration Time (UTC) as seconds; a date alone means its midnight UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise IssueRefused(
            400, "invalid_request", "expiration_time must be a UTC date-time such as 2027-01-31T00:00:00Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the dialog's time is UTC
    seconds = int(moment.timestamp())
    if seconds <= now:
        raise IssueRefused(400, "invalid_request", "expiration_time must be in the future.")
    if seconds - now > MAX_LIFETIME:
        raise IssueRefused(400, "invalid_request", "expiration_time is more than a year away (the sandbox's limit).")
    return seconds


def well_formed(value: str) -> bool:
    return VALUE_PATTERN.fullmatch(value) is not None


def _kept_until(record: ReferenceTokenRecord) -> int:
    return record.expires_at + KEPT_AFTER_EXPIRY


def pat_refusal(app: TrustedApplication, user: User) -> str | None:
    """Why ``user`` may not issue a PAT for ``app`` on the Profile site, or None."""
    policy = app.AccessTokens
    if policy is AccessTokensPolicy.NONE:
        return f"{app.client_id} has AccessTokens = None: reference tokens cannot be issued for it."
    if policy is AccessTokensPolicy.ADMINISTRATORS_ONLY and not user.is_admin:
        return f"{app.client_id} has AccessTokens = AdministratorsOnly: only an administrator may issue a PAT for it."
    return None


def sat_refusal(app: TrustedApplication) -> str | None:
    """Why an administrator may not issue a SAT for ``app`` in the Instance Manager, or None."""
    if app.AccessTokens is AccessTokensPolicy.NONE:
        return f"{app.client_id} has AccessTokens = None: the Create application token button is disabled."
    if not app.SystemUserAllowed or not app.SystemUser:
        return f"{app.client_id} has no System User (SystemUserAllowed = false): a SAT acts as the System User."
    return None


class ReferenceTokenStore:
    """One sandbox's reference tokens, keyed by the hash of their value."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        state = sandbox.state
        self.records: ExpiringStore[ReferenceTokenRecord] = ExpiringStore(
            MAX_REFERENCE_TOKENS, _kept_until, state.clock, state.lock
        )

    def _scopes(self, app: TrustedApplication, scope: str) -> tuple[str, ...]:
        wanted = tuple(dict.fromkeys(scope.split()))
        allowed = [s for s in app.scopes if s in self.sandbox.registry.api_scopes]
        if not wanted:
            raise IssueRefused(400, "invalid_request", f"Choose one or more scopes: {' '.join(allowed)}.")
        if any(s not in allowed for s in wanted):
            raise IssueRefused(
                400, "invalid_request", f"A reference token for {app.client_id} may carry {' '.join(allowed)}."
            )
        return wanted

    def application(self, client_id: str) -> TrustedApplication:
        app = self.sandbox.registry.application(client_id)
        if app is None:
            raise IssueRefused(404, "not_found", "There is no Trusted Application with this ApplicationUri.")
        return app

    def issue(
        self, kind: str, app: TrustedApplication, creator: User, fields: dict[str, str]
    ) -> tuple[ReferenceTokenRecord, str]:
        """A new token after the policy allowed it; the value is returned once and only its hash is kept."""
        now = self.sandbox.clock.now()
        scopes = self._scopes(app, fields.get("scope", ""))
        expires_at = parse_expiration(fields.get("expiration_time", ""), now)
        description = fields.get("description", "").strip()
        if len(description) > 200:
            raise IssueRefused(400, "invalid_request", "The description is over 200 characters.")
        value = PREFIX + secrets.token_hex(32).upper()
        acts_as = creator.login if kind == PAT else str(app.SystemUser)
        record = ReferenceTokenRecord(
            secrets.token_hex(6).upper(),
            kind,
            app.client_id,
            acts_as,
            creator.login,
            scopes,
            description,
            now,
            expires_at,
            secret_hash(value),
        )
        self.records[record.value_hash] = record
        return record, value

    def issue_pat(self, user: User, client_id: str, fields: dict[str, str]) -> tuple[ReferenceTokenRecord, str]:
        """The Profile site's Create user access token, for the signed-in user."""
        app = self.application(client_id)
        problem = pat_refusal(app, user)
        if problem:
            raise IssueRefused(403, "forbidden", problem)
        return self.issue(PAT, app, user, fields)

    def issue_sat(self, admin: User, client_id: str, fields: dict[str, str]) -> tuple[ReferenceTokenRecord, str]:
        """The Instance Manager's Create application token (the caller checked ``admin`` is one)."""
        app = self.application(client_id)
        problem = sat_refusal(app)
        if problem:
            raise IssueRefused(403, "forbidden", problem)
        return self.issue(SAT, app, admin, fields)

    def of_user(self, login: str) -> list[ReferenceTokenRecord]:
        """The Profile site's list: the user's own PATs for every application."""
        return [r for r in self.records.values() if r.kind == PAT and r.acts_as == login]

    def of_application(self, client_id: str) -> list[ReferenceTokenRecord]:
        """The Instance Manager's list: every PAT and SAT of one application."""
        return [r for r in self.records.values() if r.client_id == client_id]

    def revoke(self, token_id: str, among: list[ReferenceTokenRecord], by: str) -> ReferenceTokenRecord:
        """Revoke at once one token of the list the revoking page shows."""
        with self.sandbox.state.lock:
            record = next((r for r in among if r.id == token_id), None)
            if record is None:
                raise IssueRefused(404, "not_found", "There is no token with this id on this page.")
            if record.revoked_at is None:
                record.revoked_at, record.revoked_by = self.sandbox.clock.now(), by
            return record

    def find(self, value: str) -> ReferenceTokenRecord | None:
        """The record of a presented value, by its hash; None when this instance never issued it."""
        return self.records.get(secret_hash(value))

    def refusal(self, record: ReferenceTokenRecord | None) -> str | None:
        """Why a presented token is not accepted now, or None."""
        now = self.sandbox.clock.now()
        if record is None:
            return (
                "This instance holds no reference token with this value: it was never issued here "
                "(a reference token works only on the instance that issued it), or it is long expired."
            )
        if record.revoked_at is not None:
            return f"The reference token was revoked at {iso(record.revoked_at)} by {record.revoked_by}."
        if now >= record.expires_at:
            return f"The reference token expired at {iso(record.expires_at)}."
        app = self.sandbox.registry.application(record.client_id)
        if app is None or not app.IsEnabled:
            return f"The Trusted Application {record.client_id} is disabled (IsEnabled = false)."
        return None
