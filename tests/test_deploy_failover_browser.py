"""Two replicas behind Debian's nginx (deploy/nginx.conf), a real browser, and one replica killed.

Chromium walks the simulator to step 3 through nginx; the replica serving it is killed. Streamlit's page
reconnects by itself, nginx sends it to the other replica, and the page runs again at its address
(``step=3``): the walk is replayed to step 3 in a new session, where Next goes on. This is what
deploy/README.md promises a visitor of a dead replica.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from conftest import wait_for_app
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from loadtest import nginx
from loadtest.run import start_servers

pytestmark = pytest.mark.browser


@pytest.fixture
def two_replicas(tmp_path: Path):
    if not Path(nginx.NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{nginx.NGINX} is missing, and the deploy tests must run in CI")
        pytest.skip(f"{nginx.NGINX} not installed (apt-get install nginx)")
    servers = start_servers(2, tmp_path)
    try:
        yield servers
    finally:
        servers.stop()


def counter(page, step: int):
    return page.get_by_test_id("stMain").get_by_text(re.compile(rf"^Step {step} of 8$"))


def test_a_visitor_of_a_killed_replica_comes_back_at_its_step_on_the_other(two_replicas, page) -> None:
    servers = two_replicas
    answer = page.goto(f"{servers.base}/simulator?flow=authorization_code", timeout=60_000)
    serving = answer.headers["x-flowguide-replica"]
    wait_for_app(page)
    for step in (1, 2, 3):
        page.get_by_role("button", name="Next", exact=True).click()
        expect(counter(page, step)).to_be_visible(timeout=30_000)
    assert page.url.endswith("step=3")
    finished: list[int] = []

    def watch(ws) -> None:
        # A run the new replica finished: Streamlit's ForwardMsg with script_finished.
        def received(payload) -> None:
            msg = ForwardMsg()
            msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
            if msg.WhichOneof("type") == "script_finished":
                finished.append(msg.script_finished)

        ws.on("framereceived", received)

    page.on("websocket", watch)

    servers.replicas[servers.addresses.index(serving)].send_signal(signal.SIGKILL)

    # The page reconnects on its own, nginx sends it to the other replica, and the page asks for a full run
    # at its address (step=3): the new session replays the walk to step 3.
    for _ in range(240):
        if ForwardMsg.FINISHED_SUCCESSFULLY in finished:
            break
        page.wait_for_timeout(250)
    assert ForwardMsg.FINISHED_SUCCESSFULLY in finished, "no full run on the other replica within 60 s"
    expect(counter(page, 3)).to_be_visible(timeout=30_000)
    # A live session at step 3: had the new replica started the walk afresh, Next would show step 1.
    page.get_by_role("button", name="Next", exact=True).click()
    expect(counter(page, 4)).to_be_visible(timeout=30_000)
    assert page.url.endswith("step=4")
