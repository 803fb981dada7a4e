"""The sandbox identity service as a Flask WSGI app (the thin framework layer, as in Authlib's flask_oauth2).

``create_app`` builds the app for one sandbox: its authorization server (``authorization_server``,
RFC 6749 with Authlib), the identity routes (``routes``, a blueprint under ``/id``) and the Domain
API (``api``, RFC 6750 bearer tokens), with CORS for browser apps (``cors``) and a body limit
(``limits``) as app-level hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask

from .api import register_api
from .authorization_server import SandboxAuthorizationServer
from .cors import register_cors
from .limits import register_limits
from .reference_routes import register_reference_tokens
from .routes import SANDBOX_EXTENSION, SERVER_EXTENSION, identity

if TYPE_CHECKING:
    from . import Sandbox


# Werkzeug compiles each route with Python's ast, which CPython 3.11 before 3.11.8 cannot do in two
# threads at once (gh-106905: "AST constructor recursion depth mismatch"): visitors' sessions open together.
BUILD_LOCK = threading.Lock()


class _SandboxFlask(Flask):
    """Flask, remembering which views and hooks are plain functions rather than asking inspect on every call."""

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._plain: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._plain:
                return func
        except TypeError:  # an unhashable callable is asked about each time
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func and len(self._plain) < _PLAIN_KEPT:
            self._plain.add(func)
        return wrapped


# Views, hooks and error handlers number a few dozen; a bound method is a new object each time it is read.
_PLAIN_KEPT = 256


def create_app(sandbox: Sandbox) -> Flask:
    """The WSGI application of one sandbox, built by one thread at a time."""
    with BUILD_LOCK:
        return _build_app(sandbox)


def _build_app(sandbox: Sandbox) -> Flask:
    app = _SandboxFlask("flowguide.sandbox")
    app.json.sort_keys = False  # keep claims and rows in the order a reader expects
    app.extensions[SANDBOX_EXTENSION] = sandbox
    app.extensions[SERVER_EXTENSION] = SandboxAuthorizationServer(sandbox)
    # CORS first: a preflight is answered before any other hook looks at the request.
    register_cors(app)
    register_limits(app)
    app.register_blueprint(identity)
    register_api(app, sandbox)
    register_reference_tokens(app)
    return app
