"""Reading what an answer says: the OAuth error it carries, wherever it carries it.

An error comes back in a redirect's query (RFC 6749 §4.1.2.1), a JSON body (§5.2), a
``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3, parsed by werkzeug), or an HTML error page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import WWWAuthenticate

from flowguide.client.browser import parse_page
from flowguide.client.results import StepError
from flowguide.transcript import Exchange


def _from_redirect(exchange: Exchange) -> StepError | None:
    params = dict(parse_qsl(urlsplit(exchange.location or "").query))
    if "error" in params:
        return StepError(params["error"], params.get("error_description", ""), exchange.status)
    return None


def _from_challenge(exchange: Exchange) -> StepError | None:
    challenge = WWWAuthenticate.from_header(exchange.response_header("www-authenticate") or "")
    if challenge is not None and challenge.get("error"):
        return StepError(challenge["error"], challenge.get("error_description") or "", exchange.status)
    return None


def _from_page(exchange: Exchange) -> StepError | None:
    if "html" not in (exchange.response_header("content-type") or ""):
        return None
    page = parse_page(exchange.response_body)
    return StepError(page.error, page.error_text, exchange.status) if page.error else None


def error_of(exchange: Exchange) -> StepError | None:
    """The OAuth error a response carries; None for a success."""
    if 300 <= exchange.status < 400 and exchange.location:
        return _from_redirect(exchange)
    if exchange.status < 400:
        return None
    body = exchange.response_json()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return StepError(body["error"], str(body.get("error_description", "")), exchange.status)
    # The API's own errors (OData JSON format §21), e.g. MaximumLicenseCountExceeded: {"error": {"code", "message"}}.
    if isinstance(body, dict) and isinstance(body.get("error"), dict) and isinstance(body["error"].get("code"), str):
        return StepError(body["error"]["code"], str(body["error"].get("message", "")), exchange.status)
    found = _from_challenge(exchange) or _from_page(exchange)
    return found or StepError(f"http_{exchange.status}", exchange.reason, exchange.status)
