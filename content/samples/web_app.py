"""Authorization Code with PKCE for a web app with its own server, with Flask and Authlib.

pip install Authlib Flask requests
ERPNET_CLIENT_SECRET=... python web_app.py      then open the address it prints (the redirect URI's site)
"""

import os
import secrets
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask

# Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
ISSUER = os.environ.get("ERPNET_ISSUER", "{{issuer}}")
CLIENT_ID = "{{client_id}}"
CLIENT_SECRET = os.environ["ERPNET_CLIENT_SECRET"]  # from your secret store, never written in the code
REDIRECT_URI = "{{redirect_uri}}"  # exactly as registered in ImpersonateLoginUrl
SCOPE = "{{scope}}"
API = ISSUER.removesuffix("/id") + "/api/domain/odata/Crm_Sales_Customers?$top=10"

app = Flask(__name__)
app.secret_key = secrets.token_bytes(32)  # signs the session cookie that carries state, nonce and PKCE verifier
oauth = OAuth(app)
oauth.register(
    "erpnet",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    server_metadata_url=ISSUER + "/.well-known/openid-configuration",
    client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},  # PKCE for confidential clients too
)


@app.get("/")
def sign_in():
    return oauth.erpnet.authorize_redirect(REDIRECT_URI)


@app.get(urlsplit(REDIRECT_URI).path)
def callback():
    # Checks state, sends the code with the verifier and the secret, validates the ID token.
    token = oauth.erpnet.authorize_access_token()
    response = oauth.erpnet.get(API, token=token)
    return {"status": response.status_code, "customers": response.json()}


if __name__ == "__main__":
    # Werkzeug's server, for trying it out on the redirect URI's port; in production serve it behind HTTPS.
    site = urlsplit(REDIRECT_URI)
    print(f"Open {site.scheme}://{site.netloc}/ (the redirect URI's site, so the session cookie comes back)")
    app.run(host="127.0.0.1", port=site.port or 5000)
