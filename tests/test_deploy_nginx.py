"""deploy/nginx.conf: nginx accepts it, and its cookie keeps a visitor on one replica until that one is down.

Debian's nginx (/usr/sbin/nginx) runs from its own prefix folder on loopback ports, in front of two small
HTTP servers that answer with their own name. Without nginx the tests skip, except with CI=true.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from loadtest import nginx
from loadtest.procs import free_port, stop

COOKIE = "flowguide_affinity"


@pytest.fixture(scope="module", autouse=True)
def nginx_installed() -> None:
    if not Path(nginx.NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{nginx.NGINX} is missing, and the deploy tests must run in CI")
        pytest.skip(f"{nginx.NGINX} not installed (apt-get install nginx)")


def test_nginx_accepts_the_configuration_as_shipped(tmp_path: Path) -> None:
    nginx.write(tmp_path, nginx.TEMPLATE.read_text())
    checked = nginx.check(tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_accepts_it_rendered_for_three_replicas(tmp_path: Path) -> None:
    text = nginx.render(9399, [9301, 9302, 9303])
    assert [line.split()[1] for line in text.splitlines() if line.strip().startswith("server 127.")] == [
        "127.0.0.1:9301",
        "127.0.0.1:9302",
        "127.0.0.1:9303",
    ]
    assert "listen 127.0.0.1:9399;" in text and "X-Flowguide-Replica" not in text
    nginx.write(tmp_path, text)
    checked = nginx.check(tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_nginx_refuses_a_broken_configuration(tmp_path: Path) -> None:
    # The check above can fail: the same file without its last closing brace is refused.
    nginx.write(tmp_path, nginx.render(9399, [9301]).rstrip().removesuffix("}"))
    checked = nginx.check(tmp_path)
    assert checked.returncode != 0
    assert "unexpected end of file" in checked.stderr


class Named(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def serve(name: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Named)
    server.name = name  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def balanced(tmp_path: Path) -> Iterator[tuple[str, dict[str, ThreadingHTTPServer]]]:
    replicas = {"a": serve("a"), "b": serve("b")}
    listen = free_port()
    nginx.write(tmp_path, nginx.render(listen, [s.server_address[1] for s in replicas.values()]))
    proc = nginx.start(tmp_path)
    base = f"http://127.0.0.1:{listen}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, replicas
    finally:
        stop(proc)
        for server in replicas.values():
            server.shutdown()
            server.server_close()


def test_a_visitor_stays_on_one_replica_and_moves_when_it_is_down(balanced) -> None:
    base, replicas = balanced
    first = httpx.get(base, timeout=5)
    key = first.cookies.get(COOKIE)
    assert key and len(key) == 32, "nginx set no affinity cookie"
    answers = {httpx.get(base, cookies={COOKIE: key}, timeout=5).text for _ in range(20)}
    assert answers == {first.text}
    # A visitor with the cookie is not given another one.
    assert COOKIE not in httpx.get(base, cookies={COOKIE: key}, timeout=5).cookies
    # Visitors without a cookie are spread over both replicas.
    assert {httpx.get(base, timeout=5).text for _ in range(40)} == {"a", "b"}
    # The visitor's replica goes down: the next request lands on the other, and stays there.
    replicas[first.text].shutdown()
    replicas[first.text].server_close()
    other = {"a": "b", "b": "a"}[first.text]
    assert {httpx.get(base, cookies={COOKIE: key}, timeout=10).text for _ in range(5)} == {other}


def test_a_cookie_that_is_not_nginx_s_own_is_replaced(balanced) -> None:
    base, _ = balanced
    answer = httpx.get(base, cookies={COOKIE: "../../etc"}, timeout=5)
    assert len(answer.cookies.get(COOKIE, "")) == 32
