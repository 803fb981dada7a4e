"""The client's reading of a form_post answer (OAuth 2.0 Form Post Response Mode §2), as the reader sees it
(MUTATION.md, the run at 0acbb05): the consent step shows where the form went and what it carried, beside
the decision, and a refusal posted back stops the run at that step with the identity service's words.
"""

from __future__ import annotations

import re

import httpx

from flowguide.client import FlowRun, run_to_end
from flowguide.client.results import StepResult
from flowguide.sandbox import Sandbox
from flowguide.simulation import app_for

CALLBACK = "http://localhost:8501/callback"


def _run(mistake: str | None = None) -> FlowRun:
    run = FlowRun.for_sandbox(
        Sandbox(), "authorization_code", app=app_for("authorization_code", "web_form_post", None), mistake=mistake
    )
    run_to_end(run)
    return run


def _step(run: FlowRun, step: str) -> StepResult:
    return next(r for r in run.results if r.step == step)


def test_the_consent_step_shows_the_decision_where_the_form_went_and_what_it_posted() -> None:
    run = _run()
    consent = _step(run, "consent")
    assert consent.error is None
    assert sorted(consent.values) == ["decision", "form_post", "location"]
    assert consent.values["decision"] == "allow" and consent.values["location"] == CALLBACK
    posted = consent.values["form_post"]
    assert sorted(posted) == ["code", "id_token", "state"]
    assert posted["state"] == run.auth.state and posted["code"] == run.auth.code != ""


def test_a_refusal_posted_back_stops_the_run_at_consent_in_the_identity_services_words() -> None:
    run = _run("consent_declined")
    assert [r.step for r in run.results] == ["discovery", "authorize", "sign_in", "consent"]
    consent = _step(run, "consent")
    assert (consent.error.code, consent.error.description) == (
        "access_denied",
        "The resource owner or authorization server denied the request",
    )
    assert consent.values["decision"] == "deny" and consent.values["location"] == CALLBACK
    assert sorted(consent.values["form_post"]) == ["error", "error_description", "state"]


def test_a_refusal_posted_without_a_description_is_shown_with_none() -> None:
    # error_description is OPTIONAL (RFC 6749 §4.1.2.1): a provider may post the error code alone.
    sandbox = Sandbox()

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        answer = sandbox.transport.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/connect/consent"):
            answer.read()
            page = re.sub(r"<input[^>]*error_description[^>]*>", "", answer.text)
            return httpx.Response(answer.status_code, headers={"content-type": "text/html"}, text=page)
        return answer

    http = sandbox.http_client(transport=httpx.MockTransport(handler))
    app = app_for("authorization_code", "web_form_post", None)
    run = FlowRun(
        "authorization_code", http, app=app, mistake="consent_declined", issuer=sandbox.issuer, clock=sandbox.clock.now
    )
    run_to_end(run)
    consent = _step(run, "consent")
    assert sorted(consent.values["form_post"]) == ["error", "state"]
    assert (consent.error.code, consent.error.description) == ("access_denied", "")
