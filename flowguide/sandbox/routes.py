"""The identity service's HTTP routes as a Flask blueprint under ``/id``, the product's paths.

Discovery (OpenID Connect Discovery 1.0 §4), JWKS (RFC 7517), authorize (RFC 6749 §3.1) with its
sign-in and consent pages, token (RFC 6749 §3.2), userinfo (OpenID Connect Core §5.3) and end
session (OpenID Connect RP-Initiated Logout 1.0). The routes stay thin: Authlib's authorization
server and the sandbox's grants decide.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from flask import Blueprint, Response, current_app, jsonify, request

from . import pages
from .authorization_server import SandboxAuthorizationServer, StoredAuthorizationRequest
from .errors import HTTPS_REQUIRED
from .models import SignIn
from .sessions import sid_of_id_token_hint

if TYPE_CHECKING:
    from . import Sandbox

SANDBOX_EXTENSION = "flowguide.sandbox"
SERVER_EXTENSION = "flowguide.sandbox.authorization_server"
PUBLISHED_EXTENSION = "flowguide.sandbox.published"

identity = Blueprint("identity", __name__, url_prefix="/id")


def _sandbox() -> Sandbox:
    return current_app.extensions[SANDBOX_EXTENSION]


def _server() -> SandboxAuthorizationServer:
    return current_app.extensions[SERVER_EXTENSION]


def _html(body: str, status: int = 200, redirect_uri: str | None = None) -> Response:
    return Response(body, status=status, headers=pages.html_headers(redirect_uri))


def _refuse(error: str, description: str) -> Response:
    return _html(pages.error_page(error, description), status=400)


def _authorize_error(error: OAuth2Error, oauth_request: OAuth2Request) -> Response:
    if error.redirect_uri:  # the client and redirect URI are trusted: RFC 6749 §4.1.2.1
        return _server().handle_error_response(oauth_request, error)
    return _refuse(error.error, error.get_error_description())


def _published(name: str, make: Callable[[], Any], *made_from: object) -> Response:
    """A published JSON document, serialised once and again only when what it is made from is replaced."""
    held = current_app.extensions.setdefault(PUBLISHED_EXTENSION, {}).get(name)
    if held is None or any(now is not then for now, then in zip(made_from, held[0], strict=True)):
        held = (made_from, jsonify(make()).get_data())
        current_app.extensions[PUBLISHED_EXTENSION][name] = held
    return current_app.response_class(held[1], mimetype=current_app.json.mimetype)


# The endpoints a browser shows; the others (token, userinfo) are called by applications and answer JSON.
_PAGE_ENDPOINTS = {"identity.authorize", "identity.consent"}


@identity.errorhandler(InsecureTransportError)
def plain_http(_error: InsecureTransportError) -> Response:
    """Authlib refuses plain http off loopback before reading the request: a 400, never a stack trace."""
    if request.endpoint in _PAGE_ENDPOINTS:
        # Nothing is validated yet, so the redirect URI is not trusted (RFC 6749 §4.1.2.1): the user sees a page.
        return _refuse("invalid_request", HTTPS_REQUIRED)
    response = jsonify(error="invalid_request", error_description=HTTPS_REQUIRED)
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1, as for every token response
    return response


@identity.get("/.well-known/openid-configuration")
def discovery() -> Response:
    sandbox = _sandbox()
    return _published("discovery", sandbox.discovery, sandbox.registry, sandbox.issuer)


@identity.get("/.well-known/openid-configuration/jwks")
def jwks() -> Response:
    sandbox = _sandbox()
    return _published("jwks", sandbox.jwks, sandbox.signing_key)


@identity.get("/connect/authorize")
def authorize() -> Response:
    oauth_request = _server().create_oauth2_request(None)
    try:
        grant = _server().get_consent_grant(request=oauth_request, end_user=None)
    except OAuth2Error as error:
        return _authorize_error(error, oauth_request)
    client = grant.request.client
    sandbox = _sandbox()
    uri = f"{sandbox.issuer}/connect/authorize?{request.query_string.decode('latin-1')}"
    pending = sandbox.state.add_pending(
        list(request.args.items(multi=True)), client.get_client_id(), grant.request.scope, uri
    )
    return _html(pages.sign_in_page(pending.request_id, client.get_client_id(), client.app.Description))


@identity.post("/account/login")
def login() -> Response:
    sandbox = _sandbox()
    pending = sandbox.state.find_pending(request.form.get("request_id"))
    if pending is None:
        return _refuse(
            "invalid_request", "This sign-in page expired or was already used. Start again from the application."
        )
    client = _server().query_sandbox_client(pending.client_id)
    assert client is not None
    username = request.form.get("username", "")
    user = sandbox.registry.user(username)
    problem = client.refusal_of_sign_in(user, request.form.get("password", ""))
    if problem or user is None:
        page = pages.sign_in_page(pending.request_id, pending.client_id, client.app.Description, problem, username)
        return _html(page)
    pending.sign_in = SignIn(user, secrets.token_hex(16).upper(), sandbox.clock.now())
    words = sandbox.registry.consent_words()
    page = pages.consent_page(pending.request_id, pending.client_id, user.name, pending.scope.split(), words)
    # Allow or Deny ends in a redirect to the application, which the page's form-action must allow.
    return _html(page, redirect_uri=dict(pending.query).get("redirect_uri"))


@identity.post("/connect/consent")
def consent() -> Response:
    sandbox = _sandbox()
    state = sandbox.state
    with state.lock:
        pending = state.find_pending(request.form.get("request_id"))
        if pending is None or pending.sign_in is None:
            return _refuse(
                "invalid_request",
                "This consent page expired or was already answered. Start again from the application.",
            )
        del state.pending[pending.request_id]
    uri = pending.uri or f"{sandbox.base_url}/id/connect/authorize?{urlencode(pending.query)}"
    stored = StoredAuthorizationRequest(uri, pending.query)
    server = _server()
    try:
        grant = server.get_consent_grant(request=stored, end_user=pending.sign_in)
    except OAuth2Error as error:
        return _authorize_error(error, stored)
    grant_user = pending.sign_in if request.form.get("decision") == "allow" else None
    return server.create_authorization_response(request=stored, grant_user=grant_user, grant=grant)


@identity.post("/connect/token")
def token() -> Response:
    with _sandbox().state.lock:
        response = _server().create_token_response()
    # RFC 6749 §5.1: token responses are never cached.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@identity.route("/connect/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    # OpenID Connect Core §5.3.1: GET or POST with the access token as a bearer token (RFC 6750).
    response = _server().create_endpoint_response("userinfo")
    response.headers["Cache-Control"] = "no-store"
    return response


@identity.get("/connect/endsession")
def end_session() -> Response:
    sandbox = _sandbox()
    # auth/sessions/session-revocation.md: signing out ends the sign-in's session and frees its licence slot.
    sid = sid_of_id_token_hint(request.args.get("id_token_hint"), sandbox.signing_key)
    if sid is not None:
        sandbox.state.sessions.end_sign_in(sid)
    target = request.args.get("post_logout_redirect_uri")
    applications = sandbox.registry.trusted_applications
    if target and any(target in a.logout_redirect_uris for a in applications):
        state_param = request.args.get("state")
        location = target + (("&" if "?" in target else "?") + urlencode({"state": state_param}) if state_param else "")
        return Response(status=302, headers={"Location": location})
    return _html(pages.signed_out_page())
