"""Print how long the client's full flows take in-process, beside the cost of their JOSE calls alone.

    python scripts/bench_engine.py [runs] [--wall]

Times are the CPU time of the thread (``time.thread_time``): the machine is shared, and a wall clock
also counts whatever else ran meanwhile. ``--wall`` times with ``time.perf_counter`` instead; both
the whole run and its cryptography are always read from the same clock.

Each run is a whole ``FlowRun`` against the in-process sandbox: every step, every recorded exchange,
the client's own JWKS fetch and checks. The cryptography is measured inside the same runs by timing
every ``joserfc.jwt.encode`` (the sandbox signing tokens), ``joserfc.jwt.decode`` (the sandbox's API
verifying them) and ``joserfc.jws.deserialize_compact`` (the client's one verifier, flowguide.tokens);
each is called through its module, so the wrappers see every call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc import jws, jwt

# The checkout this script is in, not whichever flowguide the environment has installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowguide.client import FlowRun, run_to_end  # noqa: E402
from flowguide.sandbox import Sandbox  # noqa: E402

# What every figure is read from (main() may switch it to the wall clock).
clock: Callable[[], float] = time.thread_time


class ServerTimer:
    """Wraps the sandbox's WSGI app to add up the time the identity service and API spend answering."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.seconds = 0.0
        inner = sandbox.transport.app

        def timed(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start = clock()
            result = inner(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
                self.seconds += clock() - start

        sandbox.transport.app = timed


class JoseTimer:
    """Wraps joserfc's JWT encode and decode to add up their time and count the calls."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.signs = 0
        self.verifies = 0

    def reset(self) -> None:
        self.seconds, self.signs, self.verifies = 0.0, 0, 0

    def wrap(self, function: Callable[..., Any], counter: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += clock() - start
                setattr(self, counter, getattr(self, counter) + 1)

        return timed

    def install(self) -> None:
        jwt.encode = self.wrap(jwt.encode, "signs")
        jwt.decode = self.wrap(jwt.decode, "verifies")
        # The client's one verifier (flowguide.tokens) checks signatures with jws, not jwt.decode.
        jws.deserialize_compact = self.wrap(jws.deserialize_compact, "verifies")


def measure(flow: str, client_id: str | None, runs: int, timer: JoseTimer) -> dict[str, float]:
    """Median whole-run time, sign+verify time and sandbox time over ``runs`` full runs."""
    sandbox = Sandbox()  # key generation stays outside the timed runs
    server = ServerTimer(sandbox)
    wholes, cryptos, servers = [], [], []
    for i in range(runs + 1):
        timer.reset()
        server.seconds = 0.0
        start = clock()
        run = run_to_end(FlowRun.for_sandbox(sandbox, flow, client_id=client_id))
        elapsed = clock() - start
        if run[-1].error is not None or not all(r.ok for r in run):
            raise SystemExit(f"{flow} did not finish cleanly: {run[-1].error}")
        # Each run signs in anew and its API call opens a session: free its licence slot, untimed, as a sign-out would.
        for session in sandbox.state.sessions.open_sessions():
            sandbox.state.sessions.end_sign_in(session.key)
        if i == 0:
            continue  # warm-up: imports, Flask's first request
        wholes.append(elapsed)
        cryptos.append(timer.seconds)
        servers.append(server.seconds)
    return {
        "server_ms": statistics.median(servers) * 1000,
        "whole_ms": statistics.median(wholes) * 1000,
        "crypto_ms": statistics.median(cryptos) * 1000,
        "signs": timer.signs,
        "verifies": timer.verifies,
    }


def main() -> None:
    global clock
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=100)
    parser.add_argument("--wall", action="store_true", help="time with the wall clock, not the thread's CPU time")
    args = parser.parse_args()
    runs = args.runs
    if args.wall:
        clock = time.perf_counter
    timer = JoseTimer()
    timer.install()
    print(f"{runs} runs each, in-process sandbox, medians of {'wall' if args.wall else 'CPU'} time")
    for name, flow, client_id in (
        ("authorization_code + PKCE (web)", "authorization_code", None),
        ("authorization_code + PKCE (SPA)", "authorization_code", "com.example/spa"),
        ("client_credentials", "client_credentials", None),
    ):
        m = measure(flow, client_id, runs, timer)
        print(
            f"{name:32} whole {m['whole_ms']:7.2f} ms   sign+verify {m['crypto_ms']:6.2f} ms "
            f"({m['signs']} signed, {m['verifies']} verified)   ratio {m['whole_ms'] / m['crypto_ms']:4.2f}x"
        )
        print(f"{'':32} of which the sandbox answering {m['server_ms']:6.2f} ms (crypto included)")


if __name__ == "__main__":
    main()
