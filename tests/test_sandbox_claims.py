"""ID tokens, access tokens and userinfo in the shape of the documentation's decoded examples.

The documentation's tokens (auth/getting-started/instance-id-web-apps.md, erpnet-id-web-apps.md,
instance-id-spa-apps.md, auth/tokens/access-tokens.md): an ID token lives 300 s and carries idp, s_hash
and no profile claims; a user's access token also carries auth_time, idp and amr, and is_admin,
email_verified and locale beside name and email; an `openid profile` token's audience is the identity
service's own resources. The profile comes from the userinfo endpoint (OpenID Connect Core §5.3).
"""

from __future__ import annotations

import httpx
import jwt
import pytest
from test_sandbox import (
    PORTAL,
    api_get,
    authorize_params,
    callback_params,
    pkce,
    portal_exchange,
    portal_tokens,
    service_token,
    sign_in_and_consent,
    verify,
)

from flowguide.claims import claims as claims_book
from flowguide.sandbox import Sandbox

RESOURCES = "https://sandbox.flowguide.test/id/resources"
API_AUDIENCE = ["DomainAPI", "TableAPI", "OLAP", "AppServer", RESOURCES]
# The order of instance-id-web-apps.md's decoded user access token.
USER_ACCESS_CLAIMS = ["nbf", "exp", "iss", "aud", "client_id", "sub", "auth_time", "idp", "id", "name", "email"]
USER_ACCESS_CLAIMS += ["user_type", "is_admin", "email_verified", "db", "locale", "jti", "sid", "iat", "scope", "amr"]
SERVICE_ACCESS_CLAIMS = ["nbf", "exp", "iss", "aud", "client_id", "client_system_user", "client_system_user_type"]
SERVICE_ACCESS_CLAIMS += ["client_db", "client_system_user_id", "jti", "iat", "scope"]
ID_CLAIMS = ["nbf", "exp", "iss", "aud", "nonce", "iat", "at_hash", "s_hash", "sid", "sub", "auth_time", "idp", "amr"]


def userinfo(client: httpx.Client, token: str | None, method: str = "GET") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(method, "/id/connect/userinfo", headers=headers)


# --- tokens -------------------------------------------------------------------------------------------


def test_the_id_token_lives_300_seconds_and_carries_no_profile(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client)
    claims = verify(sb, tokens["id_token"], "JWT", PORTAL)
    assert list(claims) == ID_CLAIMS
    assert claims["exp"] - claims["nbf"] == 300 and claims["aud"] == PORTAL
    assert (claims["sub"], claims["idp"], claims["amr"]) == ("david", "local", ["pwd"])
    assert claims["s_hash"]  # the request's state was "xyz"
    access = verify(sb, tokens["access_token"], "at+jwt", API_AUDIENCE)
    assert (claims["sid"], claims["auth_time"]) == (access["sid"], access["auth_time"])


def test_an_id_token_without_a_state_has_no_s_hash(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="openid", code_challenge=challenge, code_challenge_method="S256", nonce="n")
    del params["state"]
    code = callback_params(sign_in_and_consent(client, params))["code"]
    tokens = client.post("/id/connect/token", data=portal_exchange(code, verifier)).json()
    assert "s_hash" not in verify(sb, tokens["id_token"], "JWT", PORTAL)


def test_a_users_access_token_has_the_documented_claims_in_the_documented_order(
    sb: Sandbox, client: httpx.Client
) -> None:
    claims = verify(sb, portal_tokens(sb, client)["access_token"], "at+jwt", API_AUDIENCE)
    assert list(claims) == USER_ACCESS_CLAIMS
    assert claims["aud"] == API_AUDIENCE
    assert (claims["idp"], claims["amr"]) == ("local", ["pwd"])
    assert claims["iat"] - claims["auth_time"] < 60
    # The decoded examples carry the flags as text.
    assert (claims["is_admin"], claims["email_verified"], claims["locale"]) == ("false", "true", "en-US")
    assert claims["exp"] - claims["nbf"] == 3600


def test_an_openid_profile_token_names_only_the_identity_services_resources(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client, scope="openid profile")
    header = jwt.get_unverified_header(tokens["access_token"])
    key = jwt.PyJWK(client.get("/id/.well-known/openid-configuration/jwks").json()["keys"][0])
    assert header["typ"] == "at+jwt"
    claims = jwt.decode(tokens["access_token"], key, algorithms=["RS256"], audience=RESOURCES, issuer=sb.issuer)
    assert claims["aud"] == RESOURCES and claims["scope"] == ["openid", "profile"]
    refused = api_get(client, tokens["access_token"])
    assert refused.status_code == 401 and "DomainAPI" in refused.json()["error_description"]


def test_a_service_token_names_the_apis_and_the_resources_and_no_sign_in(sb: Sandbox, client: httpx.Client) -> None:
    claims = verify(sb, service_token(client).json()["access_token"], "at+jwt", API_AUDIENCE)
    assert list(claims) == SERVICE_ACCESS_CLAIMS
    assert claims["aud"] == API_AUDIENCE


# --- userinfo -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_answers_the_profile_for_an_openid_profile_token(
    sb: Sandbox, client: httpx.Client, method: str
) -> None:
    answer = userinfo(client, portal_tokens(sb, client, scope="openid profile")["access_token"], method)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "sub": "david",
        "name": "David",
        "email": "david@example.com",
        "email_verified": True,
        "locale": "en-US",
        "user_type": "InternalUser",
    }


def test_userinfo_answers_only_sub_without_profile(sb: Sandbox, client: httpx.Client) -> None:
    answer = userinfo(client, portal_tokens(sb, client, scope="openid read")["access_token"])
    assert answer.json() == {"sub": "david"}


def test_userinfo_without_a_token_is_a_bare_bearer_challenge(client: httpx.Client) -> None:
    answer = userinfo(client, None)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


def test_userinfo_refuses_a_token_without_openid(sb: Sandbox, client: httpx.Client) -> None:
    for token in (
        portal_tokens(sb, client, scope="read")["access_token"],
        service_token(client).json()["access_token"],
    ):
        answer = userinfo(client, token)
        assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"
        assert answer.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')
        assert answer.headers["www-authenticate"].endswith(', scope="openid"')


def test_userinfo_refuses_an_id_token(sb: Sandbox, client: httpx.Client) -> None:
    answer = userinfo(client, portal_tokens(sb, client)["id_token"])
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert answer.json()["error_description"] == "This JWT is not an access token (typ is not at+jwt)."


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", ["DomainAPI", "TableAPI", "OLAP", "AppServer"]), ("iss", "https://another.example/id")],
)
def test_userinfo_refuses_a_token_for_another_audience_or_issuer(
    sb: Sandbox, client: httpx.Client, claim: str, value: object
) -> None:
    issued = verify(sb, portal_tokens(sb, client)["access_token"], "at+jwt", API_AUDIENCE)
    # Signed with the sandbox's own key, with one claim changed: only that claim can be the reason.
    forged = jwt.encode(
        {**issued, claim: value},
        sb.signing_key.as_pem(private=True),
        algorithm="RS256",
        headers={"typ": "at+jwt", "kid": sb.kid},
    )
    answer = userinfo(client, forged)
    assert answer.status_code == 401
    assert answer.json()["error_description"] == (
        "The token was not issued by https://sandbox.flowguide.test/id for its own resources."
    )


def test_userinfo_refuses_an_expired_token(sb: Sandbox, client: httpx.Client) -> None:
    token = portal_tokens(sb, client)["access_token"]
    assert userinfo(client, token).status_code == 200
    sb.clock.advance(3600)
    answer = userinfo(client, token)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_userinfo_refuses_another_sandboxs_token(sb: Sandbox) -> None:
    other = Sandbox()
    token = portal_tokens(other, other.http_client())["access_token"]
    answer = userinfo(sb.http_client(), token)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


def test_userinfo_refuses_a_revoked_token(sb: Sandbox, client: httpx.Client) -> None:
    verifier, challenge = pkce()
    params = authorize_params(scope="openid", code_challenge=challenge, code_challenge_method="S256", nonce="n")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    token = client.post("/id/connect/token", data=portal_exchange(code, verifier)).json()["access_token"]
    assert userinfo(client, token).status_code == 200
    client.post("/id/connect/token", data=portal_exchange(code, verifier))  # the code again: its tokens are revoked
    assert userinfo(client, token).status_code == 401


# --- content/claims.yaml explains what the sandbox issues --------------------------------------------------


def test_every_claim_the_sandbox_issues_is_explained(sb: Sandbox, client: httpx.Client) -> None:
    tokens = portal_tokens(sb, client)
    issued = {
        *verify(sb, tokens["access_token"], "at+jwt", API_AUDIENCE),
        *verify(sb, tokens["id_token"], "JWT", PORTAL),
        *verify(sb, service_token(client).json()["access_token"], "at+jwt", API_AUDIENCE),
        *userinfo(client, tokens["access_token"]).json(),
        *client.get("/id/.well-known/openid-configuration").json()["claims_supported"],
        "c_hash",
    }
    book = claims_book()
    assert sorted(name for name in issued if book.claim(name) is None) == []
    assert "id" in book.claim("s_hash").tokens
    for profile_claim in ("name", "email", "email_verified", "locale", "user_type", "is_admin"):
        assert "id" not in book.claim(profile_claim).tokens, profile_claim


@pytest.mark.parametrize("audience", ["NotDomainAPIAtAll", ["NotDomainAPIAtAll"]])
def test_the_api_refuses_an_audience_that_only_contains_the_name(
    sb: Sandbox, client: httpx.Client, audience: object
) -> None:
    # RFC 7519 §4.1.3: a string aud is one audience, not text to search for "DomainAPI".
    issued = verify(sb, portal_tokens(sb, client)["access_token"], "at+jwt", API_AUDIENCE)
    forged = jwt.encode(
        {**issued, "aud": audience},
        sb.signing_key.as_pem(private=True),
        algorithm="RS256",
        headers={"typ": "at+jwt", "kid": sb.kid},
    )
    answer = client.get("/api/domain/odata/Crm_Sales_Customers", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert "audience does not include DomainAPI" in answer.headers["www-authenticate"]
