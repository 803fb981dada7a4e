"""deploy/nginx.conf made ready for a run on this machine: its own prefix folder, ports and replicas.

The file in deploy/ is what a team deploys; this only replaces its lines marked ``HOST:`` (the listen
address and the replica list), and for the load test adds a header naming the replica that answered, so
the test can count visitors per replica. nginx runs as ``nginx -p <prefix> -c nginx.conf -e logs/error.log``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"
SERVER_LINE = re.compile(r"^\s*server 127\.0\.0\.1:\d+ .*\n", re.MULTILINE)
LISTEN_LINE = re.compile(r"^(\s*)listen 127\.0\.0\.1:\d+;.*$", re.MULTILINE)
SUBFOLDERS = ("logs", "temp")
# Only the load test asks which replica answered; a deployment does not tell its visitors.
REPLICA_HEADER = "            add_header X-Flowguide-Replica $upstream_addr always;\n"


def render(listen: int, replicas: list[int], replica_header: bool = False) -> str:
    """The configuration for nginx on 127.0.0.1:``listen`` in front of replicas on these loopback ports."""
    text = TEMPLATE.read_text()
    servers = "".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in replicas)
    first = SERVER_LINE.search(text)
    if first is None or not LISTEN_LINE.search(text):
        raise ValueError(f"{TEMPLATE} has no replica or listen line to replace")
    text = SERVER_LINE.sub("", text)
    text = text[: first.start()] + servers + text[first.start() :]
    text = LISTEN_LINE.sub(lambda m: f"{m[1]}listen 127.0.0.1:{listen};", text)
    if replica_header:
        text = text.replace("            add_header Set-Cookie", REPLICA_HEADER + "            add_header Set-Cookie")
    return text


def write(prefix: Path, text: str) -> Path:
    """Write the configuration into ``prefix`` with the folders it names; returns its path."""
    for name in SUBFOLDERS:
        (prefix / name).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def command(prefix: Path, *extra: str) -> list[str]:
    return [NGINX, "-p", f"{prefix}/", "-c", "nginx.conf", "-e", "logs/error.log", *extra]


def check(prefix: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the configuration in ``prefix``: its verdict and its words."""
    return subprocess.run(command(prefix, "-t"), capture_output=True, text=True, timeout=30)


def start(prefix: Path) -> subprocess.Popen[bytes]:
    """nginx in the foreground (``daemon off``), so the caller owns the process and stops it."""
    return subprocess.Popen(command(prefix, "-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
