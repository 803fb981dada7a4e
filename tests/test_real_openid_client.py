"""openid-client (npm, v6) against the standalone sandbox over real sockets, one check per line.

tests/oidc/real_openid_client.mjs runs discovery, Authorization Code + PKCE for the confidential web
portal and the public SPA (the ID token validated by the library, its signature included), userinfo,
refresh (rotation, ID token, a narrowed scope, a wider one refused), Client Credentials with
client_secret_basic and client_secret_post, and the hybrid ``code id_token`` with ``form_post``.
It prints ``ok <check>: ...`` or ``not ok <check>: <error>``; each check is a test here.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from fixtures.demo import StandaloneSandbox

pytest_plugins = ["fixtures.real_sandbox"]

SCRIPT = "real_openid_client.mjs"
LINE = re.compile(r"^(ok|not ok) (\w+): (.*)$")


CHECKS = [
    "discovery",
    "web_portal_authorization_code",
    "web_portal_api",
    "web_portal_userinfo",
    "web_portal_refresh",
    "web_portal_refresh_id_token",
    "web_portal_refresh_narrowed_scope",
    "web_portal_refresh_wider_scope_refused",
    "spa_authorization_code",
    "client_credentials",
    "hybrid_form_post",
]


@pytest.fixture(scope="module")
def openid_client_lines(node_modules, standalone_sandbox: StandaloneSandbox) -> dict[str, tuple[bool, str]]:
    node = shutil.which("node")
    assert node
    run = subprocess.run(
        [node, SCRIPT, standalone_sandbox.issuer],
        cwd=node_modules.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"{SCRIPT} failed: {run.stderr[-2000:]}"
    lines = {}
    for line in run.stdout.splitlines():
        found = LINE.match(line)
        if found:
            lines[found.group(2)] = (found.group(1) == "ok", found.group(3))
    return lines


def test_every_check_ran(openid_client_lines: dict[str, tuple[bool, str]]) -> None:
    assert set(openid_client_lines) == set(CHECKS)


@pytest.mark.parametrize("check", CHECKS)
def test_openid_client(openid_client_lines: dict[str, tuple[bool, str]], check: str) -> None:
    assert check in openid_client_lines, f"{SCRIPT} printed no line for {check}"
    passed, detail = openid_client_lines[check]
    assert passed, f"{check}: {detail}"
