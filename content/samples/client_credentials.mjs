// Client Credentials with openid-client: {{client_id}} gets a token as its System User and reads customers.
//
//   npm install openid-client
//   ERPNET_CLIENT_SECRET=... node client_credentials.mjs
import * as client from 'openid-client';

// Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
const ISSUER = new URL(process.env.ERPNET_ISSUER ?? '{{issuer}}');
const CLIENT_ID = '{{client_id}}';
const CLIENT_SECRET = process.env.ERPNET_CLIENT_SECRET; // from your secret store, never written in the code
const SCOPE = '{{scope}}';
const API = new URL(`${ISSUER.href.replace(/\/id\/?$/, '')}/api/domain/odata/Crm_Sales_Customers?$top=10`);

if (!CLIENT_SECRET) throw new Error('Set ERPNET_CLIENT_SECRET');
// Plain http is allowed only for a local sandbox; a real instance is https.
const options = ISSUER.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(ISSUER, CLIENT_ID, CLIENT_SECRET, undefined, options);

// No refresh token comes back: when this token expires (1 hour), ask for a new one the same way.
const tokens = await client.clientCredentialsGrant(config, { scope: SCOPE });
const response = await client.fetchProtectedResource(config, tokens.access_token, API, 'GET');
console.log('HTTP', response.status);
console.log(await response.text());
