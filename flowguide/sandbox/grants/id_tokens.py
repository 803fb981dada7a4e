"""ID tokens as the product issues them (OpenID Connect Core §2; §3.3.2.11 for c_hash and at_hash).

The documentation's decoded ID tokens (``auth/getting-started/instance-id-web-apps.md`` and its
siblings) carry nbf, exp (300 s after), iss, aud (the client_id), nonce, iat, at_hash or c_hash,
s_hash (the state's hash, defined by FAPI 1.0 Advanced §5.1), sid, sub, auth_time, idp and amr, and no
profile claims: those come from the userinfo endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jwt

if TYPE_CHECKING:
    from .. import Sandbox
    from ..models import SignIn

# The documentation's decoded ID tokens: exp - nbf = 300.
ID_TOKEN_LIFETIME = 300


def half_hash(value: str) -> str:
    """OpenID Connect Core §3.3.2.11 for RS256: the left half of SHA-256, base64url (c_hash, at_hash; s_hash alike)."""
    return create_half_hash(value, "RS256").decode("ascii")


def id_token_claims(
    sandbox: Sandbox,
    client_id: str,
    sign_in: SignIn,
    *,
    nonce: str | None,
    state_hash: str | None,
    code: str | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    """The claims of one ID token, in the order of the documentation's decoded examples."""
    now = sandbox.clock.now()
    claims: dict[str, Any] = {
        "nbf": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "iss": sandbox.issuer,
        "aud": client_id,
        **({"nonce": nonce} if nonce else {}),
        "iat": now,
    }
    # OpenID Connect Core §3.3.2.11: c_hash with a code from the authorize endpoint, at_hash with an access token.
    if code is not None:
        claims["c_hash"] = half_hash(code)
    if access_token is not None:
        claims["at_hash"] = half_hash(access_token)
    if state_hash is not None:
        claims["s_hash"] = state_hash
    return claims | {
        "sid": sign_in.sid,
        "sub": sign_in.user.login,
        "auth_time": sign_in.auth_time,
        "idp": sign_in.idp,
        "amr": list(sign_in.amr),
    }


def sign_id_token(sandbox: Sandbox, claims: dict[str, Any]) -> str:
    """An ID token signed with the sandbox's key; typ JWT as in the documentation's examples."""
    header = {"alg": "RS256", "kid": sandbox.kid, "typ": "JWT"}
    return jwt.encode(header, claims, sandbox.signing_key, algorithms=["RS256"])
