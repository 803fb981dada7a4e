"""One command: start the app (or two replicas behind Debian's nginx), run Locust, print every figure.

    python -m loadtest.run                          # 100 readers for 120 s against one `streamlit run app.py`
    python -m loadtest.run --users 50 --seconds 60
    python -m loadtest.run --ramp 40:20:40:240      # 40 readers, 20 more every 40 s up to 240: the largest
                                                    # count that holds p95 < 1 s, and a py-spy profile at the top
    python -m loadtest.run --replicas 2             # two replicas behind nginx (deploy/nginx.conf)
    python -m loadtest.run --replicas 2 --stop-one-at 60   # ... and one replica killed a minute in
    python -m loadtest.run --all                    # all four above, one after the other (about 17 minutes)

Everything listens on free loopback ports; everything started here is stopped here. Needs `.[load]`
(Locust, py-spy). Exits 1 when a visitor met an error, a value was shown to two visitors, a visitor's
page and websocket reached different replicas, or a visitor did not come back to its place; the timing
and memory goals are printed as met or not (they depend on the machine), and do not change the exit code;
nor do errors during a ramp, which goes past what the server holds on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest import figures, nginx, procs
from loadtest.walk import Visitor

ROOT = procs.ROOT
# A hosted copy's settings (deploy/README.md); every replica shares the cookie secret.
HOSTED_ENV = {"FLOWGUIDE_ALLOW_PRIVATE": "0", "STREAMLIT_SERVER_COOKIE_SECRET": "load-test-only-not-a-secret"}


@dataclass
class Servers:
    """The replicas (and nginx in front of them) one run started, and the address visitors use."""

    replicas: list[subprocess.Popen[bytes]]
    addresses: list[str]
    base: str
    nginx: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        for proc in ([self.nginx] if self.nginx else []) + self.replicas:
            procs.stop(proc)


def start_servers(count: int, folder: Path) -> Servers:
    """``count`` replicas; with more than one, nginx in front of them with deploy/nginx.conf."""
    ports = [procs.free_port() for _ in range(count)]
    started = [procs.start_replica(p, folder / f"replica-{p}.log", HOSTED_ENV) for p in ports]
    addresses = [f"{procs.HOST}:{p}" for p in ports]
    servers = Servers(started, addresses, f"http://{addresses[0]}")
    try:
        for proc, address in zip(started, addresses, strict=True):
            procs.wait_healthy(f"http://{address}", proc)
        if count > 1:
            listen = procs.free_port()
            prefix = folder / "nginx"
            nginx.write(prefix, nginx.render(listen, ports, replica_header=True))
            servers.nginx = nginx.start(prefix)
            servers.base = f"http://{procs.HOST}:{listen}"
            procs.wait_healthy(servers.base, servers.nginx)
    except BaseException:
        servers.stop()
        raise
    return servers


def warm_up(base: str, times: int) -> None:
    """Each replica imports the pages on its first visit: walk both flows a few times before measuring."""
    for _ in range(times):
        visitor = Visitor(base)
        visitor.open()
        for _ in range(14):
            visitor.switch_flow() if visitor.finished() else visitor.step()
        visitor.close()


@dataclass
class Monitor:
    """Samples the replicas' memory and CPU every half second; stops one replica or profiles on cue."""

    servers: Servers
    stop_one_at: float | None = None
    profile_at: float | None = None
    profile_seconds: float = 20
    folder: Path = Path(".")
    peak: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    profile: str = ""
    killed: str | None = None
    # The share of the run in which some task on this machine waited for a CPU (PSI), Locust's and ours included.
    waiting: float | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        pids = [p.pid for p in self.servers.replicas]
        self.before = [procs.rss_mb(pid) for pid in pids]
        self.peak = list(self.before)
        self.cpu_before = [procs.cpu_s(pid) or 0.0 for pid in pids]
        self.cpu = list(self.cpu_before)

    def run(self, started: float) -> None:
        profiler = None
        while not self._done.wait(0.5):
            elapsed = time.monotonic() - started
            for i, proc in enumerate(self.servers.replicas):
                self.peak[i] = max(self.peak[i], procs.rss_mb(proc.pid))
                self.cpu[i] = procs.cpu_s(proc.pid) or self.cpu[i]
            if self.stop_one_at is not None and self.killed is None and elapsed >= self.stop_one_at:
                self.servers.replicas[0].send_signal(signal.SIGKILL)
                self.killed = self.servers.addresses[0]
            if self.profile_at is not None and profiler is None and elapsed >= self.profile_at:
                profiler = self._profile()
        if profiler is not None:
            profiler.communicate(timeout=self.profile_seconds + 30)
            output = self.folder / "profile.txt"
            self.profile = output.read_text() if output.exists() else ""

    def _profile(self) -> subprocess.Popen[bytes] | None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            return None
        args = [spy, "record", "--pid", str(self.servers.replicas[0].pid), "--duration", f"{self.profile_seconds:.0f}"]
        # --gil: only the thread holding the GIL, which is what a replica's one core spends (no sleeping threads).
        args += [
            "--rate",
            "50",
            "--format",
            "raw",
            "--nonblocking",
            "--gil",
            "--output",
            str(self.folder / "profile.txt"),
        ]
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def finish(self) -> None:
        self._done.set()


def run_locust(args: argparse.Namespace, base: str, folder: Path, monitor: Monitor) -> tuple[dict[str, Any], float]:
    """Locust headless against ``base``; returns its report and its own CPU seconds."""
    report = folder / "report.json"
    env = os.environ | {"FLOWGUIDE_LOAD_REPORT": str(report), "FLOWGUIDE_THINK": str(args.think)}
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless"]
    command += ["--host", base, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    if args.ramp:
        env["FLOWGUIDE_RAMP"] = args.ramp
    else:
        command += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pressure = procs.cpu_pressure_us()
    started = time.monotonic()
    watcher = threading.Thread(target=monitor.run, args=(started,), daemon=True)
    watcher.start()
    with (folder / "locust.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    monitor.finish()
    elapsed = time.monotonic() - started
    after_pressure = procs.cpu_pressure_us()
    if pressure is not None and after_pressure is not None:
        monitor.waiting = (after_pressure - pressure) / 1e6 / elapsed
    watcher.join(timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return json.loads(report.read_text()), locust_cpu


def ramp_levels(ramp: str) -> list[int]:
    start, step, _, top = (float(x) for x in ramp.split(":"))
    return [int(start + i * step) for i in range(int((top - start) // step) + 1)]


def print_run(
    title: str, args: argparse.Namespace, report: dict[str, Any], monitor: Monitor, locust_cpu: float
) -> bool:
    """Every figure of one run; True when nothing went wrong that is not the machine's speed."""
    usage = figures.Usage(
        server_cpu_s=sum(monitor.cpu) - sum(monitor.cpu_before),
        locust_cpu_s=locust_cpu,
        rss_before_mb=sum(monitor.before),
        rss_peak_mb=sum(monitor.peak),
    )
    busy = f", something waited for a CPU {monitor.waiting:.0%} of the time" if monitor.waiting is not None else ""
    print(f"\n== {title} (load average {procs.load_average()} at the end{busy}, {os.cpu_count()} cores)")
    lines, _ = figures.latency_lines(report)
    more, no_errors = figures.error_lines(report)
    lines += more
    lines += figures.usage_lines(usage, report)[0]
    more, isolated = figures.isolation_lines(report)
    lines += more
    # A ramp goes past what the server holds on purpose: a press that times out up there is a figure, not a fault.
    ok = (no_errors or bool(args.ramp)) and isolated
    if len(monitor.servers.replicas) > 1:
        more, spread = figures.replica_lines(report, monitor.killed)
        lines += more
        ok = ok and spread
    if monitor.killed:
        more, recovered = figures.recovery_lines(report, monitor.killed)
        lines += more
        ok = ok and recovered
    if args.ramp:
        more, best = figures.ramp_lines(report, ramp_levels(args.ramp))
        lines += more + [f"  largest number of visitors that holds p95 < 1 s: {best or 'none of the levels'}"]
    if monitor.profile:
        lines += [f"  where the server's CPU went at the top ({monitor.profile_seconds:.0f} s of py-spy):"]
        lines += figures.profile_lines(monitor.profile)
    print("\n".join(lines), flush=True)
    return ok


def one_run(args: argparse.Namespace, title: str) -> bool:
    """Start the servers, warm them up, run Locust with the monitor, print the figures, stop everything."""
    folder = Path(tempfile.mkdtemp(prefix="flowguide-load-"))
    print(f"-- {title}: starting (load average {procs.load_average()}; logs in {folder})", flush=True)
    servers = start_servers(args.replicas, folder)
    try:
        # Each replica directly: through nginx the hash could leave one cold, and its imports counted as visitors'.
        for address in servers.addresses:
            warm_up(f"http://{address}", 2)
        spawned = args.users / args.spawn_rate
        profile_at = None
        if args.ramp:
            levels = ramp_levels(args.ramp)
            hold = float(args.ramp.split(":")[2])
            profile_at = (len(levels) - 1) * hold + 5
        elif args.profile:
            profile_at = spawned + 10
        monitor = Monitor(
            servers,
            stop_one_at=args.stop_one_at,
            profile_at=profile_at,
            profile_seconds=min(20.0, float(args.ramp.split(":")[2]) - 10) if args.ramp else 20.0,
            folder=folder,
        )
        report, locust_cpu = run_locust(args, servers.base, folder, monitor)
        return print_run(title, args, report, monitor, locust_cpu)
    finally:
        servers.stop()


def parser() -> argparse.ArgumentParser:
    ask = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ask.add_argument("--users", type=int, default=100, help="concurrent readers (default 100)")
    ask.add_argument("--spawn-rate", type=float, default=10, help="readers started per second (default 10)")
    ask.add_argument("--seconds", type=int, default=120, help="how long the run lasts (default 120)")
    ask.add_argument("--think", type=float, default=5, help="seconds a reader reads between presses, on average (5)")
    ask.add_argument("--replicas", type=int, default=1, help="Streamlit replicas; more than one puts nginx in front")
    ask.add_argument("--stop-one-at", type=float, help="kill the first replica this many seconds into the run")
    ask.add_argument("--ramp", help="start:step:hold:max readers, instead of --users and --seconds")
    ask.add_argument("--profile", action="store_true", help="py-spy the (first) replica for 20 s once all have started")
    ask.add_argument("--all", action="store_true", help="100 readers, the ramp, two replicas, and one stopped")
    return ask


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.stop_one_at is not None and args.replicas < 2:
        parser().error("--stop-one-at needs --replicas 2 or more")
    if not args.all:
        return 0 if one_run(args, describe(args)) else 1
    runs = [
        argparse.Namespace(**vars(args) | {"replicas": 1, "ramp": None, "profile": True}),
        argparse.Namespace(**vars(args) | {"replicas": 1, "ramp": "40:20:40:240"}),
        argparse.Namespace(**vars(args) | {"replicas": 2, "ramp": None}),
        argparse.Namespace(**vars(args) | {"replicas": 2, "ramp": None, "stop_one_at": args.seconds / 2}),
    ]
    results = [one_run(run, describe(run)) for run in runs]
    return 0 if all(results) else 1


def describe(args: argparse.Namespace) -> str:
    where = "one replica, direct" if args.replicas == 1 else f"{args.replicas} replicas behind nginx"
    who = (
        f"readers ramped {args.ramp} (start:step:hold s:max)"
        if args.ramp
        else f"{args.users} readers, {args.seconds} s"
    )
    stopped = f", the first replica killed at {args.stop_one_at:.0f} s" if args.stop_one_at is not None else ""
    return f"{who}, a Next every {args.think:.0f} s on average, {where}{stopped}"


if __name__ == "__main__":
    sys.exit(main())
