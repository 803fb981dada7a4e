"""What one simulator Next costs a visitor's browser and the server, walking Authorization Code in Chromium.

Starts `streamlit run app.py` (with `.streamlit/config.toml`) on a free loopback port, opens Debian's
Chromium and walks /simulator?flow=authorization_code to the API's 200 (Next, Sign in, Allow, Next...),
--walks times after one warm-up walk. For every step it measures:

- Chromium CPU: the renderer's main-thread task time (CDP ``Performance.getMetrics`` ``TaskDuration``)
  from just before the click to the page settled;
- click to settled: from the click event in the page (``performance.now()``) to the last DOM change
  before a quiet period of --quiet ms, once the page shows the new step: the counter reads
  "Step N of M", the step's heading is there, the diagram beside it is drawn for that step
  (``data-step`` on its SVG), no element is stale and Streamlit's running indicator is gone;
- server CPU: user + system time of the streamlit process (/proc/<pid>/stat) over the walk, per Next;
  also what the server burns idle over the same time (its rate measured for 5 s with no one clicking,
  after the warm-up walk), and the Next's own share, the difference.

Prints medians and p90s, the machine's load average, and with --trace FILE where the browser's CPU went
in one Next (a Chromium trace summarised by event, and the JavaScript functions with the most self time).

    python scripts/bench_browser.py [--walks 3] [--quiet 150] [--trace /tmp/next-trace.json [--trace-step 8]]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import CDPSession, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flowguide import content  # noqa: E402
from flowguide.client import FLOW_STEPS  # noqa: E402

HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FLOW = "authorization_code"
BUTTONS = {3: "Sign in", 4: "Allow"}  # the identity service's pages have their own buttons
TIMEOUT_MS = 60_000

# Installed before the app loads: the time of every click and of the latest DOM change.
PROBE_JS = """(() => {
  window.__fg = {click: 0, mutation: 0};
  addEventListener('click', () => { window.__fg.click = performance.now(); }, true);
  new MutationObserver(() => { window.__fg.mutation = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})()"""
# Resolves once the page shows the step and the DOM has been quiet for `quiet` ms: with the click's time
# and the last change's, both on the page's clock. Checks run only when quiet (textContent: no layout).
SETTLED_JS = """([counter, heading, step, quiet]) => new Promise(resolve => {
  const shown = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    const text = main ? main.textContent : '';
    const svg = document.querySelector('.st-key-sim_side svg[data-step]');
    return text.includes(counter) && text.includes(heading) && svg && svg.dataset.step === step
      && !document.querySelector('[data-stale="true"]')
      && !document.querySelector('[data-testid="stStatusWidget"]');
  };
  const poll = () => {
    const idle = performance.now() - window.__fg.mutation;
    if (idle >= quiet && shown()) resolve({click: window.__fg.click, settled: window.__fg.mutation});
    else setTimeout(poll, Math.max(10, quiet - idle));
  };
  setTimeout(poll, quiet);
})"""


@dataclass
class Figures:
    browser_ms: list[float] = field(default_factory=list)
    settled_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)  # one figure per walk: server CPU ÷ Nexts
    idle_ms: list[float] = field(default_factory=list)  # of which, per Next, what the server burns idle meanwhile
    idle_rate: float = 0.0  # the server's CPU seconds per second with nobody clicking (Streamlit's own polling)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds of one process, all its threads (utime and stime from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), f"--server.port={port}"]
    command += [f"--server.address={HOST}", "--server.headless=true", "--browser.gatherUsageStats=false"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://{HOST}:{port}/_stcore/health", timeout=1).status_code == 200:
                return proc
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited early; see {log}")
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("streamlit did not become healthy in 60 s")


def task_s(cdp: CDPSession) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")


def open_simulator(page: Page, base: str) -> None:
    page.goto(f"{base}/simulator?flow={FLOW}", timeout=TIMEOUT_MS)
    page.wait_for_selector(".st-key-sim_side svg", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS, polling=100
    )
    page.wait_for_timeout(500)


def press(page: Page, cdp: CDPSession, number: int, quiet: float) -> tuple[float, float]:
    """Click step ``number``'s button; (browser CPU ms, click-to-settled ms)."""
    steps = FLOW_STEPS[FLOW]
    title = content.flows()[FLOW].step(steps[number - 1]).title
    locator = page.get_by_role("button", name=BUTTONS.get(number, "Next"), exact=True)
    locator.wait_for(timeout=TIMEOUT_MS)
    # Found, in view and under the pointer before the count starts: Playwright's search by role and its
    # actionability checks are the harness's work; what is counted is a visitor's click and what follows.
    locator.scroll_into_view_if_needed(timeout=TIMEOUT_MS)
    box = locator.bounding_box(timeout=TIMEOUT_MS)
    assert box is not None, f"step {number}: the button has no box"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(100)
    before = task_s(cdp)
    page.mouse.down()
    page.mouse.up()
    shown = [f"Step {number} of {len(steps)}", f"{number}. {title}", steps[number - 1], quiet]
    times = page.evaluate(SETTLED_JS, shown)
    return (task_s(cdp) - before) * 1000, times["settled"] - times["click"]


def idle_rate(server_pid: int, seconds: float = 5.0) -> float:
    """The server's CPU seconds per second while no one clicks: `streamlit run` polls its config files
    five times a second whatever the app does; a walk's server CPU includes that too."""
    before, started = cpu_s(server_pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_s(server_pid) - before) / (time.monotonic() - started)


def walk(page: Page, cdp: CDPSession, base: str, server_pid: int, quiet: float, figures: Figures | None) -> None:
    open_simulator(page, base)
    server_before, started = cpu_s(server_pid), time.monotonic()
    steps = len(FLOW_STEPS[FLOW])
    for number in range(1, steps + 1):
        browser_ms, settled_ms = press(page, cdp, number, quiet)
        if figures is not None:
            figures.browser_ms.append(browser_ms)
            figures.settled_ms.append(settled_ms)
    if figures is not None:
        figures.server_ms.append((cpu_s(server_pid) - server_before) * 1000 / steps)
        figures.idle_ms.append(figures.idle_rate * (time.monotonic() - started) * 1000 / steps)


# --- where one Next's CPU goes -------------------------------------------------------------------------

TRACE_CATEGORIES = "devtools.timeline,v8.execute,blink,disabled-by-default-devtools.timeline"


def trace_one_next(page: Page, cdp: CDPSession, base: str, path: Path, quiet: float, step: int) -> None:
    """Trace step ``step``'s Next and summarise the renderer's main thread and the JavaScript in it."""
    open_simulator(page, base)
    for earlier in range(1, step):
        press(page, cdp, earlier, quiet)
    events: list[dict] = []
    cdp.on("Tracing.dataCollected", lambda params: events.extend(params["value"]))
    done: list[bool] = []
    cdp.on("Tracing.tracingComplete", lambda _params: done.append(True))
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Tracing.start", {"categories": TRACE_CATEGORIES, "transferMode": "ReportEvents"})
    cdp.send("Profiler.start")
    press(page, cdp, step, quiet)
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.send("Tracing.end")
    while not done:
        page.wait_for_timeout(100)
    path.write_text(json.dumps({"traceEvents": events}))
    print(f"trace of one Next written to {path} ({len(events)} events); open it in chrome://tracing or Perfetto")
    _summarise_trace(events)
    _summarise_profile(profile)


def _summarise_trace(events: list[dict]) -> None:
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    totals: Counter[str] = Counter()
    for e in events:
        if (e.get("pid"), e.get("tid")) in main and e.get("ph") == "X" and e.get("dur"):
            totals[e["name"]] += e["dur"] / 1000
    print("renderer main thread, inclusive ms by trace event (nested events overlap):")
    for name, ms in totals.most_common(14):
        print(f"  {ms:8.1f}  {name}")


def _summarise_profile(profile: dict) -> None:
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    self_ms: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    for sample, delta in zip(profile.get("samples", []), deltas[1:] + [0], strict=True):
        frame = nodes[sample]["callFrame"]
        where = Path(frame["url"]).name or "(native)"
        self_ms[f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber']}"] += delta / 1000
        by_file[where if where != "(native)" else frame["functionName"]] += delta / 1000
    print("JavaScript self time by script, ms (V8 sampling profile of the same Next; (idle) is not CPU):")
    for name, ms in by_file.most_common(12):
        print(f"  {ms:8.1f}  {name}")
    print("... and by function:")
    for name, ms in self_ms.most_common(12):
        print(f"  {ms:8.1f}  {name[:110]}")


# --- the run ---------------------------------------------------------------------------------------------


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def report(figures: Figures, load_before: float) -> None:
    b, s, srv = figures.browser_ms, figures.settled_ms, figures.server_ms
    load = f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}"
    print(f"{len(b)} Nexts over {len(srv)} walks of {FLOW}; {load}")
    print(f"Chromium CPU per Next (TaskDuration): median {statistics.median(b):.0f} ms, p90 {_p90(b):.0f} ms (aim 150)")
    print(f"click to settled: p50 {statistics.median(s):.0f} ms, p90 {_p90(s):.0f} ms (aim p50 <= 250)")
    steps = FLOW_STEPS[FLOW]
    by_step = [statistics.median(b[i :: len(steps)]) for i in range(len(steps))]
    per_step = ", ".join(f"{s} {ms:.0f}" for s, ms in zip(steps, by_step, strict=True))
    print(f"Chromium CPU per step, median ms: {per_step}")
    walks = ", ".join(f"{ms:.0f}" for ms in srv)
    print(f"server CPU per Next: median {statistics.median(srv):.0f} ms over walks ({walks}) (aim <= 20)")
    own = [total - idle for total, idle in zip(srv, figures.idle_ms, strict=True)]
    print(
        f"  of which the server's idle polling ({figures.idle_rate * 1000:.1f} ms of CPU a second, clicks or not): "
        f"{statistics.median(figures.idle_ms):.1f} ms; the Next's own: median {statistics.median(own):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--walks", type=int, default=3, help="measured walks after one warm-up walk")
    parser.add_argument("--quiet", type=float, default=150, help="ms without a DOM change that count as settled")
    parser.add_argument("--trace", type=Path, help="also trace one Next into this file and summarise it")
    parser.add_argument("--trace-step", type=int, default=2, help="the step whose Next is traced (1 = the first)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    port = free_port()
    base = f"http://{HOST}:{port}"
    proc = start_server(port, Path(tempfile.gettempdir()) / f"bench-browser-{port}.log")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": args.width, "height": args.height})
            context.add_init_script(PROBE_JS)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
            load_before = os.getloadavg()[0]
            figures = Figures()
            try:
                for number in range(args.walks + 1):  # the first walk warms the server's imports and caches
                    walk(page, cdp, base, proc.pid, args.quiet, figures if number else None)
                    if not number:
                        figures.idle_rate = idle_rate(proc.pid)
            except Exception:
                page.screenshot(path=Path(tempfile.gettempdir()) / "bench-browser-failed.png", full_page=True)
                raise
            if args.walks:
                report(figures, load_before)
            if args.trace:
                trace_one_next(page, cdp, base, args.trace, args.quiet, args.trace_step)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
