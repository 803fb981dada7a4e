"""The command-line tool's loopback redirect (com.example/cli) is matched exactly, port included.

RFC 8252 §7.3 asks an authorization server to accept any port on a loopback redirect URI for a native app; the
product's documentation says redirect URIs match exactly, and lists "loopback with random port" in the same
page's table (auth/flows/auth-code/interactive-apps-redirects-pkce.md). Where they disagree the sandbox keeps
the exact match the rules state, and the guide tells the reader to register the exact port (its
native_redirects warning).
"""

from __future__ import annotations

import pytest
from fixtures.demo import CLI
from test_sandbox import assert_never_redirected, pkce

from flowguide.sandbox import Sandbox


def _params(redirect_uri: str) -> dict[str, str]:
    _verifier, challenge = pkce()
    return {
        "client_id": CLI.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "read",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def test_the_registered_loopback_address_gets_the_sign_in_page() -> None:
    answer = Sandbox().http_client().get("/id/connect/authorize", params=_params(CLI.redirect_uri or ""))
    assert answer.status_code == 200 and 'type="password"' in answer.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:53178/callback",  # another port
        "http://127.0.0.1/callback",  # no port
        "http://localhost:53177/callback",  # the name, not the address registered
        "http://[::1]:53177/callback",  # the other loopback address
    ],
    ids=["port", "no-port", "localhost", "ipv6"],
)
def test_any_other_loopback_address_is_refused_without_a_redirect(redirect_uri: str) -> None:
    answer = Sandbox().http_client().get("/id/connect/authorize", params=_params(redirect_uri))
    assert_never_redirected(answer, "invalid_redirect_uri")
