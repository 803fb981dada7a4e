"""The wrong moves the simulator can make, each a hook that alters one request or one answer.

A :class:`Mistake` changes nothing by default; each wrong move overrides the one hook it needs, so a
new mistake is a class and a row in content/mistakes.yaml, not a branch in the flow. Which flow and
which application a mistake runs with, and what the reader is told, are content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowguide.client.config import demo_license_slots, demo_user
from flowguide.client.requests import password_form
from flowguide.pkce import make_code_verifier, make_state

if TYPE_CHECKING:
    from flowguide.client.results import StepResult
    from flowguide.client.run import FlowRun

# How many calls the token-per-call service makes at most: far more than the demo instance's slots.
TOKEN_PER_CALL_CALLS = 10
# How long "the nightly job" waits after the person signed in, for the forwarded-token mistake.
NIGHTLY_JOB_DELAY = 8 * 3600


class Mistake:
    """The right moves: every hook returns what it was given."""

    def authorization_params(self, params: dict[str, str]) -> dict[str, str]:
        return params

    def consent_decision(self) -> str:
        return "allow"

    def returned_state(self, state: str) -> str:
        return state

    def code_verifier(self, verifier: str) -> str:
        return verifier

    def client_secret(self, secret: str | None) -> str | None:
        return secret

    def client_credentials_form(self, form: dict[str, str]) -> dict[str, str]:
        return form

    def wait_before_api_call(self, run: FlowRun, service: bool) -> int:
        """Seconds the application (or, with ``service``, the service) lets pass before it calls the API."""
        return 0

    def after_code_redeemed(self, run: FlowRun, r: StepResult, form: dict[str, str]) -> None:
        return None

    def after_refresh(self, run: FlowRun, r: StepResult) -> None:
        return None

    def service_token(self, run: FlowRun, r: StepResult) -> bool:
        """True when the mistake got the service its token some other way than Client Credentials."""
        return False

    def calls_api(self, run: FlowRun, r: StepResult) -> bool:
        """True when the mistake made the step's API calls itself (sessions and licences)."""
        return False

    def reference_headers(self, headers: tuple[str, ...]) -> tuple[str, ...]:
        """The headers a reference token is sent in, one call each ("A+B": both in one call)."""
        return headers


class StateTampered(Mistake):
    def returned_state(self, state: str) -> str:
        # Someone changed the state in transit (or forged the callback).
        return make_state()


class WrongVerifier(Mistake):
    def code_verifier(self, verifier: str) -> str:
        # A verifier from another attempt, not the one whose challenge went to authorize.
        return make_code_verifier()


class CodeReused(Mistake):
    def after_code_redeemed(self, run: FlowRun, r: StepResult, form: dict[str, str]) -> None:
        # The same code again (a retry, or an attacker who saw it): refused, and the first tokens revoked.
        from flowguide.client import back_channel

        back_channel.redeem_same_code_again(run, r, form)


class RedirectUriCase(Mistake):
    def authorization_params(self, params: dict[str, str]) -> dict[str, str]:
        # The registered URI with one letter's case changed: ".../Callback".
        return params | {"redirect_uri": params["redirect_uri"].replace("/callback", "/Callback")}


class ScopeNotAllowed(Mistake):
    def authorization_params(self, params: dict[str, str]) -> dict[str, str]:
        return params | {"scope": params["scope"] + " update"}


class MissingPkce(Mistake):
    def authorization_params(self, params: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in params.items() if k not in ("code_challenge", "code_challenge_method")}


class ConsentDeclined(Mistake):
    def consent_decision(self) -> str:
        return "deny"


class ExpiredAccessToken(Mistake):
    def wait_before_api_call(self, run: FlowRun, service: bool) -> int:
        # The app keeps the token past its lifetime instead of refreshing it.
        return 0 if service else run.auth.tokens.expires_in + 60


class WrongClientSecret(Mistake):
    def client_secret(self, secret: str | None) -> str | None:
        return "not-the-" + (secret or "secret")


class PasswordGrant(Mistake):
    def client_credentials_form(self, form: dict[str, str]) -> dict[str, str]:
        # The resource owner password grant: the service sends a person's password.
        person = demo_user()
        return password_form(person.username, person.password, form.get("scope", ""))


class RotatedRefreshToken(Mistake):
    def after_refresh(self, run: FlowRun, r: StepResult) -> None:
        # The app stored the first refresh token and keeps presenting it after rotation.
        from flowguide.client import back_channel

        back_channel.redeem_refresh_token(run, r, run.old_refresh_token, label="the rotated-out one again")


class ForwardedUserToken(Mistake):
    def service_token(self, run: FlowRun, r: StepResult) -> bool:
        # The web app hands David's access token to the nightly job instead of the job signing in.
        run.service_tokens.access_token = run.auth.tokens.access_token
        r.values["access_token"] = run.service_tokens.access_token
        r.values["forwarded_from"] = "the web app (David's token)"
        return True

    def wait_before_api_call(self, run: FlowRun, service: bool) -> int:
        # The job runs overnight, long after the person signed in and their token was issued.
        return NIGHTLY_JOB_DELAY if service else 0


class TokenPerCall(Mistake):
    def calls_api(self, run: FlowRun, r: StepResult) -> bool:
        # A fresh token before every call: each one's first call opens another session and takes a slot.
        from flowguide.client import session_moves

        session_moves.token_per_call(run, r, TOKEN_PER_CALL_CALLS)
        return True


class LicencesInUse(Mistake):
    def calls_api(self, run: FlowRun, r: StepResult) -> bool:
        # Other connections hold every slot before David's first call, so his valid token opens no session.
        from flowguide.client import back_channel, session_moves

        session_moves.occupy_every_slot(run, r, demo_license_slots())
        if not r.error:
            back_channel.call_api(run, r, run.auth.tokens.access_token, back_channel.actor_of(run.app))
        return True


class ExpiredReferenceToken(Mistake):
    def wait_before_api_call(self, run: FlowRun, service: bool) -> int:
        # The script runs again after the PAT's expiration time, with the same token.
        from flowguide.client.reference_steps import LIFETIME

        return 0 if service else LIFETIME + 60


class TwoTokenHeaders(Mistake):
    def reference_headers(self, headers: tuple[str, ...]) -> tuple[str, ...]:
        # The script sends the token as Authorization and as X-Api-Key in the same request.
        return ("Authorization+X-Api-Key",)


NO_MISTAKE = Mistake()
# Keyed by the ids of content/mistakes.yaml; a test checks the two name the same mistakes.
MISTAKES: dict[str, Mistake] = {
    "state_tampered": StateTampered(),
    "wrong_verifier": WrongVerifier(),
    "code_reused": CodeReused(),
    "redirect_uri_case": RedirectUriCase(),
    "scope_not_allowed": ScopeNotAllowed(),
    "missing_pkce": MissingPkce(),
    "consent_declined": ConsentDeclined(),
    "expired_access_token": ExpiredAccessToken(),
    "wrong_client_secret": WrongClientSecret(),
    "public_client_credentials": Mistake(),
    "disabled_application": Mistake(),
    "password_grant": PasswordGrant(),
    "rotated_refresh_token": RotatedRefreshToken(),
    "forwarded_user_token": ForwardedUserToken(),
    "token_per_call": TokenPerCall(),
    "licences_in_use": LicencesInUse(),
    "reference_tokens_not_allowed": Mistake(),
    "pat_for_administrators_only": Mistake(),
    "two_token_headers": TwoTokenHeaders(),
    "reference_token_expired": ExpiredReferenceToken(),
}
