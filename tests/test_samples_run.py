"""Every program /guide can show runs against the standalone sandbox over real sockets and reaches the API's 200
(a sign-in-only program: who signed in).

The programs are generated for every complete set of guide answers (tests/test_guide.py's
``all_answer_sets``) and deduplicated. The generator's own parameter puts the demo registry's app in the
visitor's place (README: com.example/nightly-sync, com.example/web-portal, com.example/spa, com.example/cli): its client
id and redirect URI, and the requested scopes the demo app may have. The issuer comes from the
programs' own ``ERPNET_ISSUER`` variable, and the secret from ``ERPNET_CLIENT_SECRET``; the browser page
has the issuer written in, as a visitor's copy would. Python runs in this interpreter, Node.js programs
with tests/oidc/node_modules, curl with ``sh``, the web apps as servers on the redirect URI's port with a
person signing in over HTTP (tests/fixtures/sign_in_pages.py), and the SPA in Chromium. Programs that
print an address for a browser (the curl exchange, the command-line tool) get that person at the address;
the curl script then reads the address the browser landed on from its standard input, and the tool (with
``BROWSER=true``, so no browser opens) gets the browser's last request on its own loopback listener.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fixtures.demo import (
    CLI,
    DAVID,
    DAVID_CUSTOMERS,
    NIGHTLY_SYNC,
    SPA,
    SYNC_BOT_CUSTOMERS,
    WEB_PORTAL,
    StandaloneSandbox,
)
from fixtures.sign_in_pages import sign_in
from test_guide import all_answer_sets

from flowguide.guide import UNCONFIGURED_SCOPES, Registration, recommend
from flowguide.samples import DEFAULT_ISSUER, SECRET_ENV, Kind, Sample, recommendation_code, sample_values

pytest_plugins = ["fixtures.real_sandbox"]

DEMO_APPS = {"service": NIGHTLY_SYNC, "web": WEB_PORTAL, "spa": SPA, "cli": CLI, "native": CLI}
STATUS = re.compile(r"^HTTP (\d{3})$", re.M)
CDN_SCRIPT = "https://unpkg.com/oidc-client-ts@3.5.0/dist/browser/oidc-client-ts.min.js"


def demo_values(issuer: str):
    """The generator's values with the demo app of the part's kind in the visitor's registration's place."""

    def values_for(registration: Registration, kind: Kind):
        app = DEMO_APPS[kind]
        allowed = set(app.scope.split()) | set(UNCONFIGURED_SCOPES)
        scope = " ".join(s for s in registration.request_scope.split() if s in allowed)
        return replace(
            sample_values(registration, issuer),
            client_id=app.client_id,
            redirect_uri=app.redirect_uri or "",
            scope=scope,
        )

    return values_for


def generated(kind: str, issuer: str = DEFAULT_ISSUER) -> list[Sample]:
    """Every distinct program of this kind that some set of answers leads to."""
    found: dict[str, Sample] = {}
    for answers in all_answer_sets():
        rec = recommend(answers)
        for part in recommendation_code(rec, issuer, values_for=demo_values(issuer)):
            if part.kind == kind:
                found.update({sample.code: sample for sample in part.samples})
    return list(found.values())


def _ids(samples: list[Sample]) -> list[str]:
    return [f"{s.id}-{n}" for n, s in enumerate(samples)]


SERVICE = generated("service")
WEB = [s for s in generated("web") if s.id in ("python_web_app", "node_web_app")]
SIGN_IN_ONLY = [s for s in generated("web") if s.id == "python_sign_in_only"]
CURL_WEB = [s for s in generated("web") if s.id == "curl_authorization_code"]
LOOPBACK = generated("cli") + generated("native")


def test_the_walk_finds_every_platform() -> None:
    assert {s.id for s in SERVICE} == {
        "python_client_credentials",
        "node_client_credentials",
        "curl_client_credentials",
    }
    assert {s.id for s in generated("web")} == {
        "python_web_app",
        "node_web_app",
        "curl_authorization_code",
        "python_sign_in_only",
    }
    assert len(SERVICE) == 3 * 2  # read, read update
    assert len(WEB) == 2 * 4  # with or without update, with or without offline_access
    assert len(CURL_WEB) == 4
    assert len(SIGN_IN_ONLY) == 1  # openid profile, whatever else was answered
    assert {s.id for s in LOOPBACK} == {"python_cli", "python_desktop"}
    assert len(LOOPBACK) == 2 * 4  # the command-line tool and the desktop app, each in four scope sets


def _command(sample: Sample, folder: Path, node_modules: Path | None) -> list[str]:
    path = folder / sample.file_name
    path.write_text(sample.code, encoding="utf-8")
    if sample.file_name.endswith(".py"):
        return [sys.executable, str(path)]
    if sample.file_name.endswith(".sh"):
        return ["sh", str(path)]
    assert node_modules is not None
    # Node finds packages in a node_modules beside the program, as after `npm install openid-client`.
    (folder / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return [shutil.which("node") or "node", str(path)]


def _env(sandbox: StandaloneSandbox, secret: str | None) -> dict[str, str]:
    return {**os.environ, "ERPNET_ISSUER": sandbox.issuer, SECRET_ENV: secret or ""}


def _rows(body: str) -> list[str]:
    return [row["Number"] for row in json.loads(body)["value"]]


@pytest.fixture
def node_if_needed(request: pytest.FixtureRequest) -> Path | None:
    sample: Sample = request.node.callspec.params["sample"]
    return request.getfixturevalue("node_modules") if sample.file_name.endswith(".mjs") else None


@pytest.mark.parametrize("sample", SERVICE, ids=_ids(SERVICE))
def test_client_credentials_program_reads_customers(
    sample: Sample, standalone_sandbox: StandaloneSandbox, node_if_needed: Path | None, tmp_path: Path
) -> None:
    command = _command(sample, tmp_path, node_if_needed)
    run = subprocess.run(
        command, env=_env(standalone_sandbox, NIGHTLY_SYNC.client_secret), capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert STATUS.findall(run.stdout) == ["200"], run.stdout[-2000:]
    body = next(line for line in run.stdout.splitlines() if line.startswith("{"))
    assert _rows(body) == SYNC_BOT_CUSTOMERS


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


@pytest.fixture
def web_app(request: pytest.FixtureRequest, standalone_sandbox: StandaloneSandbox, tmp_path: Path) -> Iterator[str]:
    """The web program serving on its redirect URI's port; yields the site's address."""
    sample: Sample = request.node.callspec.params["sample"]
    node_modules = request.getfixturevalue("node_modules") if sample.file_name.endswith(".mjs") else None
    redirect = urlsplit(WEB_PORTAL.redirect_uri or "")
    assert redirect.port and _port_is_free("127.0.0.1", redirect.port), (
        f"port {redirect.port} is taken; the web portal's registered redirect URI is {WEB_PORTAL.redirect_uri}"
    )
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        _command(sample, tmp_path, node_modules),
        env=_env(standalone_sandbox, WEB_PORTAL.client_secret),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while _port_is_free("127.0.0.1", redirect.port):
            output = (tmp_path / "server.log").read_text(errors="replace")
            assert proc.poll() is None and time.monotonic() < deadline, f"{sample.file_name} did not listen: {output}"
            time.sleep(0.1)
        yield f"{redirect.scheme}://{redirect.netloc}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.mark.parametrize("sample", WEB, ids=_ids(WEB))
def test_web_program_signs_david_in_and_reads_his_customers(sample: Sample, web_app: str, tmp_path: Path) -> None:
    with httpx.Client(timeout=15) as person:
        start = person.get(f"{web_app}/", follow_redirects=True)
        back = sign_in(person, start, *DAVID)
        assert back.is_redirect and back.headers["location"].startswith(WEB_PORTAL.redirect_uri or "")
        result = person.get(back.headers["location"])
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert result.status_code == 200, f"{result.text[:1000]} {log[-2000:]}"
    assert result.json()["status"] == 200
    assert [row["Number"] for row in result.json()["customers"]["value"]] == DAVID_CUSTOMERS


@pytest.mark.parametrize("sample", SIGN_IN_ONLY, ids=_ids(SIGN_IN_ONLY))
def test_sign_in_only_program_learns_who_david_is_and_calls_no_api(
    sample: Sample, web_app: str, standalone_sandbox: StandaloneSandbox, tmp_path: Path
) -> None:
    assert "/api/" not in sample.code and "openid profile" in sample.code
    with httpx.Client(timeout=15) as person:
        start = person.get(f"{web_app}/", follow_redirects=True)
        assert "scope=openid+profile&" in str(start.url) or "scope=openid%20profile&" in str(start.url)
        back = sign_in(person, start, *DAVID)
        assert back.is_redirect and back.headers["location"].startswith(WEB_PORTAL.redirect_uri or "")
        result = person.get(back.headers["location"])
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert result.status_code == 200, f"{result.text[:1000]} {log[-2000:]}"
    body = result.json()
    assert body["signed_in"] == {"iss": standalone_sandbox.issuer, "sub": DAVID[0], "name": "David"}
    assert body["email"] == "david@example.com" and isinstance(body["auth_time"], int)


def _started(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """A program that prints the address a browser must open; returns it running, and that address."""
    proc = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("  http"):
            return proc, line.strip()
        assert line, f"the program ended without an address: {proc.communicate(timeout=10)}"
    proc.kill()
    pytest.fail("the program printed no address to open within 30 s")


def _finished(proc: subprocess.Popen[str], stdin: str | None = None) -> str:
    out, err = proc.communicate(stdin, timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert STATUS.findall(out) == ["200"], out[-2000:]
    return next(line for line in out.splitlines() if line.startswith("{"))


@pytest.mark.parametrize("sample", CURL_WEB, ids=_ids(CURL_WEB))
def test_curl_exchange_redeems_the_code_a_browser_brought_back_and_reads_david_s_customers(
    sample: Sample, standalone_sandbox: StandaloneSandbox, tmp_path: Path
) -> None:
    assert shutil.which("curl") and shutil.which("openssl"), "the curl program needs curl and openssl"
    env = _env(standalone_sandbox, WEB_PORTAL.client_secret)
    proc, address = _started(_command(sample, tmp_path, None), env)
    try:
        with httpx.Client(timeout=15) as person:  # the browser's half: sign in and allow
            back = sign_in(person, person.get(address), *DAVID)
        landed = back.headers["location"]
        assert landed.startswith(f"{WEB_PORTAL.redirect_uri}?code=")
        body = _finished(proc, landed + "\n")  # the app's half, done by curl
    finally:
        proc.kill()
    assert _rows(body) == DAVID_CUSTOMERS


@pytest.mark.parametrize("sample", LOOPBACK, ids=_ids(LOOPBACK))
def test_loopback_program_gets_the_browser_s_answer_on_its_port_and_reads_david_s_customers(
    sample: Sample, standalone_sandbox: StandaloneSandbox, tmp_path: Path
) -> None:
    redirect = urlsplit(CLI.redirect_uri or "")
    assert redirect.port and _port_is_free("127.0.0.1", redirect.port), f"port {redirect.port} is taken"
    # BROWSER=true: webbrowser runs `true <address>`, so no browser opens; the test plays the browser instead.
    env = {**_env(standalone_sandbox, None), "BROWSER": "true"}
    proc, address = _started(_command(sample, tmp_path, None), env)
    try:
        with httpx.Client(timeout=15) as browser:
            back = sign_in(browser, browser.get(address), *DAVID)
            landed = back.headers["location"]
            assert landed.startswith(f"{CLI.redirect_uri}?code=")
            page = browser.get(landed)  # to the program's own listener, over its loopback socket
        assert page.status_code == 200 and "close this window" in page.text
        body = _finished(proc)
    finally:
        proc.kill()
    assert _rows(body) == DAVID_CUSTOMERS


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ("?code=abc&state=not-the-one-sent", "The state does not match"),
        ("?error=access_denied&state={state}", "Sign-in refused: access_denied"),
    ],
    ids=["wrong-state", "error"],
)
def test_curl_exchange_refuses_an_answer_that_is_not_this_sign_in_s_code(
    answer: str, refusal: str, standalone_sandbox: StandaloneSandbox, tmp_path: Path
) -> None:
    env = _env(standalone_sandbox, WEB_PORTAL.client_secret)
    proc, address = _started(_command(CURL_WEB[0], tmp_path, None), env)
    state = dict(httpx.URL(address).params)["state"]
    out, err = proc.communicate(f"{WEB_PORTAL.redirect_uri}{answer.format(state=state)}\n", timeout=30)
    assert proc.returncode == 1 and refusal in err and "HTTP" not in out
