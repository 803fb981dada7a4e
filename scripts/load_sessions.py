"""N real browser sessions at once against `streamlit run app.py`, each walking the live simulator.

Starts the app itself on a free loopback port, opens one Debian Chromium with N contexts, and in each
walks /simulator: Authorization Code to the API's 200, then Client Credentials (chosen in the Flow box).
It prints the time per Next as the browser sees it (click to the step's result drawn, p50 and p95), the
server's resident memory before, with all sessions open and walked, and per added session; then it
reveals the secrets in every session, collects the codes, verifiers and tokens each page shows, and
checks that no two sessions saw the same one. Exits 1 when a session failed or the sets overlap.

Only 127.0.0.1 is contacted, and everything has a timeout: the whole run stops after --deadline seconds.
This is the end-to-end cross-check with real browsers; the load test of the app itself, without browsers
(Locust over Streamlit's websocket protocol, 100 readers and more), is ``python -m loadtest.run``.

    /work/venv/bin/python scripts/load_sessions.py --sessions 20 [--port 0] [--deadline 600] [--option NAME=VALUE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flowguide.client import FLOW_STEPS  # noqa: E402
from flowguide.transcript import JWT_PATTERN  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST = "127.0.0.1"
STEP_TIMEOUT_MS = 60_000  # raised for many sessions in main(): every tab shares this machine's cores
# The button that moves each step on: the sign-in page's and the consent page's own buttons, else Next.
AC_BUTTONS = {3: "Sign in", 4: "Allow"}
# Credentials as the revealed page writes them: in URLs and forms (code, verifier), and JWTs anywhere.
FORM_SECRET = re.compile(r"\b(code|code_verifier|refresh_token|state)=([A-Za-z0-9._~-]{8,})")
JSON_SECRET = re.compile(r'"(code|code_verifier|refresh_token|access_token|id_token|state)"\s*:\s*"([^"]{8,})"')
# The browser side of "the step's result is drawn": the counter moved on, the step's heading is
# there, and Streamlit has no element left over from the previous run and no run in progress.
DRAWN_JS = """([counter, heading]) => {
  const text = document.querySelector('[data-testid="stMain"]')?.innerText || '';
  return text.includes(counter) && text.includes(heading)
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
IDLE_JS = """() => !!document.querySelector('[data-testid="stMainBlockContainer"]')
  && !document.querySelector('[data-stale="true"]')
  && !document.querySelector('[data-testid="stStatusWidget"]')"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_s(pids: set[int]) -> float:
    """User plus system CPU seconds of these processes (utime and stime from /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> set[int]:
    """Every live process under ``root`` (here: Playwright's driver and the Chromium it started)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def start_server(port: int, log: Path, options: list[str]) -> subprocess.Popen[bytes]:
    out = log.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            f"--server.address={HOST}",
            "--browser.gatherUsageStats=false",
            *(f"--{option}" for option in options),
        ],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
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


@dataclass
class Session:
    """One browser context and what it measured and saw."""

    number: int
    page: Page
    next_ms: list[float] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    error: str = ""


async def open_simulator(session: Session, base: str, flow: str) -> None:
    try:
        await _open(session, base, flow)
    except Exception as exc:  # reported with the session; the others go on
        session.error = f"opening: {type(exc).__name__}: {str(exc).splitlines()[0]}"


async def _open(session: Session, base: str, flow: str) -> None:
    await session.page.goto(f"{base}/simulator?flow={flow}", timeout=STEP_TIMEOUT_MS)
    # The step's diagram, laid out on the server and sent as SVG.
    await session.page.wait_for_selector(".st-key-sim_side svg", timeout=STEP_TIMEOUT_MS)
    await session.page.wait_for_function(IDLE_JS, timeout=STEP_TIMEOUT_MS)


async def press(session: Session, name: str, step: int, total: int, title: str) -> None:
    """Click one step's button and time it until that step's result is drawn."""
    button = session.page.get_by_role("button", name=name, exact=True)
    await button.wait_for(timeout=STEP_TIMEOUT_MS)
    started = time.perf_counter()
    await button.click(timeout=STEP_TIMEOUT_MS)
    await session.page.wait_for_function(
        DRAWN_JS, arg=[f"Step {step} of {total}", f"{step}. {title}"], timeout=STEP_TIMEOUT_MS, polling=20
    )
    session.next_ms.append((time.perf_counter() - started) * 1000)


async def walk(session: Session, flow: str, titles: dict[str, list[str]], buttons: dict[int, str]) -> None:
    steps = titles[flow]
    for number, title in enumerate(steps, start=1):
        await press(session, buttons.get(number, "Next"), number, len(steps), title)


async def choose_flow(session: Session, title: str) -> None:
    """Pick another flow in the simulator's Flow box, as a visitor would (same browser session)."""
    page = session.page
    option = page.get_by_role("option", name=title, exact=True)
    # A rerun that lands just after the click redraws the box closed: open it again until the list shows.
    for _ in range(5):
        await page.get_by_role("combobox", name=re.compile("Flow")).click(timeout=STEP_TIMEOUT_MS)
        try:
            await option.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            await page.wait_for_function(IDLE_JS, timeout=STEP_TIMEOUT_MS)
    await option.click(timeout=STEP_TIMEOUT_MS)
    await page.get_by_text("Ready", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
    await page.wait_for_function(IDLE_JS, timeout=STEP_TIMEOUT_MS)


async def set_reveal(page: Page, on: bool) -> None:
    """Switch the simulator's Reveal secrets toggle and wait until the step is drawn again."""
    switch = page.locator("label", has_text="Reveal secrets").locator("input")
    if await switch.is_checked(timeout=STEP_TIMEOUT_MS) != on:
        await page.locator("label", has_text="Reveal secrets").click(timeout=STEP_TIMEOUT_MS)
    await switch.and_(page.locator(":checked" if on else ":not(:checked)")).wait_for(timeout=STEP_TIMEOUT_MS)
    if on:  # the step shown ends with the API call, whose Authorization header is masked until revealed
        await page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stMain\"]').innerText.includes('(masked)')",
            timeout=STEP_TIMEOUT_MS,
        )
    await page.wait_for_function(IDLE_JS, timeout=STEP_TIMEOUT_MS)


async def collect_revealed(session: Session, total: int) -> None:
    """Reveal secrets, go Back through every step keeping each credential the page shows, then return."""
    page = session.page
    await set_reveal(page, True)
    for step in range(total, 0, -1):
        if step < total:
            await page.get_by_role("button", name="Back", exact=True).click(timeout=STEP_TIMEOUT_MS)
            await page.get_by_text(f"Step {step} of {total}", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
            await page.wait_for_function(IDLE_JS, timeout=STEP_TIMEOUT_MS)
        text = await page.locator("[data-testid='stMain']").inner_text(timeout=STEP_TIMEOUT_MS)
        session.seen |= set(JWT_PATTERN.findall(text))
        session.seen |= {value for _, value in FORM_SECRET.findall(text) + JSON_SECRET.findall(text)}
    await set_reveal(page, False)


async def run_session(session: Session, base: str, titles: dict[str, list[str]], start: asyncio.Event) -> None:
    try:
        await start.wait()
        if session.error:
            return
        await walk(session, "authorization_code", titles, AC_BUTTONS)
        await collect_revealed(session, len(titles["authorization_code"]))
        await choose_flow(session, titles["client_credentials_title"][0])
        await walk(session, "client_credentials", titles, {})
        await collect_revealed(session, len(titles["client_credentials"]))
    except Exception as exc:  # one failed session is reported, the others go on
        session.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def step_titles() -> dict[str, list[str]]:
    from flowguide import content

    flows = content.flows()
    titles = {flow: [flows[flow].step(s).title for s in FLOW_STEPS[flow]] for flow in ("authorization_code",)}
    titles["client_credentials"] = [flows["client_credentials"].step(s).title for s in FLOW_STEPS["client_credentials"]]
    titles["client_credentials_title"] = [flows["client_credentials"].title]
    return titles


async def load(browser: Browser, base: str, pid: int, sessions: int) -> dict[str, Any]:
    titles = step_titles()
    # One session first, closed again, so imports and caches filled once per server are not counted per session.
    warm = await browser.new_context(viewport={"width": 1280, "height": 900})
    warm_session = Session(0, await warm.new_page())
    await _open(warm_session, base, "authorization_code")
    await walk(warm_session, "authorization_code", titles, AC_BUTTONS)
    await warm.close()
    await asyncio.sleep(2)
    figures: dict[str, Any] = {"rss_before": rss_mb(pid), "load_average": os.getloadavg()[0]}

    contexts = [await browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(sessions)]
    opened = [Session(i + 1, await c.new_page()) for i, c in enumerate(contexts)]
    started = time.perf_counter()
    await asyncio.gather(*(open_simulator(s, base, "authorization_code") for s in opened))
    figures["open_s"] = time.perf_counter() - started
    figures["rss_open"] = rss_mb(pid)
    browser_pids = descendants(os.getpid()) - {pid}
    cpu_before = (cpu_s({pid}), cpu_s(browser_pids))
    go = asyncio.Event()
    tasks = [asyncio.create_task(run_session(s, base, titles, go)) for s in opened]
    started = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    figures["walk_s"] = time.perf_counter() - started
    figures["rss_walked"] = rss_mb(pid)
    figures["cpu_server_s"] = cpu_s({pid}) - cpu_before[0]
    figures["cpu_browser_s"] = cpu_s(browser_pids) - cpu_before[1]
    figures["sessions"] = opened
    for context in contexts:
        await context.close()
    return figures


def report(figures: dict[str, Any], sessions: int) -> int:
    opened: list[Session] = figures["sessions"]
    times = [t for s in opened for t in s.next_ms]
    failed = [s for s in opened if s.error]
    print(f"sessions: {sessions}, steps timed: {len(times)}, failed sessions: {len(failed)}")
    for s in failed:
        print(f"  session {s.number}: {s.error}")
    if times:
        print(
            f"time per Next (click to result drawn): p50 {statistics.median(times):.0f} ms, "
            f"p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms"
        )
    print(f"all sessions opened in {figures['open_s']:.1f} s, walked in {figures['walk_s']:.1f} s")
    # Where the CPU went during the walks (both share this machine's cores): per timed step.
    steps = max(len(times), 1)
    print(
        f"CPU per step: server {1000 * figures['cpu_server_s'] / steps:.0f} ms, "
        f"Chromium and driver {1000 * figures['cpu_browser_s'] / steps:.0f} ms "
        f"(load average at start {figures['load_average']})"
    )
    before, after = figures["rss_before"], figures["rss_walked"]
    print(
        f"server RSS: before {before:.1f} MB, all open {figures['rss_open']:.1f} MB, "
        f"all walked {after:.1f} MB; per added session {(after - before) / sessions:.2f} MB"
    )
    # Isolation: every session saw its own credentials, and no two saw the same one.
    problems = 0
    for s in opened:
        if not s.error and not s.seen:
            print(f"  session {s.number} showed no credential at all (the check would be empty)")
            problems += 1
    owners: dict[str, int] = {}
    for s in opened:
        for value in s.seen:
            if value in owners:
                print(f"  session {s.number} saw a credential session {owners[value]} saw: {value[:12]}…")
                problems += 1
            owners.setdefault(value, s.number)
    counts = sorted(len(s.seen) for s in opened)
    print(f"credentials shown per session: {counts[0]} to {counts[-1]}")
    print(f"isolation: {len(owners)} distinct codes/verifiers/tokens across sessions, {problems} shared or missing")
    return 1 if failed or problems else 0


async def main_async(args: argparse.Namespace) -> int:
    port = args.port or free_port()
    base = f"http://{HOST}:{port}"
    log = Path(tempfile.gettempdir()) / f"load-sessions-{port}.log"
    proc = start_server(port, log, args.option)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                figures = await asyncio.wait_for(load(browser, base, proc.pid, args.sessions), args.deadline)
            finally:
                await browser.close()
        return report(figures, args.sessions)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--port", type=int, default=0, help="loopback port for the app (default: a free one)")
    parser.add_argument("--deadline", type=float, default=600, help="seconds before the whole run gives up")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a further `streamlit run` option, e.g. server.fileWatcherType=none (repeatable)",
    )
    args = parser.parse_args()
    global STEP_TIMEOUT_MS
    STEP_TIMEOUT_MS = max(STEP_TIMEOUT_MS, 8_000 * args.sessions)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
