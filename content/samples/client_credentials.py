"""Client Credentials with Authlib: {{client_id}} gets a token as its System User and reads customers.

pip install Authlib requests
ERPNET_CLIENT_SECRET=... python client_credentials.py
"""

import os

import requests
from authlib.integrations.requests_client import OAuth2Session

# Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
ISSUER = os.environ.get("ERPNET_ISSUER", "{{issuer}}")
CLIENT_ID = "{{client_id}}"
CLIENT_SECRET = os.environ["ERPNET_CLIENT_SECRET"]  # from your secret store, never written in the code
SCOPE = "{{scope}}"
API = ISSUER.removesuffix("/id") + "/api/domain/odata/Crm_Sales_Customers?$top=10"

# Discovery names the token endpoint (auth/client-libraries.md).
discovery = requests.get(ISSUER + "/.well-known/openid-configuration", timeout=10)
discovery.raise_for_status()

with OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=SCOPE) as session:
    # No refresh token comes back: when this token expires (1 hour), ask for a new one the same way.
    session.fetch_token(discovery.json()["token_endpoint"], grant_type="client_credentials")
    response = session.get(API, timeout=10)
    print("HTTP", response.status_code)
    print(response.text)
