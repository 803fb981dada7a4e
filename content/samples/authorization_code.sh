#!/bin/sh
# Authorization Code with PKCE by hand, with curl: {{client_id}} signs a person in and reads their customers.
# A browser does the person's half; this script does the app's half, as the app's server would:
#   1. (here)       make a PKCE verifier and challenge and a state, and print the address to open
#   2. (a browser)  open it, sign in, allow; the browser lands on the redirect URI with ?code=...&state=...
#   3. (here)       paste that address: check the state, redeem the code with the verifier and the secret at
#                   the token endpoint, and call the API with the access token
#
#   ERPNET_CLIENT_SECRET=... sh authorization_code.sh      (curl 7.76 or newer, openssl)
set -eu

# Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
ISSUER="${ERPNET_ISSUER:-{{issuer}}}"
CLIENT_ID='{{client_id}}'
REDIRECT_URI='{{redirect_uri}}'  # exactly as registered in ImpersonateLoginUrl
SCOPE='{{scope}}'
: "${ERPNET_CLIENT_SECRET:?set ERPNET_CLIENT_SECRET from your secret store}"

urlsafe_b64() { base64 | tr '+/' '-_' | tr -d '=\n'; }
# Percent-encodes what would end or change a query value (RFC 3986 §3.4); client ids, URIs and scopes need no more.
urlencode() { printf '%s' "$1" | sed 's/%/%25/g; s/ /%20/g; s/&/%26/g; s/=/%3D/g; s/+/%2B/g; s/#/%23/g; s/?/%3F/g; s|/|%2F|g; s/:/%3A/g'; }
# A value for curl's config on standard input: backslashes and quotes escaped inside its double quotes.
quoted() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }

# Step 1: PKCE (RFC 7636 §4.1-4.2, S256) and state; the verifier stays here, only its hash travels.
VERIFIER=$(head -c 32 /dev/urandom | urlsafe_b64)
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | urlsafe_b64)
STATE=$(head -c 16 /dev/urandom | urlsafe_b64)
echo "Step 2, in a browser: open this address, sign in and allow:"
echo "  $ISSUER/connect/authorize?response_type=code&client_id=$(urlencode "$CLIENT_ID")&redirect_uri=$(urlencode "$REDIRECT_URI")&scope=$(urlencode "$SCOPE")&state=$STATE&code_challenge=$CHALLENGE&code_challenge_method=S256"
echo "Step 3: paste the address the browser lands on (it starts with $REDIRECT_URI):"
read -r CALLBACK

# The answer's parameters (RFC 6749 §4.1.2); an error comes back instead of a code.
param() { printf '%s' "${CALLBACK#*\?}" | tr '&#' '\n\n' | sed -n "s/^$1=//p" | head -n 1; }
if [ -n "$(param error)" ]; then echo "Sign-in refused: $(param error)" >&2; exit 1; fi
if [ "$(param state)" != "$STATE" ]; then echo "The state does not match: not the answer to this sign-in" >&2; exit 1; fi
CODE=$(param code)

# The token request (auth/flows/auth-code/interactive-apps-step-by-step.md). The code, the verifier and the
# secret go in on standard input as curl's config, so none of them shows in the process list.
TOKEN_RESPONSE=$(printf 'data-urlencode = %s\ndata-urlencode = %s\ndata-urlencode = %s\n' \
  "$(quoted "code=$CODE")" "$(quoted "code_verifier=$VERIFIER")" "$(quoted "client_secret=$ERPNET_CLIENT_SECRET")" |
  curl -sS --fail-with-body -K - "$ISSUER/connect/token" \
    --data-urlencode grant_type=authorization_code \
    --data-urlencode "client_id=$CLIENT_ID" \
    --data-urlencode "redirect_uri=$REDIRECT_URI")
ACCESS_TOKEN=$(printf '%s' "$TOKEN_RESPONSE" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')

# The API call as the person who signed in, the bearer token again on standard input.
printf 'Authorization: Bearer %s\n' "$ACCESS_TOKEN" | curl -sS -H @- -w '\nHTTP %{http_code}\n' \
  "${ISSUER%/id}/api/domain/odata/Crm_Sales_Customers?\$top=10"
