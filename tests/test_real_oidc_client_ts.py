"""oidc-client-ts (npm, the library auth/client-libraries.md recommends for SPAs) in Chromium, as com.example/spa.

A tiny static server on http://localhost:5173 (the SPA's registered redirect origin) serves
tests/oidc/spa.html, the library's own browser build from node_modules
(``oidc-client-ts/dist/browser/oidc-client-ts.min.js``, no bundling) and /config.json naming the
standalone sandbox. Chromium presses Sign in (``UserManager.signinRedirect``: discovery, PKCE, the
redirect), signs in as David on the sandbox's pages, presses Allow, and the callback page runs
``signinRedirectCallback`` (the token request through CORS) and then ``fetch``es
``GET /api/domain/odata/Crm_Sales_Customers?$top=10`` with the bearer token (CORS again, with a preflight).
One run per module; each stage is its own test.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fixtures.demo import DAVID, DAVID_CUSTOMERS, SPA, StandaloneSandbox
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytest_plugins = ["fixtures.real_sandbox"]
pytestmark = pytest.mark.browser

SPA_ORIGIN = "http://localhost:5173"
SPA_PORT = 5173
PAGE = Path(__file__).resolve().parent / "oidc" / "spa.html"


def _static_server(files: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            found = files.get(self.path.split("?", 1)[0])
            if self.path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            if found is None:
                self.send_error(404)
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet: the callback's query holds a code
            pass

    class Server(ThreadingHTTPServer):
        # Lets a rerun bind while the last run's connections sit in TIME_WAIT; on Linux a port another
        # socket still listens on is refused all the same.
        allow_reuse_address = True
        daemon_threads = True

    try:
        return Server(("127.0.0.1", SPA_PORT), Handler)
    except OSError as error:
        pytest.fail(
            f"port {SPA_PORT} on 127.0.0.1 is taken ({error}); the SPA's registered redirect URI is "
            f"{SPA.redirect_uri}, so this test must serve {SPA_ORIGIN} itself. Stop whatever listens there."
        )


def _nothing_else_on_ipv6_loopback() -> None:
    # Chromium may try ::1 first for localhost; another server there would answer in our place.
    try:
        with socket.create_connection(("::1", SPA_PORT), timeout=0.5):
            pass
    except OSError:
        return
    pytest.fail(f"something listens on [::1]:{SPA_PORT} and would answer for {SPA_ORIGIN}; stop it")


@pytest.fixture(scope="module")
def spa_site(node_modules: Path, standalone_sandbox: StandaloneSandbox) -> Iterator[str]:
    """http://localhost:5173 serving the SPA, the library's browser build and the sandbox's addresses."""
    build = node_modules / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
    assert build.is_file(), f"oidc-client-ts no longer ships {build.relative_to(node_modules)}"
    config = {"authority": standalone_sandbox.issuer, "api": f"{standalone_sandbox.customers_url}?$top=10"}
    page = ("text/html; charset=utf-8", PAGE.read_bytes())
    files = {
        "/": page,
        "/callback": page,
        "/oidc-client-ts.min.js": ("text/javascript; charset=utf-8", build.read_bytes()),
        "/config.json": ("application/json", json.dumps(config).encode()),
    }
    _nothing_else_on_ipv6_loopback()
    server = _static_server(files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SPA_ORIGIN
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def spa_run(chromium, spa_site: str, standalone_sandbox: StandaloneSandbox) -> dict:
    """The whole sign-in in one tab; what each stage reached, the page's #result and the console."""
    context = chromium.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    run: dict = {"console": console, "reached_sign_in": False, "result": {}}
    try:
        page.goto(f"{spa_site}/")
        page.click("#sign-in:enabled")
        try:
            page.wait_for_url(f"{standalone_sandbox.authorization_endpoint}?**", timeout=5_000)
        except PlaywrightTimeoutError:
            run["result"] = json.loads(page.text_content("#result") or "{}")
            return run
        run["reached_sign_in"] = True
        run["authorize_url"] = page.url
        page.fill("input[name=username]", DAVID[0])
        page.fill("input[name=password]", DAVID[1])
        page.click("form:has(input[name=password]) [type=submit]")
        page.click("button[name=decision][value=allow]")
        try:
            page.wait_for_selector("body[data-done=yes]", timeout=10_000)
        except PlaywrightTimeoutError:
            run["stuck_at"] = page.url
            return run
        run["landed"] = page.url
        run["result"] = json.loads(page.text_content("#result") or "{}")
        return run
    finally:
        context.close()


def test_sign_in_redirects_to_the_sandbox_with_pkce(spa_run: dict) -> None:
    # signinRedirect reads discovery from another origin first, so it needs the sandbox's CORS.
    assert spa_run["reached_sign_in"], f"no redirect to the sign-in page: {spa_run['result']} {spa_run['console']}"
    url = spa_run["authorize_url"]
    for part in ("client_id=com.example%2Fspa", "response_type=code", "code_challenge_method=S256", "state="):
        assert part in url, url
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A5173%2Fcallback" in url


def test_callback_gets_tokens_through_cors(spa_run: dict) -> None:
    assert spa_run.get("landed", "").startswith(SPA.redirect_uri), spa_run
    result = spa_run["result"]
    assert result.get("has_access_token"), f"{result} {spa_run['console']}"
    assert result["token_type"] == "Bearer" and result["scope"] == "read"
    assert 3500 < result["expires_in"] <= 3600


def test_api_call_with_the_bearer_token_answers_200(spa_run: dict) -> None:
    result = spa_run["result"]
    assert result.get("stage") == "done", f"{result} {spa_run['console']}"
    assert result["api_status"] == 200 and result["rows"] == DAVID_CUSTOMERS
