"""What /connect says about a step's outcome besides the provider's own words: the client's own refusals,
what the provider left out of what was asked, and which values of a curl command still work.

Plain Python for the page and its tests. A provider's error is the provider's (explained from the
product's documentation by :func:`flowguide.connect.explain_error`); a check the client made itself is
the client's refusal, worded as such, never as if the provider had said it.
"""

from __future__ import annotations

from flowguide.client import StepResult, error_of
from flowguide.transcript import Exchange

# Codes the client gives its own refusals of an answer (flowguide.client.front_channel), none an OAuth error.
ANSWER_REFUSALS = ("state_mismatch", "issuer_mismatch", "no_code", "no_id_token")
# RFC 6750 §3.1's code, which the client also uses for a token its own checks fail.
TOKEN_REFUSAL = "invalid_token"
OFFLINE_ACCESS = "offline_access"
# OpenID Connect Core §5.4 and §11: scopes about the person and the session, not what the API may do.
OPENID_SCOPES = frozenset({"openid", "profile", "email", "address", "phone", OFFLINE_ACCESS})


def _from_provider(result: StepResult) -> bool:
    """Whether the step's error is one an answer from the provider carried (not the client's own verdict)."""
    error = result.error
    return error is not None and any(error_of(ex) == error for ex in result.exchanges)


def _failed(result: StepResult) -> list[str]:
    return [f"{c.name} ({c.detail.rstrip('.')})" if c.detail else c.name for c in result.checks if c.passed is False]


def client_refusal(result: StepResult) -> str | None:
    """The client's own refusal of a token or an answer, in its own words; None for the provider's errors."""
    error = result.error
    if error is None or _from_provider(result):
        return None
    if error.code == TOKEN_REFUSAL:
        reasons = "; ".join(_failed(result)) or error.description
        opaque = any(c.name.endswith(": format") and c.passed is False for c in result.checks)
        why = (
            " A token that is not a JWT (an opaque or reference token) can be checked only by the API that takes "
            "it; the client cannot read or verify it."
            if opaque
            else ""
        )
        own = "The provider issued it; these are the client's own checks."
        return f"Your client refused the token: {reasons}. {own}{why}"
    if error.code in ANSWER_REFUSALS:
        reasons = "; ".join(_failed(result)) or error.description
        return f"Your client refused the answer: {reasons}. The code in it is not used."
    return None


def dropped(asked: str, granted: str, refresh_token: str) -> list[str]:
    """What the provider left out of what was asked, in plain words (RFC 6749 §3.3, §5.1)."""
    wanted = asked.split()
    # §5.1: a token response without scope means the scope is the one asked for.
    given = granted.split() if granted.strip() else None
    said = []
    unlisted = given is not None and OFFLINE_ACCESS not in given
    if OFFLINE_ACCESS in wanted and not refresh_token:
        also = ", and the scope granted leaves offline_access out" if unlisted else ""
        said.append(
            f"You asked for offline_access, but no refresh token came back{also}: the provider dropped it. "
            "Without a refresh token the app cannot renew its tokens on its own; the person signs in again "
            "when the access token expires. Check that offline_access is in the application's registered "
            "Scope and that the provider offers it to this kind of client."
        )
    elif OFFLINE_ACCESS in wanted and unlisted:
        said.append(
            f"You asked for offline_access and a refresh token came back, but the scope granted ({granted.strip()}) "
            "leaves offline_access out: some providers list only the API's scopes there. Try the refresh "
            "before counting on it."
        )
    # OpenID Connect's own scopes shape the ID token, not the access token that §5.1's scope describes.
    others = [s for s in wanted if given is not None and s not in given and s not in OPENID_SCOPES]
    if others:
        one = len(others) == 1
        said.append(
            f"The provider granted less than asked: {', '.join(others)} {'is' if one else 'are'} not in the scope "
            f"granted ({granted.strip()}), so the token cannot do what {'it allows' if one else 'they allow'}."
        )
    return said


def curl_note(exchange: Exchange) -> str:
    """Which values of this request's curl command still work when it is run again, and which do not."""
    form = dict(exchange.form_pairs())
    notes = []
    if form.get("code"):
        notes.append(
            "the authorization code is single-use and lives minutes: the client has redeemed it, so sending it "
            "again is refused (invalid_grant), and its code_verifier belongs to that code only"
        )
    if form.get("refresh_token"):
        notes.append("a refresh token that the provider rotates is spent once used, and this one has been")
    if (exchange.request_header("authorization") or "").lower().startswith("bearer "):
        notes.append("the access token works until it expires (its exp)")
    secret = form.get("client_secret") or (exchange.request_header("authorization") or "").lower().startswith("basic ")
    if secret:
        notes.append("your client secret carries over, so keep this command to yourself")
    shown = "Runs as shown from a machine that reaches this address"
    return f"{shown}; " + "; ".join(notes) + "." if notes else f"{shown}."
