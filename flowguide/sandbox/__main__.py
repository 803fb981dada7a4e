"""Serve the sandbox identity service on a loopback port: ``python -m flowguide.sandbox --port 8600``.

Loopback unless told otherwise, loudly: any other address needs ``--allow-remote`` and prints a
warning (the demo secrets are published, and this is Werkzeug's development server). Behind a name
(a reverse proxy, a container's published port) ``--issuer`` gives the issuer that clients use.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import Sandbox
from .registry import default_registry

PROG = "python -m flowguide.sandbox"
ISSUER_EXAMPLE = "https://sandbox.example.com/id"
REMOTE_WARNING = """\
WARNING: the sandbox listens on {host}, which other machines can reach.
WARNING: its demo client secrets and passwords are published in the Flow Guide README, so anyone who
WARNING: reaches it can sign in as its users, and it runs Werkzeug's development server, which is not
WARNING: made to face the internet. Serve it only on a network you trust, and stop it when done."""


class QuietRequestHandler(WSGIRequestHandler):
    """Logs method, path and status only: query strings carry codes and state, so they stay out of logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        sys.stderr.write(f"{self.address_string()} {self.command} {path} {code}\n")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach the address (127.0.0.0/8, ::1 or the name localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other name may resolve to an address others reach


def is_wildcard(host: str) -> bool:
    """Whether the address means every interface (0.0.0.0 or ::), which names no host a client could use."""
    try:
        return host == "" or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def issuer_problem(issuer: str) -> str | None:
    """Why an --issuer value cannot be this sandbox's issuer, or None."""
    parts = urlsplit(issuer)
    # The routes are at /id on the root of the name, so the issuer is that name plus /id and nothing else.
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path != "/id":
        return f"--issuer must be an http or https URL whose path is /id, such as {ISSUER_EXAMPLE}."
    if parts.query or parts.fragment or parts.username is not None or issuer.endswith(("?", "#")):
        return f"--issuer must have no query, fragment or user name, such as {ISSUER_EXAMPLE}."
    return None


def refusal(host: str, allow_remote: bool, issuer: str | None) -> str | None:
    """The one sentence that refuses these options, or None when they may be served."""
    if not is_loopback(host) and not allow_remote:
        return (
            f"--host {host} lets other machines reach a sandbox whose secrets are published; "
            "add --allow-remote if that is what you mean."
        )
    if issuer is not None:
        return issuer_problem(issuer)
    if is_wildcard(host):
        return (
            f"--host {host or '(empty)'} listens on every interface, so no one address names the sandbox: "
            f"add --issuer with the URL clients use, such as {ISSUER_EXAMPLE}."
        )
    return None


def build_server(
    host: str = "127.0.0.1", port: int = 8600, issuer: str | None = None, license_slots: int | None = None
) -> tuple[Sandbox, BaseWSGIServer]:
    """A sandbox and a threaded WSGI server for it (port 0 picks a free one); call serve_forever()."""
    # The issuer names the bound port, so the server is made first and given the app afterwards.
    server = make_server(host, port, None, threaded=True, request_handler=QuietRequestHandler)  # type: ignore[arg-type]
    if issuer is not None:
        base_url = issuer.removesuffix("/id")
    else:
        shown_host = f"[{host}]" if ":" in host else host
        base_url = f"http://{shown_host}:{server.server_port}"
    registry = default_registry()
    slots = license_slots if license_slots is not None else registry.sessions.standalone_license_slots
    sandbox = Sandbox(base_url=base_url, registry=registry, license_slots=slots)
    server.app = sandbox.wsgi_app
    return sandbox, server


def _port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (0 to 65535)")
    return int(value)


def _license_slots(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 10_000:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of licence slots (1 to 10000)")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback)")
    parser.add_argument("--port", type=_port, default=8600, help="TCP port (default 8600; 0 picks a free one)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other machines can reach (prints a warning: the demo secrets are published)",
    )
    parser.add_argument(
        "--issuer",
        help=f"the issuer clients use when the sandbox is served behind a name, e.g. {ISSUER_EXAMPLE} "
        "(default: http://HOST:PORT/id; required with --host 0.0.0.0 or ::)",
    )
    parser.add_argument(
        "--license-slots",
        type=_license_slots,
        help="how many sessions may be open at once, each holding a licence slot "
        f"(default: {default_registry().sessions.standalone_license_slots}, content/sandbox.yaml's "
        "sessions.standalone_license_slots)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = refusal(args.host, args.allow_remote, args.issuer)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Werkzeug itself answers an address it cannot bind with one line and exit code 1.
    sandbox, server = build_server(args.host, args.port, args.issuer, args.license_slots)
    if not is_loopback(args.host):
        print(REMOTE_WARNING.format(host=args.host or "every interface"), file=sys.stderr, flush=True)
    print(
        f"Sandbox identity service on {args.host or '*'} port {server.server_port}, issuer {sandbox.issuer}", flush=True
    )
    print(f"Discovery: {sandbox.issuer}/.well-known/openid-configuration", flush=True)
    slots = sandbox.state.sessions.slots
    print(
        f"Licence slots: {slots} (a session holds one from its first API call; --license-slots changes it)", flush=True
    )
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
