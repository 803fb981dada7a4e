"""Serve the sandbox identity service on a loopback port: ``python -m flowguide.sandbox --port 8600``."""

from __future__ import annotations

import argparse
import logging
import sys

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import Sandbox


class QuietRequestHandler(WSGIRequestHandler):
    """Logs method, path and status only: query strings carry codes and state, so they stay out of logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        sys.stderr.write(f"{self.address_string()} {self.command} {path} {code}\n")


def build_server(host: str = "127.0.0.1", port: int = 8600) -> tuple[Sandbox, BaseWSGIServer]:
    """A sandbox and a threaded WSGI server for it (port 0 picks a free one); call serve_forever()."""
    # The issuer names the bound port, so the server is made first and given the app afterwards.
    server = make_server(host, port, None, threaded=True, request_handler=QuietRequestHandler)  # type: ignore[arg-type]
    bound_port = server.server_port
    shown_host = f"[{host}]" if ":" in host else host
    sandbox = Sandbox(base_url=f"http://{shown_host}:{bound_port}")
    server.app = sandbox.wsgi_app
    return sandbox, server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flowguide.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8600, help="TCP port (default 8600; 0 picks a free one)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox, server = build_server(args.host, args.port)
    print(f"Sandbox identity service, issuer {sandbox.issuer}", flush=True)
    print(f"Discovery: {sandbox.issuer}/.well-known/openid-configuration", flush=True)
    print("Demo applications and users: see content/sandbox.yaml and the README. Ctrl+C stops.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
