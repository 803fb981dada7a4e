"""Median server-side time of one Next on /simulator, per flow, beside a bare Streamlit page.

Both are driven through AppTest in this process. "script" is the time Streamlit's script runner
spends in one rerun (the button's callback, which runs the step against the sandbox, then the whole
page script, with scripts compiled once as a server does); "AppTest" adds AppTest's own polling and
parsing of the result, as a rough upper bound.

    /work/venv/bin/python scripts/bench_simulator.py [--walks 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bench_support import SCRIPT_RUNS  # noqa: E402
from conftest import run_page  # noqa: E402

from flowguide.simulation import FLOW_ORDER  # noqa: E402

BARE_PAGE = """
import streamlit as st
st.title("Bare page")
st.button("Next", key="next")
st.write("Nothing else.")
"""


def _timed_click(at: AppTest, key: str) -> tuple[float, float]:
    """(script ms, AppTest ms) of one click on the button ``key``."""
    SCRIPT_RUNS.clear()
    started = time.perf_counter()
    at.button(key=key).click().run()
    total = (time.perf_counter() - started) * 1000
    return sum(SCRIPT_RUNS), total


def bare_page(clicks: int) -> list[tuple[float, float]]:
    at = AppTest.from_string(BARE_PAGE, default_timeout=60)
    at.run()
    _timed_click(at, "next")  # warm-up
    return [_timed_click(at, "next") for _ in range(clicks)]


def simulator(flow: str, walks: int) -> list[tuple[float, float]]:
    times: list[tuple[float, float]] = []
    for walk in range(walks + 1):
        at = run_page("simulator", {"flow": flow})
        walk_times = []
        while not at.button(key="sim_next").disabled:
            walk_times.append(_timed_click(at, "sim_next"))
            if at.exception:
                raise SystemExit(f"{flow}: {at.exception[0].value}")
        if walk:  # the first walk warms imports and caches
            times += walk_times
    return times


def _medians(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=5, help="walks per flow after one warm-up walk")
    args = parser.parse_args()
    bare_script, bare_total = _medians(bare_page(clicks=40))
    print(f"bare Streamlit page, one click: script {bare_script:.1f} ms, AppTest {bare_total:.1f} ms (medians)")
    print(f"{'flow':<22}{'Nexts':>6}{'script ms':>11}{'p90':>7}{'ratio':>8}{'AppTest ms':>12}{'ratio':>8}")
    for flow in FLOW_ORDER:
        times = simulator(flow, args.walks)
        script, total = _medians(times)
        p90 = statistics.quantiles([t[0] for t in times], n=10)[-1]
        print(
            f"{flow:<22}{len(times):>6}{script:>11.1f}{p90:>7.1f}{script / bare_script:>7.1f}×"
            f"{total:>12.1f}{total / bare_total:>7.1f}×"
        )
    again, _ = _medians(bare_page(clicks=40))
    print(f"bare again (drift check): script {again:.1f} ms")


if __name__ == "__main__":
    main()
