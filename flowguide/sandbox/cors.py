"""Cross-origin calls from browser apps (the Fetch standard's CORS protocol), as the product's identity server has it.

Duende IdentityServer answers CORS only on the endpoints a browser app fetches (discovery, JWKS,
token, userinfo) and only for an allowed origin; here the allowed origins are those of the Trusted
Applications' registered redirect URIs (``ImpersonateLoginUrl``). The Domain API under
``/api/domain/odata/`` follows the same list. An allowed origin is echoed, never ``*``, and
credentials are never allowed; any other origin gets no CORS header at all. The authorize endpoint,
the sign-in pages and end session are browser navigations, so they are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from .routes import SANDBOX_EXTENSION

if TYPE_CHECKING:
    from . import Sandbox

IDENTITY_PATHS = frozenset(
    {
        "/id/.well-known/openid-configuration",
        "/id/.well-known/openid-configuration/jwks",
        "/id/connect/token",
        "/id/connect/userinfo",
    }
)
API_PREFIX = "/api/domain/odata/"
# What the endpoints serve: discovery and JWKS are GET, token is POST, userinfo and the API take both.
ALLOWED_METHODS = "GET, POST"
# Authorization carries the bearer token or HTTP Basic; the others are the ones an OData client sends.
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, OData-Version, OData-MaxVersion, Prefer, If-Match"
# A script may read the bearer challenge of a refusal and where a created row lives (RFC 6750 §3; OData).
EXPOSED_HEADERS = "WWW-Authenticate, Location"
# Ten minutes: long enough to save round trips, short enough that a changed registry shows soon.
PREFLIGHT_MAX_AGE = "600"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(uri: str) -> str | None:
    """The origin (RFC 6454 §4) of an http or https URI, serialised as a browser sends it; None for others."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        return None  # an unreadable port is no origin a browser could send
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None  # a custom-scheme redirect (a native app) has no web origin
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    shown_port = "" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{shown_port}"


def allowed_origins(redirect_uris: Iterable[str]) -> frozenset[str]:
    """The origins of the given redirect URIs, each once."""
    return frozenset(o for o in map(origin_of, redirect_uris) if o)


def sandbox_origins(sandbox: Sandbox) -> frozenset[str]:
    """Every Trusted Application's redirect-URI origins, disabled ones too, so a browser can read its refusal."""
    return allowed_origins(u for app in sandbox.registry.trusted_applications for u in app.login_redirect_uris)


def covers(path: str) -> bool:
    """Whether a path is one a browser app fetches from script (the others are navigations)."""
    return path in IDENTITY_PATHS or path.startswith(API_PREFIX)


def _allowed_origin() -> str | None:
    # The environ is where Werkzeug reads the Origin header from; a lookup there raises nothing when it is absent.
    origin = request.environ.get("HTTP_ORIGIN")
    if not origin or not covers(request.path):
        return None
    sandbox: Sandbox = current_app.extensions[SANDBOX_EXTENSION]
    return origin if origin in sandbox_origins(sandbox) else None


def answer_preflight() -> Response | None:
    """A CORS preflight (OPTIONS with Access-Control-Request-Method) on a covered path, answered here."""
    if request.method != "OPTIONS" or "HTTP_ACCESS_CONTROL_REQUEST_METHOD" not in request.environ:
        return None
    if not covers(request.path):
        return None
    response = Response(status=204)
    if _allowed_origin():
        # The origin itself is added by add_cors_headers, as on every other answer.
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def add_cors_headers(response: Response) -> Response:
    """Echo an allowed origin; say that the answer depends on Origin, so a cache keeps them apart."""
    if not covers(request.path):
        return response
    _vary_on_origin(response)
    origin = _allowed_origin()
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.path.startswith(API_PREFIX) and request.method != "OPTIONS":
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def _vary_on_origin(response: Response) -> None:
    """``response.vary.add("Origin")``, without parsing a Vary header into a set when the answer has none."""
    if response.headers.getlist("Vary"):
        response.vary.add("Origin")
    else:
        response.headers["Vary"] = "Origin"


def register_cors(app: Flask) -> None:
    """Install the preflight answer and the response headers as app-level hooks."""
    app.before_request(answer_preflight)
    app.after_request(add_cors_headers)
