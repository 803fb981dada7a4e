"""The sandbox's Domain API: a small OData-style resource protected by bearer tokens (RFC 6750).

A token is accepted only if this sandbox signed it, its typ is at+jwt (RFC 9068), its iss and aud
are right, the sandbox clock is inside nbf..exp, and its jti is one this sandbox issued and has not
revoked. A user's token sees that user's rows; a service token sees its System User's rows.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from flask import Flask, Response, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError

from .reference_routes import reference_access
from .sessions import LicensesExhausted

if TYPE_CHECKING:
    from . import Sandbox

REALM = "DomainAPI"
CUSTOMERS_PATH = "/api/domain/odata/Crm_Sales_Customers"
METADATA_PATH = "/api/domain/odata/$metadata"
# OData v4 CSDL (OData Version 4.01 Part 3, CSDL XML): the one entity set this sandbox serves.
METADATA_XML = """<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="Crm.Sales" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="Customer">
        <Key><PropertyRef Name="Id"/></Key>
        <Property Name="Id" Type="Edm.Guid" Nullable="false"/>
        <Property Name="Number" Type="Edm.String" MaxLength="200"/>
        <Property Name="Name" Type="Edm.String" MaxLength="200" Nullable="false"/>
        <Property Name="City" Type="Edm.String" MaxLength="200"/>
      </EntityType>
      <EntityContainer Name="Domain">
        <EntitySet Name="Crm_Sales_Customers" EntityType="Crm.Sales.Customer"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"""
CUSTOMER_PROPERTIES = ("Name", "Number", "City")
# A customer's text fits on a card; the cap also keeps the rows a sandbox holds small (state.MAX_ADDED_ROWS).
MAX_PROPERTY_LENGTH = 200
SEND_A_CUSTOMER = 'Send a JSON object with at least "Name" (text).'


class VerifiedAccessToken:
    """A decoded access token, or the reason it cannot be decoded."""

    def __init__(self, claims: dict[str, Any] | None = None, problem: str | None = None) -> None:
        self.claims = claims or {}
        self.problem = problem

    def get_scope(self) -> str:
        return " ".join(self.claims.get("scope", []))

    @property
    def owner(self) -> str:
        return self.claims.get("sub") or self.claims["client_system_user"]


class SandboxBearerValidator(BearerTokenValidator):
    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(realm=REALM)
        self.sandbox = sandbox

    def authenticate_token(self, token_string: str) -> VerifiedAccessToken:
        sb = self.sandbox
        try:
            token = jwt.decode(token_string, sb.signing_key, algorithms=["RS256"])
        except (JoseError, ValueError):
            return VerifiedAccessToken(
                problem="The access token's signature does not verify with this "
                "identity service's published keys (JWKS)."
            )
        if str(token.header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            return VerifiedAccessToken(
                problem="This JWT is not an access token (typ is not at+jwt); an ID token is not accepted by the API."
            )
        claims = token.claims
        if claims.get("iss") != sb.issuer:
            return VerifiedAccessToken(problem=f"The token's issuer is not {sb.issuer}.")
        audience = claims.get("aud")
        # RFC 7519 §4.1.3: aud is one string or a list; a string is never searched for a substring.
        if REALM not in (audience if isinstance(audience, list) else [audience]):
            return VerifiedAccessToken(problem=f"The token's audience does not include {REALM}.")
        return VerifiedAccessToken(claims=claims)

    def validate_token(self, token: VerifiedAccessToken, scopes: list[str] | None, request: Any) -> None:
        def refuse(description: str) -> InvalidTokenError:
            return InvalidTokenError(description=description, realm=REALM)

        if token.problem:
            raise refuse(token.problem)
        now = self.sandbox.clock.now()
        if now >= token.claims["exp"]:
            raise refuse(f"The access token expired {now - token.claims['exp']} s ago (tokens live 1 hour).")
        if now < token.claims["nbf"]:
            raise refuse("The access token is not valid yet (nbf is in the future).")
        record = self.sandbox.state.access_tokens.get(token.claims.get("jti", ""))
        if record is None:
            raise refuse(
                "This sandbox holds no access token with this jti: it never issued it, or it was one of "
                "the oldest dropped to keep the sandbox small."
            )
        if record.revoked_because:
            raise refuse(f"The access token was revoked: {record.revoked_because}.")
        if self.scope_insufficient(token.get_scope(), scopes):
            needed = " ".join(scopes or [])
            error = InsufficientScopeError(
                description=f"This request needs the {needed!r} scope; the token has {token.get_scope()!r}."
            )
            error.needed_scope = needed
            raise error


def _error_response(error: OAuth2Error) -> Response:
    """RFC 6750 §3: a WWW-Authenticate Bearer challenge with every refusal."""
    if isinstance(error, MissingAuthorizationError | UnsupportedTokenTypeError):
        # §3.1: a request without credentials gets the challenge and no error code.
        response = jsonify(
            error_description="The request has no bearer access token: send Authorization: Bearer <access token>."
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
        return response
    description = error.get_error_description().replace('"', "'")
    response = jsonify(error=error.error, error_description=description)
    response.status_code = error.status_code
    challenge = f'Bearer realm="{REALM}", error="{error.error}", error_description="{description}"'
    if isinstance(error, InsufficientScopeError):
        challenge += f', scope="{getattr(error, "needed_scope", "")}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def odata_error(status: int, code: str, message: str) -> Response:
    """The API's error shape (OData JSON format §21): {"error": {"code": ..., "message": ...}}."""
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response


def license_refusal(sandbox: Sandbox) -> Response:
    """No licence slot is free (auth/sessions/license-slot.md): the documentation's code, the sandbox's words."""
    error = sandbox.registry.sessions.license_error
    return odata_error(error.status, error.code, error.message)


def _json_body() -> Any:
    """The request's JSON (None when it is not sent as JSON), or the API's 400 when it cannot be read."""
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data())
    except (ValueError, RecursionError):
        # RecursionError: a body of thousands of "[" nests deeper than the parser's stack.
        return odata_error(
            400, "BadRequest", "The body is not JSON the API can read (malformed, or nested too deeply)."
        )


def _customer_from(body: Any) -> dict[str, Any] | Response:
    """A new row from a request body, or the API's 400 saying what is wrong with it."""
    if not isinstance(body, dict) or not isinstance(body.get("Name"), str) or not body["Name"].strip():
        return odata_error(400, "BadRequest", SEND_A_CUSTOMER)
    unknown = sorted(set(body) - set(CUSTOMER_PROPERTIES))
    if unknown:
        return odata_error(400, "BadRequest", f"Unknown properties: {', '.join(unknown)}.")
    # Text only: str() of a deeply nested value could raise where the parser did not.
    not_text = [name for name in ("Number", "City") if body.get(name) is not None and not isinstance(body[name], str)]
    if not_text:
        return odata_error(400, "BadRequest", f"{not_text[0]} must be text.")
    row = {
        "Id": str(uuid.uuid4()),
        "Number": body.get("Number") or f"N-{secrets.randbelow(9000) + 1000}",
        "Name": body["Name"].strip(),
        "City": body.get("City") or "",
    }
    long = [name for name in CUSTOMER_PROPERTIES if len(row[name]) > MAX_PROPERTY_LENGTH]
    if long:
        return odata_error(400, "BadRequest", f"{long[0]} is over {MAX_PROPERTY_LENGTH} characters.")
    return row


def _register_metadata(app: Flask, require: Callable[[str], VerifiedAccessToken | Response]) -> None:
    """The service's $metadata (OData v4 CSDL), the path /connect calls by default."""

    @app.get(METADATA_PATH)
    def metadata() -> Response:
        # Behind the token like every API request: "@@name APIs automatically perform all these checks on
        # every request" (auth/tokens/access-tokens.md); describing the data is reading it.
        token = require("read")
        if isinstance(token, Response):
            return token
        return Response(METADATA_XML, content_type="application/xml", headers={"OData-Version": "4.0"})


def register_api(app: Flask, sandbox: Sandbox) -> None:
    protector = ResourceProtector()
    protector.register_token_validator(SandboxBearerValidator(sandbox))
    rows = sandbox.state.customers

    def require(scope: str) -> VerifiedAccessToken | Response:
        try:
            # A reference token (enrt_...) is looked up in the store; any other token is a JWT.
            reference = reference_access(sandbox, scope)
            token = VerifiedAccessToken(claims=reference) if reference else protector.acquire_token([scope])
        except OAuth2Error as error:
            return _error_response(error)
        try:
            # The first call with a token opens its session and takes a licence slot; later ones slide it.
            sandbox.state.sessions.use(token.claims)
        except LicensesExhausted:
            return license_refusal(sandbox)
        return token

    _register_metadata(app, require)

    @app.get(CUSTOMERS_PATH)
    def list_customers() -> Response:
        token = require("read")
        if isinstance(token, Response):
            return token
        top = request.args.get("$top")
        # ASCII digits only: "²".isdigit() is true but int("²") fails.
        if top is not None and not re.fullmatch(r"[0-9]+", top):
            return odata_error(400, "BadRequest", "$top must be a whole number, 0 or more.")
        visible = rows.get(token.owner, [])
        # More digits than any row count would need: all rows (and int() refuses over 4300 digits).
        limit = int(top) if top is not None and len(top) <= 9 else len(visible)
        return jsonify(
            {
                "@odata.context": f"{sandbox.base_url}/api/domain/odata/$metadata#Crm_Sales_Customers",
                "value": visible[:limit],
            }
        )

    @app.post(CUSTOMERS_PATH)
    def create_customer() -> Response:
        token = require("update")
        if isinstance(token, Response):
            return token
        body = _json_body()
        row = body if isinstance(body, Response) else _customer_from(body)
        if isinstance(row, Response):
            return row
        sandbox.state.add_customer(token.owner, row)
        response = jsonify(row)
        response.status_code = 201
        response.headers["Location"] = f"{sandbox.base_url}{CUSTOMERS_PATH}({row['Id']})"
        return response
