"""The client needs nothing but HTTP: it runs every flow against the standalone sandbox over a real socket."""

from __future__ import annotations

import httpx
import pytest

from flowguide.client import DEMO_APPS, FLOW_STEPS, FlowRun, run_to_end
from flowguide.sandbox import Sandbox


@pytest.mark.parametrize(
    ("flow", "client_id"),
    [
        ("authorization_code", None),
        ("authorization_code", "com.example/spa"),
        ("client_credentials", None),
        ("refresh", None),
        ("hybrid", None),
    ],
)
def test_every_flow_runs_over_a_socket(served: Sandbox, flow: str, client_id: str | None) -> None:
    app = DEMO_APPS[client_id] if client_id else None
    with httpx.Client(base_url=served.base_url, timeout=10) as http:
        # Only the clock comes from the test: a real instance's clock cannot be moved.
        run = FlowRun(flow, http, app=app, advance_clock=served.clock.advance, clock=served.clock.now)
        run_to_end(run)
    assert run.error is None
    assert [r.step for r in run.results] == list(FLOW_STEPS[flow])
    assert all(r.ok for r in run.results)
    assert all(e.url.startswith(served.base_url) for e in run.exchanges)
