"""Authorization Code with PKCE for a command-line or desktop tool (RFC 8252), with Authlib.

The tool opens the system browser at the sign-in page and listens on its loopback redirect URI for the
answer; it is a Public client, so PKCE, not a secret, proves the code is its own.

pip install Authlib requests
python cli_loopback.py      (set BROWSER to choose the browser; the address is printed too)
"""

import os
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

# Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
ISSUER = os.environ.get("ERPNET_ISSUER", "{{issuer}}")
CLIENT_ID = "{{client_id}}"
REDIRECT_URI = "{{redirect_uri}}"  # exactly as registered in ImpersonateLoginUrl, port included
SCOPE = "{{scope}}"
API = ISSUER.removesuffix("/id") + "/api/domain/odata/Crm_Sales_Customers?$top=10"


class Callback(BaseHTTPRequestHandler):
    """Takes the one answer the browser brings back to the redirect URI."""

    answer = ""

    def do_GET(self) -> None:
        if urlsplit(self.path).path != urlsplit(REDIRECT_URI).path:
            self.send_error(404)
            return
        site = urlsplit(REDIRECT_URI)
        Callback.answer = f"{site.scheme}://{site.netloc}{self.path}"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"Signed in: you can close this window and go back to the terminal.")

    def log_message(self, *args: object) -> None:
        pass  # the answer carries the code: keep it out of the terminal


def main() -> None:
    metadata = requests.get(ISSUER + "/.well-known/openid-configuration", timeout=10).json()
    client = OAuth2Session(
        CLIENT_ID,
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        token_endpoint_auth_method="none",
        code_challenge_method="S256",
    )
    verifier = generate_token(64)  # PKCE (RFC 7636): the verifier stays here, only its hash goes to the browser
    authorization_request = client.create_authorization_url
    url, state = authorization_request(metadata["authorization_endpoint"], code_verifier=verifier)

    site = urlsplit(REDIRECT_URI)
    listener = HTTPServer((site.hostname, site.port), Callback)  # listening before the browser can come back
    print("Sign in in your browser. If it did not open, open this address:\n  " + url, flush=True)
    webbrowser.open(url)
    while not Callback.answer:
        listener.handle_request()
    listener.server_close()

    # Checks the state and any error, then sends the code with the verifier (no secret: a Public client).
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=Callback.answer, state=state, code_verifier=verifier
    )
    response = client.get(API, timeout=10)
    print(response.text)
    print(f"HTTP {response.status_code}")
    if token.get("refresh_token"):
        print("A refresh token came too: keep it in the system's credential store, never in a plain file.")


if __name__ == "__main__":
    main()
