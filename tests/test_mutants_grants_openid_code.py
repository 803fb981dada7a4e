"""The code flow's ID token without a nonce (MUTATION.md, the run at 0acbb05): nonce is OPTIONAL for
response_type=code (OpenID Connect Core §3.1.2.1), so a sign-in without one gets its ID token, with no nonce."""

from __future__ import annotations

from test_sandbox import PORTAL, authorize_params, callback_params, pkce, portal_exchange, sign_in_and_consent, verify

from flowguide.sandbox import Sandbox


def test_a_code_sign_in_without_a_nonce_gets_an_id_token_without_one() -> None:
    sb = Sandbox()
    client = sb.http_client()
    verifier, challenge = pkce()
    params = authorize_params(scope="openid profile", code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(sign_in_and_consent(client, params))["code"]
    response = client.post("/id/connect/token", data=portal_exchange(code, verifier))
    assert response.status_code == 200, response.text
    claims = verify(sb, response.json()["id_token"], "JWT", PORTAL)
    assert "nonce" not in claims and claims["sub"] == "david"
