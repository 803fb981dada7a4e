"""What the reader sees of every flow and every mistake, step by step, against the sandbox (MUTATION.md).

One line per exchange (actor, label, method, path, the query's and form's field names with the values
that are not secret, status, authentication scheme), per check (✓ held, ✗ failed), the names of the
values shown, and the error. A mutant that changes what a run sends or shows fails here.
"""
# ruff: noqa: E501

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from flowguide import content
from flowguide.client import FlowRun, run_to_end
from flowguide.sandbox import Sandbox
from flowguide.transcript import Exchange

SHOWN = {
    "grant_type",
    "scope",
    "redirect_uri",
    "client_id",
    "response_type",
    "code_challenge_method",
    "decision",
    "username",
    "$top",
}


def _fields(pairs: object) -> str:
    return " ".join(f"{k}={v}" if k in SHOWN else f"{k}=…" for k, v in sorted(pairs))


def _exchange(e: Exchange) -> str:
    parts = urlsplit(e.url)
    line = f"{e.actor} | {e.label} | {e.method} {parts.path}"
    if parts.query:
        line += " ? " + _fields(parse_qsl(parts.query, keep_blank_values=True))
    line += f" -> {e.status}"
    if auth := e.request_header("authorization"):
        line += " | " + auth.split()[0]
    if e.form is not None:
        line += " | " + _fields(e.form.items())
    return line


def seen(run: FlowRun) -> str:
    """What the reader sees of a run, one line each: exchanges, checks, the values' names and the error."""
    lines = []
    for r in run.results:
        lines.append(r.step)
        lines += [f"  {_exchange(e)}" for e in r.exchanges]
        lines += [f"  {'✓' if c.passed else '✗' if c.passed is False else '-'} {c.name}" for c in r.checks]
        if r.values:
            lines.append("  values: " + " ".join(sorted(r.values)))
        if r.error:
            expected = " (expected)" if r.error.expected else ""
            lines.append(f"  error: {r.error.code} {r.error.status}{expected}")
    return "\n".join(lines)


SEEN = {
    "authorization_code": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
token
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ token_type is Bearer
  values: access_token access_token_claims code code_verifier expires_in id_token refresh_token scope token_type
validate
  web app back end | signing keys | GET /id/.well-known/openid-configuration/jwks -> 200
  ✓ access token: format
  ✓ access token: alg
  ✓ access token: key
  ✓ access token: signature
  ✓ access token: typ
  ✓ access token: iss
  ✓ access token: aud
  ✓ access token: exp
  ✓ access token: nbf
  ✓ access token: iat
  ✓ ID token: format
  ✓ ID token: alg
  ✓ ID token: key
  ✓ ID token: signature
  ✓ ID token: typ
  ✓ ID token: iss
  ✓ ID token: aud
  ✓ ID token: nonce
  ✓ ID token: exp
  ✓ ID token: nbf
  ✓ ID token: iat
  values: access_token_claims access_token_header id_token_claims id_token_header
api_call
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  ✓ the API answered with rows
  values: rows
""",
    "client_credentials": """
discovery
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
token
  service | token request | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  ✓ token_type is Bearer
  ✓ no refresh token (Client Credentials asks again instead)
  values: access_token access_token_claims expires_in scope scope_requested token_type
validate
  service | signing keys | GET /id/.well-known/openid-configuration/jwks -> 200
  ✓ access token: format
  ✓ access token: alg
  ✓ access token: key
  ✓ access token: signature
  ✓ access token: typ
  ✓ access token: iss
  ✓ access token: aud
  ✓ access token: exp
  ✓ access token: nbf
  ✓ access token: iat
  values: access_token_claims access_token_header
api_call
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  ✓ the API answered with rows
  values: rows
""",
    "hybrid": """
discovery
  web app | discovery document | GET /id/.well-known/openid-configuration -> 200
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
user_authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
user_sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
user_consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
user_callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
user_token
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ token_type is Bearer
  values: access_token access_token_claims code code_verifier expires_in id_token refresh_token scope token_type
user_api_call
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  ✓ the API answered with rows
  values: rows
service_token
  service | token request | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  ✓ token_type is Bearer
  ✓ no refresh token (Client Credentials asks again instead)
  values: access_token access_token_claims expires_in scope scope_requested token_type
service_api_call
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  ✓ the API answered with rows
  ✓ the service did not use David's token
  ✓ the token acts as the System User (client_system_user, no sub)
  values: rows
""",
    "refresh": """
initial_tokens
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  ✓ signed in (no sign-in form shown again)
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  ✓ token_type is Bearer
  ✓ a refresh token was issued (offline_access)
  values: access_token access_token_claims authorization_endpoint authorization_url challenge_computation code code_challenge code_challenge_method code_verifier decision expires_in id_token jwks_uri location nonce redirect_uri refresh_token scope state state_returned state_sent token_endpoint token_type username
expire
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 401 | Bearer
  ✓ refused with 401 invalid_token
  values: clock_advanced_seconds
  error: invalid_token 401 (expected)
refresh
  web app back end | refresh token for new tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… grant_type=refresh_token refresh_token=…
  ✓ token_type is Bearer
  ✓ the refresh token was rotated (a new one came back)
  values: access_token access_token_claims expires_in id_token refresh_token refresh_token_rotated scope sent_refresh_token token_type
api_call
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  ✓ the API answered with rows
  values: rows
reuse_refresh
  web app back end | the old one again | POST /id/connect/token -> 400 | client_id=com.example/web-portal client_secret=… grant_type=refresh_token refresh_token=…
  ✓ refused with 400 invalid_grant
  values: sent_refresh_token
  error: invalid_grant 400 (expected)
""",
    "code_reused": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
token
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  web app back end | the same code again | POST /id/connect/token -> 400 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  web app back end | API call with the first token | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 401 | Bearer
  ✓ token_type is Bearer
  ✓ the tokens issued for the replayed code are revoked
  values: access_token access_token_claims code code_verifier expires_in id_token refresh_token scope token_type
  error: invalid_grant 400
""",
    "consent_declined": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: deny | POST /id/connect/consent -> 302 | decision=deny request_id=…
  values: decision location
  error: access_denied 302
""",
    "disabled_application": """
discovery
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
token
  service | token request | POST /id/connect/token -> 401 | client_id=com.example/legacy-report client_secret=… grant_type=client_credentials scope=read
  values: scope_requested
  error: invalid_client 401
""",
    "expired_access_token": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
token
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ token_type is Bearer
  values: access_token access_token_claims code code_verifier expires_in id_token refresh_token scope token_type
validate
  web app back end | signing keys | GET /id/.well-known/openid-configuration/jwks -> 200
  ✓ access token: format
  ✓ access token: alg
  ✓ access token: key
  ✓ access token: signature
  ✓ access token: typ
  ✓ access token: iss
  ✓ access token: aud
  ✓ access token: exp
  ✓ access token: nbf
  ✓ access token: iat
  ✓ ID token: format
  ✓ ID token: alg
  ✓ ID token: key
  ✓ ID token: signature
  ✓ ID token: typ
  ✓ ID token: iss
  ✓ ID token: aud
  ✓ ID token: nonce
  ✓ ID token: exp
  ✓ ID token: nbf
  ✓ ID token: iat
  values: access_token_claims access_token_header id_token_claims id_token_header
api_call
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 401 | Bearer
  values: clock_advanced_seconds
  error: invalid_token 401
""",
    "forwarded_user_token": """
discovery
  web app | discovery document | GET /id/.well-known/openid-configuration -> 200
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
user_authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
user_sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
user_consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
user_callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
user_token
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ token_type is Bearer
  values: access_token access_token_claims code code_verifier expires_in id_token refresh_token scope token_type
user_api_call
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  ✓ the API answered with rows
  values: rows
service_token
  values: access_token forwarded_from
service_api_call
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 401 | Bearer
  values: clock_advanced_seconds
  error: invalid_token 401
""",
    "missing_pkce": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/spa redirect_uri=http://localhost:5173/callback response_type=code scope=read state=… -> 302
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier location nonce redirect_uri scope state
  error: invalid_request 302
""",
    "password_grant": """
discovery
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
token
  service | token request | POST /id/connect/token -> 400 | client_id=com.example/nightly-sync client_secret=… grant_type=password password=… scope=read update username=david
  values: scope_requested
  error: unsupported_grant_type 400
""",
    "public_client_credentials": """
discovery
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
token
  service | token request | POST /id/connect/token -> 400 | client_id=com.example/spa grant_type=client_credentials scope=read
  values: scope_requested
  error: unauthorized_client 400
""",
    "redirect_uri_case": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/Callback response_type=code scope=openid profile read update offline_access state=… -> 400
  ✓ the browser was not redirected to an unregistered URI
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
  error: invalid_redirect_uri 400
""",
    "rotated_refresh_token": """
initial_tokens
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  ✓ signed in (no sign-in form shown again)
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  ✓ token_type is Bearer
  ✓ a refresh token was issued (offline_access)
  values: access_token access_token_claims authorization_endpoint authorization_url challenge_computation code code_challenge code_challenge_method code_verifier decision expires_in id_token jwks_uri location nonce redirect_uri refresh_token scope state state_returned state_sent token_endpoint token_type username
expire
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 401 | Bearer
  ✓ refused with 401 invalid_token
  values: clock_advanced_seconds
  error: invalid_token 401 (expected)
refresh
  web app back end | refresh token for new tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… grant_type=refresh_token refresh_token=…
  web app back end | the rotated-out one again | POST /id/connect/token -> 400 | client_id=com.example/web-portal client_secret=… grant_type=refresh_token refresh_token=…
  ✓ token_type is Bearer
  ✓ the refresh token was rotated (a new one came back)
  values: access_token access_token_claims expires_in id_token refresh_token refresh_token_rotated scope sent_refresh_token token_type
  error: invalid_grant 400
""",
    "scope_not_allowed": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/spa code_challenge=… code_challenge_method=S256 redirect_uri=http://localhost:5173/callback response_type=code scope=read update state=… -> 302
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier location nonce redirect_uri scope state
  error: invalid_scope 302
""",
    "state_tampered": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
callback
  ✓ the browser came back to the registered redirect URI
  ✗ state matches the one sent
  values: code state_returned state_sent
  error: state_mismatch 302
""",
    "wrong_client_secret": """
discovery
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
token
  service | token request | POST /id/connect/token -> 401 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  values: scope_requested
  error: invalid_client 401
""",
    "wrong_verifier": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
token
  web app back end | code for tokens | POST /id/connect/token -> 400 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  values: code code_verifier
  error: invalid_grant 400
""",
    "pat_for_administrators_only": """
issue_pat
  person | Create PAT | POST /profile/security/tokens -> 403 | Basic | description=… expiration_time=… scope=read trusted_application=…
  error: forbidden 403
""",
    "reference_token_expired": """
issue_pat
  person | Create PAT | POST /profile/security/tokens -> 201 | Basic | description=… expiration_time=… scope=read trusted_application=…
  ✓ the value is enrt_ and 64 hex digits
  ✓ shown once: the answer is not cached
  ✓ the PAT acts as david
  values: acts_as kind reference_token
pat_api_call
  script | GET Crm_Sales_Customers (Authorization) | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 401 | Bearer
  values: clock_advanced_seconds
  error: invalid_token 401
""",
    "reference_tokens_not_allowed": """
issue_pat
  person | Create PAT | POST /profile/security/tokens -> 403 | Basic | description=… expiration_time=… scope=read trusted_application=…
  error: forbidden 403
""",
    "two_token_headers": """
issue_pat
  person | Create PAT | POST /profile/security/tokens -> 201 | Basic | description=… expiration_time=… scope=read trusted_application=…
  ✓ the value is enrt_ and 64 hex digits
  ✓ shown once: the answer is not cached
  ✓ the PAT acts as david
  values: acts_as kind reference_token
pat_api_call
  script | GET Crm_Sales_Customers (Authorization+X-Api-Key) | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 400 | Bearer
  error: invalid_request 400
""",
    "token_per_call": """
discovery
  service | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ client_credentials is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
token
  service | token request | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  ✓ token_type is Bearer
  ✓ no refresh token (Client Credentials asks again instead)
  values: access_token access_token_claims expires_in scope scope_requested token_type
validate
  service | signing keys | GET /id/.well-known/openid-configuration/jwks -> 200
  ✓ access token: format
  ✓ access token: alg
  ✓ access token: key
  ✓ access token: signature
  ✓ access token: typ
  ✓ access token: iss
  ✓ access token: aud
  ✓ access token: exp
  ✓ access token: nbf
  ✓ access token: iat
  values: access_token_claims access_token_header
api_call
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  service | a new token for call 2 | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  service | a new token for call 3 | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  service | a new token for call 4 | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  service | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 403 | Bearer
  ✓ the API answered with rows
  ✓ token_type is Bearer
  ✓ the API answered with rows
  ✓ token_type is Bearer
  ✓ the API answered with rows
  ✓ token_type is Bearer
  values: access_token access_token_claims calls_made expires_in rows scope token_type
  error: MaximumLicenseCountExceeded 403
""",
    "licences_in_use": """
discovery
  app | discovery document | GET /id/.well-known/openid-configuration -> 200
  ✓ issuer is the instance's identity service
  ✓ authorization_code is a supported grant
  values: authorization_endpoint jwks_uri token_endpoint
authorize
  browser | authorization request | GET /id/connect/authorize ? client_id=com.example/web-portal code_challenge=… code_challenge_method=S256 nonce=… redirect_uri=http://localhost:8501/callback response_type=code scope=openid profile read update offline_access state=… -> 200
  values: authorization_url challenge_computation code_challenge code_challenge_method code_verifier nonce redirect_uri scope state
sign_in
  browser | sign-in form | POST /id/account/login -> 200 | password=… request_id=… username=david
  ✓ signed in (no sign-in form shown again)
  values: username
consent
  browser | consent: allow | POST /id/connect/consent -> 302 | decision=allow request_id=…
  values: decision location
callback
  ✓ the browser came back to the registered redirect URI
  ✓ state matches the one sent
  values: code state_returned state_sent
token
  web app back end | code for tokens | POST /id/connect/token -> 200 | client_id=com.example/web-portal client_secret=… code=… code_verifier=… grant_type=authorization_code redirect_uri=http://localhost:8501/callback
  ✓ token_type is Bearer
  values: access_token access_token_claims code code_verifier expires_in id_token refresh_token scope token_type
validate
  web app back end | signing keys | GET /id/.well-known/openid-configuration/jwks -> 200
  ✓ access token: format
  ✓ access token: alg
  ✓ access token: key
  ✓ access token: signature
  ✓ access token: typ
  ✓ access token: iss
  ✓ access token: aud
  ✓ access token: exp
  ✓ access token: nbf
  ✓ access token: iat
  ✓ ID token: format
  ✓ ID token: alg
  ✓ ID token: key
  ✓ ID token: signature
  ✓ ID token: typ
  ✓ ID token: iss
  ✓ ID token: aud
  ✓ ID token: nonce
  ✓ ID token: exp
  ✓ ID token: nbf
  ✓ ID token: iat
  values: access_token_claims access_token_header id_token_claims id_token_header
api_call
  service | meanwhile: nightly sync instance 1 signs in | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  service | meanwhile: instance 1 calls Crm_Sales_Customers (its session takes a slot) | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  service | meanwhile: nightly sync instance 2 signs in | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  service | meanwhile: instance 2 calls Crm_Sales_Customers (its session takes a slot) | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  service | meanwhile: nightly sync instance 3 signs in | POST /id/connect/token -> 200 | client_id=com.example/nightly-sync client_secret=… grant_type=client_credentials scope=read update
  service | meanwhile: instance 3 calls Crm_Sales_Customers (its session takes a slot) | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 200 | Bearer
  web app back end | GET Crm_Sales_Customers | GET /api/domain/odata/Crm_Sales_Customers ? $top=10 -> 403 | Bearer
  values: slots_taken_by_others
  error: MaximumLicenseCountExceeded 403
""",
}


@pytest.mark.parametrize("name", sorted(SEEN))
def test_what_the_reader_sees(name: str) -> None:
    mistakes = content.mistakes()
    flow = mistakes[name].flow if name in mistakes else name
    run = FlowRun.for_sandbox(Sandbox(), flow, mistake=name if name in mistakes else None)
    run_to_end(run)
    assert seen(run) == SEEN[name].strip()


def test_every_flow_and_mistake_is_seen() -> None:
    assert set(SEEN) == {"authorization_code", "client_credentials", "hybrid", "refresh"} | set(content.mistakes())
