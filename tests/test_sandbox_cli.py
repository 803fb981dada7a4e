"""`python -m flowguide.sandbox` as a reader runs it: loopback by default, anything else only when asked, loudly.

The served tests start the real command in a subprocess on a free port and stop it when done.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jwt
import pytest

from flowguide.sandbox.__main__ import is_loopback, is_wildcard, issuer_problem, refusal

ROOT = Path(__file__).resolve().parent.parent
PROG = "python -m flowguide.sandbox"
SYNC_FORM = {
    "grant_type": "client_credentials",
    "client_id": "com.example/nightly-sync",
    "client_secret": "nightly-sync-secret",
}
NEEDS_ALLOW_REMOTE = (
    "python -m flowguide.sandbox: --host 0.0.0.0 lets other machines reach a sandbox whose secrets are published; "
    "add --allow-remote if that is what you mean.\n"
)
NEEDS_ISSUER = (
    "python -m flowguide.sandbox: --host 0.0.0.0 listens on every interface, so no one address names the sandbox: "
    "add --issuer with the URL clients use, such as https://sandbox.example.com/id.\n"
)
BAD_ISSUER = (
    "python -m flowguide.sandbox: --issuer must be an http or https URL whose path is /id, "
    "such as https://sandbox.example.com/id.\n"
)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowguide.sandbox", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


class Lines:
    """A pipe's lines, read with a deadline so a silent server fails the test instead of hanging it."""

    def __init__(self, pipe) -> None:
        os.set_blocking(pipe.fileno(), False)
        self._pipe = pipe
        self._selector = selectors.DefaultSelector()
        self._selector.register(pipe, selectors.EVENT_READ)
        self._buffer = ""
        self.seen: list[str] = []

    def until(self, predicate, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while "\n" in self._buffer:
                line, self._buffer = self._buffer.split("\n", 1)
                self.seen.append(line)
                if predicate(line):
                    return line
            if self._selector.select(timeout=0.2):
                chunk = self._pipe.read()
                if chunk == "":
                    break
                self._buffer += chunk or ""
        raise AssertionError(f"no such line in time; seen: {self.seen!r}")


@contextmanager
def served(*args: str) -> Iterator[tuple[str, Lines, Lines]]:
    """The command serving on port 0; yields its loopback base URL and its stdout and stderr lines."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowguide.sandbox", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        banner = out.until(lambda line: line.startswith("Sandbox identity service on "))
        port = int(banner.split(" port ", 1)[1].split(",", 1)[0])
        yield f"http://127.0.0.1:{port}", out, err
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


# --- refusals ------------------------------------------------------------------------------------------


def test_a_host_other_machines_reach_is_refused_without_allow_remote() -> None:
    result = run_cli("--host", "0.0.0.0", "--port", "0")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", NEEDS_ALLOW_REMOTE)


def test_every_interface_without_an_issuer_is_refused() -> None:
    result = run_cli("--host", "0.0.0.0", "--allow-remote", "--port", "0")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", NEEDS_ISSUER)


@pytest.mark.parametrize(
    "issuer", ["https://sandbox.example.com", "https://sandbox.example.com/tenant/id", "ftp://x/id"]
)
def test_an_issuer_that_is_not_a_name_plus_id_is_refused(issuer: str) -> None:
    result = run_cli("--issuer", issuer, "--port", "0")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", BAD_ISSUER)


def test_a_port_out_of_range_is_refused_in_one_line_and_no_traceback() -> None:
    result = run_cli("--port", "70000")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "python -m flowguide.sandbox: error: argument --port: '70000' is not a TCP port (0 to 65535)"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "allow_remote", "issuer", "refused"),
    [
        ("127.0.0.1", False, None, False),
        ("127.8.9.10", False, None, False),
        ("::1", False, None, False),
        ("localhost", False, None, False),
        ("192.168.1.5", False, None, True),
        ("192.168.1.5", True, None, False),  # one address: the issuer names it
        ("sandbox.local", False, None, True),  # a name may resolve to anything
        ("::", True, None, True),
        ("", True, None, True),
        ("0.0.0.0", True, "http://localhost:8600/id", False),
        ("127.0.0.1", False, "https://sandbox.example.com/id", False),  # behind a local reverse proxy
        ("127.0.0.1", False, "https://sandbox.example.com/id?x=1", True),
        ("127.0.0.1", False, "https://user@sandbox.example.com/id", True),
        ("127.0.0.1", False, "https://sandbox.example.com/id#top", True),
    ],
)
def test_which_options_are_refused(host: str, allow_remote: bool, issuer: str | None, refused: bool) -> None:
    assert (refusal(host, allow_remote, issuer) is not None) is refused


def test_loopback_and_wildcard_addresses() -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.1", "example")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert [is_wildcard(h) for h in ("0.0.0.0", "::", "", "127.0.0.1", "localhost")] == [True, True, True, False, False]
    assert issuer_problem("http://192.168.1.5:8600/id") is None


# --- serving -------------------------------------------------------------------------------------------


def test_loopback_by_default_with_the_bound_port_in_the_issuer_and_no_warning() -> None:
    with served() as (base, out, err):
        meta = httpx.get(f"{base}/id/.well-known/openid-configuration").json()
        assert meta["issuer"] == f"{base}/id"
        assert out.seen[0] == f"Sandbox identity service on 127.0.0.1 port {base.rsplit(':', 1)[1]}, issuer {base}/id"
    assert not any("WARNING" in line for line in err.seen)


def test_an_issuer_behind_a_name_is_in_discovery_and_in_the_tokens() -> None:
    with served("--issuer", "https://sandbox.example.com/id") as (base, out, _err):
        meta = httpx.get(f"{base}/id/.well-known/openid-configuration").json()
        assert (meta["issuer"], meta["token_endpoint"], meta["jwks_uri"]) == (
            "https://sandbox.example.com/id",
            "https://sandbox.example.com/id/connect/token",
            "https://sandbox.example.com/id/.well-known/openid-configuration/jwks",
        )
        token = httpx.post(f"{base}/id/connect/token", data=SYNC_FORM).json()["access_token"]
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == "https://sandbox.example.com/id"
        rows = httpx.get(f"{base}/api/domain/odata/Crm_Sales_Customers", headers={"Authorization": f"Bearer {token}"})
        assert rows.status_code == 200
        assert rows.json()["@odata.context"] == (
            "https://sandbox.example.com/api/domain/odata/$metadata#Crm_Sales_Customers"
        )
        assert out.until(lambda line: line.startswith("Discovery: ")) == (
            "Discovery: https://sandbox.example.com/id/.well-known/openid-configuration"
        )


def test_every_interface_with_allow_remote_warns_loudly() -> None:
    # Bound to every interface for as long as it takes to read the warning and one answer.
    with served("--host", "0.0.0.0", "--allow-remote", "--issuer", "http://localhost:8600/id") as (base, _out, err):
        err.until(lambda line: line.endswith("stop it when done."))
        meta = httpx.get(f"{base}/id/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://localhost:8600/id"
    warning = [line for line in err.seen if line.startswith("WARNING:")]
    assert warning == [
        "WARNING: the sandbox listens on 0.0.0.0, which other machines can reach.",
        "WARNING: its demo client secrets and passwords are published in the Flow Guide README, so anyone who",
        "WARNING: reaches it can sign in as its users, and it runs Werkzeug's development server, which is not",
        "WARNING: made to face the internet. Serve it only on a network you trust, and stop it when done.",
    ]
