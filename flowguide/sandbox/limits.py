"""How much a request may carry: one body limit for the identity endpoints and the API, refused with a 413.

The largest request a client rightly sends is a few kilobytes (a token request with a refresh token
and a PKCE verifier, a sign-in form, a customer row), so 64 KiB leaves room for any of them and
keeps a hostile body from being read into memory. A declared Content-Length over it is refused
before any read; a chunked body is read to one byte past the limit and refused if it gets there.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from .api import odata_error
from .cors import API_PREFIX

MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = f"The request body is over the sandbox's limit of {MAX_BODY_BYTES} bytes (64 KiB)."


def enforce_body_limit() -> None:
    """Refuse a body over the limit before any endpoint reads it: by its Content-Length, or by reading it."""
    environ = request.environ
    # request.content_length, read from the environ without making the request's header view for it.
    length = get_content_length(environ)
    if length is not None:
        if length > MAX_BODY_BYTES:
            raise RequestEntityTooLarge()
        return
    if "wsgi.input_terminated" not in environ:
        return  # no length and no terminated stream: Werkzeug reads no body at all
    # A streamed (chunked) body: Werkzeug stops quietly at the limit, so read one byte past it to tell.
    request.max_content_length = MAX_BODY_BYTES + 1
    if len(request.get_data(cache=True)) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()


def too_large(_error: RequestEntityTooLarge) -> Response:
    """The 413 in the shape of the endpoint asked: the API's OData error, or an OAuth error (RFC 6749 §5.2)."""
    if request.path.startswith(API_PREFIX):
        return odata_error(413, "PayloadTooLarge", TOO_LARGE)
    response = jsonify(error="invalid_request", error_description=TOO_LARGE)
    response.status_code = 413
    return response


def register_limits(app: Flask) -> None:
    """Set the body limit and its answer on the app."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(enforce_body_limit)
    app.register_error_handler(RequestEntityTooLarge, too_large)
