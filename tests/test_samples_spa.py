"""Every browser program /guide can show signs David in with oidc-client-ts in Chromium and reaches the API's 200.

Each distinct ``spa.html`` that some set of guide answers leads to (tests/test_samples_run.py's walk, the
demo SPA com.example/spa in the visitor's place and the sandbox's issuer written in) is served as it is
from http://localhost:5173 (the SPA's registered redirect origin), at ``/`` and at ``/callback``. The page
loads the library from the CDN address it names, with its Subresource Integrity hash; the test answers
that address with the same version's file from tests/oidc/node_modules, so the hash is checked too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.demo import DAVID, DAVID_CUSTOMERS, SPA, StandaloneSandbox
from test_real_oidc_client_ts import SPA_ORIGIN, _nothing_else_on_ipv6_loopback, _static_server
from test_samples_run import CDN_SCRIPT, STATUS, generated

from flowguide.samples import Sample

pytest_plugins = ["fixtures.real_sandbox"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def spa_programs(standalone_sandbox: StandaloneSandbox) -> list[Sample]:
    return [s for s in generated("spa", standalone_sandbox.issuer) if s.id == "browser_spa"]


@pytest.fixture(scope="module")
def sign_in_only_programs(standalone_sandbox: StandaloneSandbox) -> list[Sample]:
    return [s for s in generated("spa", standalone_sandbox.issuer) if s.id == "browser_sign_in_only"]


def test_the_walk_finds_the_spa_with_and_without_a_refresh_token(
    spa_programs: list[Sample], sign_in_only_programs: list[Sample], standalone_sandbox: StandaloneSandbox
) -> None:
    assert {s.id for s in generated("spa", standalone_sandbox.issuer)} == {"browser_spa", "browser_sign_in_only"}
    assert len(spa_programs) == 2  # the demo SPA may not have update, so only offline_access varies
    assert len(sign_in_only_programs) == 1  # openid profile, whatever else was answered
    assert all(CDN_SCRIPT in s.code for s in spa_programs + sign_in_only_programs)


@pytest.fixture(scope="module")
def library(node_modules: Path) -> bytes:
    version = json.loads((node_modules / "oidc-client-ts" / "package.json").read_text())["version"]
    assert f"oidc-client-ts@{version}/" in CDN_SCRIPT, "the sample names another version than the tests install"
    return (node_modules / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js").read_bytes()


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, tuple[str, bytes]]]:
    """http://localhost:5173 serving whatever page the test puts in the returned table."""
    files: dict[str, tuple[str, bytes]] = {}
    _nothing_else_on_ipv6_loopback()
    server = _static_server(files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield files
    finally:
        server.shutdown()
        server.server_close()


def _sign_in(chromium, library: bytes, standalone_sandbox: StandaloneSandbox) -> tuple[str, list[str]]:
    context = chromium.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    headers = {"content-type": "text/javascript", "access-control-allow-origin": "*"}
    context.route(CDN_SCRIPT, lambda route: route.fulfill(status=200, body=library, headers=headers))
    try:
        page.goto(f"{SPA_ORIGIN}/")
        page.click("#sign-in")
        page.wait_for_url(f"{standalone_sandbox.authorization_endpoint}?**", timeout=10_000)
        page.fill("input[name=username]", DAVID[0])
        page.fill("input[name=password]", DAVID[1])
        page.click("form:has(input[name=password]) [type=submit]")
        page.click("button[name=decision][value=allow]")
        # Allow navigates away from the consent page: until the app's page is back there is no #result.
        page.wait_for_url(f"{SPA_ORIGIN}/**", timeout=15_000)
        page.wait_for_function("(document.getElementById('result')?.textContent ?? '') !== ''", timeout=15_000)
        assert page.url == SPA.redirect_uri, "the code leaves the address bar"
        return page.text_content("#result") or "", console
    finally:
        context.close()


@pytest.mark.parametrize("n", [0, 1])
def test_spa_program_signs_david_in_and_reads_his_customers(
    n: int, spa_programs: list[Sample], served: dict, library: bytes, chromium, standalone_sandbox: StandaloneSandbox
) -> None:
    page = ("text/html; charset=utf-8", spa_programs[n].code.encode())
    served.update({"/": page, "/callback": page})
    result, console = _sign_in(chromium, library, standalone_sandbox)
    assert STATUS.findall(result) == ["200"], f"{result} {console}"
    body = result.split("\n", 1)[1]
    assert [row["Number"] for row in json.loads(body)["value"]] == DAVID_CUSTOMERS


def test_sign_in_only_browser_program_learns_who_david_is(
    sign_in_only_programs: list[Sample], served: dict, library: bytes, chromium, standalone_sandbox: StandaloneSandbox
) -> None:
    (program,) = sign_in_only_programs
    assert "/api/" not in program.code
    page = ("text/html; charset=utf-8", program.code.encode())
    served.update({"/": page, "/callback": page})
    result, console = _sign_in(chromium, library, standalone_sandbox)
    assert json.loads(result) == {
        "iss": standalone_sandbox.issuer,
        "sub": DAVID[0],
        "name": "David",  # from userinfo: the sandbox's ID tokens carry no profile
        "email": "david@example.com",
    }, console
