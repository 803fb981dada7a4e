"""The callback's state refusal in its whole words (MUTATION.md, the run at 0acbb05): the reader is told
why the code is not used (RFC 6749 §10.12), so the sentence is pinned literally."""

from __future__ import annotations

from flowguide.client import FlowRun, run_to_end
from flowguide.sandbox import Sandbox


def test_a_tampered_state_is_refused_in_these_words() -> None:
    run = FlowRun.for_sandbox(Sandbox(), "authorization_code", mistake="state_tampered")
    run_to_end(run)
    callback = next(r for r in run.results if r.step == "callback")
    assert (callback.error.code, callback.error.description, callback.error.status) == (
        "state_mismatch",
        "the state that came back differs from the one sent; the code is not used",
        302,
    )
    assert run.auth.code == ""
