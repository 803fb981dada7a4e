"""The processes a load run starts (Streamlit replicas), and what /proc says about them (CPU, memory)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_replica(port: int, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``streamlit run app.py`` on a loopback port, with .streamlit/config.toml and the given settings."""
    args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), f"--server.port={port}"]
    args += [f"--server.address={HOST}", "--server.headless=true", "--browser.gatherUsageStats=false"]
    with log.open("w") as out:
        return subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=os.environ | env)


def wait_healthy(base: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/_stcore/health", timeout=1).status_code == 200:
                return
        if proc.poll() is not None:
            raise RuntimeError(f"{base} exited with {proc.returncode} before it was healthy")
        time.sleep(0.3)
    raise RuntimeError(f"{base} was not healthy in {seconds:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this run started: terminate, then kill after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def rss_mb(pid: int) -> float:
    """Resident memory in MB (VmRSS from /proc/<pid>/status); 0 once the process is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float | None:
    """User plus system CPU seconds (utime and stime from /proc/<pid>/stat); None once it is gone."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_pressure_us() -> int | None:
    """Microseconds in which some runnable task waited for a CPU (PSI, /proc/pressure/cpu); None without PSI."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(some.rsplit("total=", 1)[1])
    return None
