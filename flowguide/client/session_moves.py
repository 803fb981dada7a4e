"""The moves behind the sessions-and-licences mistakes (auth/sessions/license-slot.md), made for real.

A token takes a licence slot on its first API call, so an app that asks for a new token before every
call opens a new session each time until no slot is free; and when other connections already hold
every slot, a call with a perfectly valid token is refused all the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowguide.client import requests
from flowguide.client.back_channel import API_ENTITY, api_url, call_api, store_tokens, token_request
from flowguide.client.responses import error_of

if TYPE_CHECKING:
    from flowguide.client.results import StepResult
    from flowguide.client.run import FlowRun


def token_per_call(run: FlowRun, r: StepResult, calls: int) -> None:
    """The service asks for a fresh token before each of ``calls`` API calls, until one is refused."""
    for number in range(1, calls + 1):
        if number > 1:
            form = requests.client_credentials_form(run.app.scope)
            body, ex = token_request(run, r, form, run.app, "service", f"a new token for call {number}")
            if body is None:
                r.error = error_of(ex)
                return
            store_tokens(r, body, run.service_tokens)
        r.values["calls_made"] = number
        call_api(run, r, run.service_tokens.access_token, "service")
        if r.error:
            return


def occupy_every_slot(run: FlowRun, r: StepResult, slots: int) -> None:
    """Other connections take every licence slot first: here, running instances of the nightly sync.

    Each instance has its own token and session, as the documentation asks of services; together they
    hold every slot, so the next session cannot open.
    """
    for number in range(1, slots + 1):
        form = requests.client_credentials_form(run.service.scope)
        label = f"meanwhile: nightly sync instance {number} signs in"
        body, ex = token_request(run, r, form, run.service, "service", label)
        if body is None:
            r.error = error_of(ex)
            return
        headers = requests.bearer(str(body["access_token"]))
        label = f"meanwhile: instance {number} calls {API_ENTITY} (its session takes a slot)"
        _, ex = run.send(r, "GET", api_url(run), "service", label, headers=headers)
        if ex.status != 200:
            r.error = error_of(ex)
            return
    r.values["slots_taken_by_others"] = slots
