"""Locust: readers walking the live simulator over Streamlit's own websocket protocol, no browsers.

Each Locust user is one reader (loadtest/walk.py): opens /simulator, reveals the secrets, and after
reading for ``FLOWGUIDE_THINK`` seconds (5 on average, 4 to 6) presses what moves the walk on, through
Authorization Code (signing in and consenting on the way) and Client Credentials, in turn. Request
names: ``Next`` (every step press, Sign in and Allow included), ``open``, ``switch flow``, ``reload``
(a lost server: the page loaded again at its address, which must come back to the same step). A lost
connection is counted as ``interrupted``, not as an error, and the reader reloads.
``FLOWGUIDE_LOAD_REPORT`` names a JSON file written when the test stops: every Next's latency with the
number of users running, what each reader was shown (for the isolation check), the replicas each
reader's page loads and websockets reached, and the recoveries. ``FLOWGUIDE_RAMP=start:step:hold:max``
steps the users up instead (for the largest count that holds).

    locust -f loadtest/locustfile.py --headless -u 100 -r 10 -t 120s --host http://127.0.0.1:8501
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import LoadTestShape, User, between, events, task
from websocket import WebSocketConnectionClosedException

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.walk import Visitor, shared_values  # noqa: E402

THINK = float(os.environ.get("FLOWGUIDE_THINK", "5"))
REPORT: dict[str, Any] = {"next": [], "seen": {}, "replicas": {}, "recovered": [], "failures": [], "counts": {}}
LOST = (WebSocketConnectionClosedException, ConnectionError, OSError)


class Reader(User):
    """One reader of the simulator, with think time between presses."""

    # 5 s on average, each reader a little different: a constant pause lines the readers up in waves.
    wait_time = between(0.8 * THINK, 1.2 * THINK)

    def on_start(self) -> None:
        self.visitor = Visitor(self.host)
        self.name = f"reader-{id(self):x}"
        REPORT["seen"][self.name] = self.visitor.seen
        REPORT["replicas"][self.name] = self.visitor.replicas
        self._measure("open", self.visitor.open)

    @task
    def press(self) -> None:
        visitor = self.visitor
        try:
            if visitor.session.ws is None:
                # The page never opened: the reader tries again, as a person would reload.
                self._measure("open", visitor.open)
            elif visitor.finished():
                self._measure("switch flow", visitor.switch_flow)
            else:
                self._measure("Next", visitor.step)
        except LOST:
            REPORT["counts"]["interrupted"] = REPORT["counts"].get("interrupted", 0) + 1
            where = visitor.url_step()
            if self._measure("reload", visitor.reload):
                REPORT["recovered"].append([self.name, visitor.flow, where, visitor.position()[0]])

    def on_stop(self) -> None:
        self.visitor.close()

    def _measure(self, name: str, action: Callable[[], Any]) -> bool:
        """Time ``action`` as one request; a lost connection propagates (unless reloading), else a failure."""
        started = time.perf_counter()
        error: Exception | None = None
        try:
            action()
        except LOST as exc:
            if name != "reload":
                raise
            error = exc
        except Exception as exc:  # noqa: BLE001  every other refusal is the test's failure, with its words
            error = exc
        seconds = time.perf_counter() - started
        REPORT["counts"][name] = REPORT["counts"].get(name, 0) + 1
        if name == "Next" and error is None:
            REPORT["next"].append([round(time.time(), 3), self.environment.runner.user_count, round(seconds, 4)])
        if error is not None:
            REPORT["failures"].append(f"{name}: {type(error).__name__}: {error}")
        events.request.fire(
            request_type="WS",
            name=name,
            response_time=seconds * 1000,
            response_length=0,
            exception=error,
            context={},
        )
        return error is None


@events.test_stop.add_listener
def _write_report(environment: Any, **_: Any) -> None:
    path = os.environ.get("FLOWGUIDE_LOAD_REPORT")
    if not path:
        return
    shared = shared_values(REPORT["seen"])
    body = {
        "next": REPORT["next"],
        "counts": REPORT["counts"],
        "failures": REPORT["failures"],
        "visitors": len(REPORT["seen"]),
        "values_seen": sum(len(v) for v in REPORT["seen"].values()),
        "empty_visitors": sum(1 for v in REPORT["seen"].values() if not v),
        "shared": {value[:12] + "…": who for value, who in list(shared.items())[:10]},
        "shared_count": len(shared),
        "replicas": REPORT["replicas"],
        "recovered": REPORT["recovered"],
    }
    Path(path).write_text(json.dumps(body))


if os.environ.get("FLOWGUIDE_RAMP"):
    START, STEP, HOLD, TOP = (float(x) for x in os.environ["FLOWGUIDE_RAMP"].split(":"))

    class Ramp(LoadTestShape):
        """START users, then STEP more every HOLD seconds, up to TOP; each level is held HOLD seconds."""

        def tick(self) -> tuple[int, float] | None:
            level = int(self.get_run_time() // HOLD)
            users = START + level * STEP
            # New readers arrive over a few seconds (4 a second for 20), as readers do, not all at once.
            return None if users > TOP else (int(users), max(STEP / 5, 2.0))
