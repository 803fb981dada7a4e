"""Sign-in only with @@name: OpenID Connect with Authorization Code and PKCE, with Flask and Authlib.

The app learns who signed in from the ID token (and the profile from userinfo); it calls no API.

pip install Authlib Flask requests
ERPNET_CLIENT_SECRET=... python sign_in_only.py      then open the address it prints (the redirect URI's site)
"""

import os
import secrets
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask, session

# The identity service that signs people in: https://id.erp.net/id (the global one) or your instance's,
# https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
ISSUER = os.environ.get("ERPNET_ISSUER", "{{issuer}}")
CLIENT_ID = "{{client_id}}"
CLIENT_SECRET = os.environ["ERPNET_CLIENT_SECRET"]  # from your secret store, never written in the code
REDIRECT_URI = "{{redirect_uri}}"  # exactly as registered in ImpersonateLoginUrl
SCOPE = "{{scope}}"  # openid profile: who signed in, and no API scope

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
    # Checks state, sends the code with the verifier and the secret, and validates the ID token
    # (signature, issuer, audience, expiry and nonce) before handing over its claims.
    token = oauth.erpnet.authorize_access_token()
    claims = token["userinfo"]
    profile = oauth.erpnet.userinfo(token=token)  # name and email come from userinfo, for the same sub
    if profile["sub"] != claims["sub"]:
        return {"error": "userinfo answered for someone else"}, 502
    # The key for this person in your own user table: the issuer with the subject. Name and email are for display.
    session["user"] = {"iss": claims["iss"], "sub": claims["sub"], "name": profile.get("name")}
    return {"signed_in": session["user"], "email": profile.get("email"), "auth_time": claims.get("auth_time")}


if __name__ == "__main__":
    # Werkzeug's server, for trying it out on the redirect URI's port; in production serve it behind HTTPS.
    site = urlsplit(REDIRECT_URI)
    print(f"Open {site.scheme}://{site.netloc}/ (the redirect URI's site, so the session cookie comes back)")
    app.run(host="127.0.0.1", port=site.port or 5000)
