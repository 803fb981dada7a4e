"""The sandbox's Profile site and Instance Manager token pages, and the API's side of reference tokens.

The product's pages are ``Profile Site -> Security -> Tokens`` (PATs, as the signed-in user) and
``Instance Manager Site -> Security -> Trusted Apps -> an app`` (PATs and SATs, administrators only);
here they answer JSON at ``/profile/security/tokens`` and
``/instance-manager/security/trusted-apps/<ApplicationUri>/tokens``. The sandbox's choice: instead of
a browser session on those sites, each request signs in with HTTP Basic (a demo login and password).
The API takes a token as ``Authorization: Bearer``, ``X-Api-Key`` or ``Api-Key``, one way per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from .reference_tokens import PREFIX, IssueRefused, ReferenceTokenRecord, ReferenceTokenStore, iso, well_formed
from .registry import User

if TYPE_CHECKING:
    from . import Sandbox

REALM = "DomainAPI"
# auth/tokens/reference-access-tokens.md, Usage: the API key headers (X-API-KEY is X-Api-Key: names ignore case).
API_KEY_HEADERS = ("X-Api-Key", "Api-Key")
SHOWN_ONCE = "Copy the token now and store it securely: it is not shown again."
PROFILE_PATH = "/profile/security/tokens"
MANAGER_PATH = "/instance-manager/security/trusted-apps/<path:client_id>/tokens"

pages = Blueprint("reference_tokens", __name__)


def _store() -> ReferenceTokenStore:
    return current_app.extensions["flowguide.sandbox"].reference_tokens


def _refused(status: int, code: str, message: str, realm: str | None = None) -> Response:
    # The identity service's error shape; not OData's {"code": ...}, whose key reads as an authorization code.
    response = jsonify(error=code, error_description=message)
    response.status_code = status
    if realm:
        response.headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
    return response


def _signed_in(realm: str) -> User | Response:
    """The demo user the request signs in as with HTTP Basic, or the 401 that asks for a sign-in."""
    given = request.authorization
    registry = current_app.extensions["flowguide.sandbox"].registry
    user = registry.user(given.username or "") if given and given.type == "basic" else None
    if user is None or not user.check_password(given.password or ""):  # type: ignore[union-attr]
        return _refused(401, "unauthorized", f"Sign in to the {realm} (HTTP Basic: a login and its password).", realm)
    return user


def _issued(record: ReferenceTokenRecord, value: str) -> Response:
    response = jsonify({"token": value, **record.listed(), "note": SHOWN_ONCE})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def _listed(records: list[ReferenceTokenRecord]) -> Response:
    return jsonify(tokens=[r.listed() for r in records])


@pages.errorhandler(IssueRefused)
def _refusal(error: IssueRefused) -> Response:
    return _refused(error.status, error.code, error.message)


@pages.route(PROFILE_PATH, methods=["GET", "POST"])
def profile_tokens() -> Response:
    user = _signed_in("Profile site")
    if isinstance(user, Response):
        return user
    store = _store()
    if request.method == "GET":
        return _listed(store.of_user(user.login))
    fields = request.form.to_dict()
    return _issued(*store.issue_pat(user, fields.get("trusted_application", ""), fields))


@pages.delete(f"{PROFILE_PATH}/<token_id>")
def profile_revoke(token_id: str) -> Response:
    user = _signed_in("Profile site")
    if isinstance(user, Response):
        return user
    store = _store()
    return jsonify(store.revoke(token_id, store.of_user(user.login), user.login).listed())


def _administrator() -> User | Response:
    user = _signed_in("Instance Manager")
    if isinstance(user, User) and not user.is_admin:
        return _refused(403, "forbidden", "Only administrators can open the Instance Manager.")
    return user


@pages.route(MANAGER_PATH, methods=["GET", "POST"])
def manager_tokens(client_id: str) -> Response:
    admin = _administrator()
    if isinstance(admin, Response):
        return admin
    store = _store()
    store.application(client_id)
    if request.method == "GET":
        return _listed(store.of_application(client_id))
    return _issued(*store.issue_sat(admin, client_id, request.form.to_dict()))


@pages.delete(f"{MANAGER_PATH}/<token_id>")
def manager_revoke(client_id: str, token_id: str) -> Response:
    admin = _administrator()
    if isinstance(admin, Response):
        return admin
    store = _store()
    return jsonify(store.revoke(token_id, store.of_application(client_id), admin.login).listed())


def register_reference_tokens(app: Flask) -> None:
    app.register_blueprint(pages)


# --- the API's side ---------------------------------------------------------------------------------


def _presented() -> str | None:
    """The reference token a request carries, or None when it carries none (a JWT goes its own way)."""
    keys = [value for name in API_KEY_HEADERS for value in request.headers.getlist(name)]
    authorization = request.headers.get("Authorization")
    if keys and authorization is not None:
        raise InvalidRequestError("Use only one method per request: Authorization or an API key header, not both.")
    if len(keys) > 1:
        raise InvalidRequestError("Send one API key header, once.")
    if keys:
        if not keys[0].strip().startswith(PREFIX):
            raise InvalidTokenError(
                description="An API key header carries a reference token (enrt_...); "
                "send an OAuth access token as Authorization: Bearer.",
                realm=REALM,
            )
        return keys[0].strip()
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip().startswith(PREFIX):
        return value.strip()
    return None


def reference_access(sandbox: Sandbox, scope: str) -> dict[str, object] | None:
    """The claims a reference token on this request stands for, None without one; refusals raise RFC 6750 errors."""
    value = _presented()
    if value is None:
        return None
    if not well_formed(value):
        raise InvalidTokenError(description="This is not a reference token: enrt_ and 64 hex digits.", realm=REALM)
    store = sandbox.reference_tokens
    with sandbox.state.lock:
        record = store.find(value)
        problem = store.refusal(record)
        if problem or record is None:
            raise InvalidTokenError(description=problem, realm=REALM)
        if scope not in record.scopes:
            error = InsufficientScopeError(
                description=f"This request needs the {scope!r} scope; the token has {' '.join(record.scopes)!r}."
            )
            error.needed_scope = scope  # type: ignore[attr-defined]
            raise error
        record.last_used_at = sandbox.clock.now()
    who = "sub" if record.kind == "PAT" else "client_system_user"
    return {
        "client_id": record.client_id,
        who: record.acts_as,
        "jti": f"{record.kind}-{record.id}",
        "scope": list(record.scopes),
        "exp": record.expires_at,
        "last_used": iso(record.last_used_at or 0),
    }
