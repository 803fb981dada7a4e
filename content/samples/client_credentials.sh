#!/bin/sh
# Client Credentials with curl: {{client_id}} gets a token as its System User and reads customers.
#
#   ERPNET_CLIENT_SECRET=... sh client_credentials.sh
set -eu

# Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
ISSUER="${ERPNET_ISSUER:-{{issuer}}}"
CLIENT_ID='{{client_id}}'
SCOPE='{{scope}}'
: "${ERPNET_CLIENT_SECRET:?set ERPNET_CLIENT_SECRET from your secret store}"

# The token request (auth/flows/client-credentials/service-apps-token.md). The secret goes in on
# standard input, so it never shows in the process list.
TOKEN_RESPONSE=$(printf '%s' "$ERPNET_CLIENT_SECRET" | curl -sS --fail-with-body "$ISSUER/connect/token" \
  --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode client_secret@- \
  --data-urlencode "scope=$SCOPE")
ACCESS_TOKEN=$(printf '%s' "$TOKEN_RESPONSE" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')

# The API call with the bearer token, again on standard input rather than the command line.
printf 'Authorization: Bearer %s\n' "$ACCESS_TOKEN" | curl -sS -H @- -w '\nHTTP %{http_code}\n' \
  "${ISSUER%/id}/api/domain/odata/Crm_Sales_Customers?\$top=10"
