// Authorization Code with PKCE for a web app with its own server, with Node.js and openid-client.
//
//   npm install openid-client
//   ERPNET_CLIENT_SECRET=... node web_app.mjs      then open the address it prints (the redirect URI's site)
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import * as client from 'openid-client';

// Your instance's identity service, https://<instance>.my.erp.net/id; the default is Flow Guide's sandbox.
const ISSUER = new URL(process.env.ERPNET_ISSUER ?? '{{issuer}}');
const CLIENT_ID = '{{client_id}}';
const CLIENT_SECRET = process.env.ERPNET_CLIENT_SECRET; // from your secret store, never written in the code
const REDIRECT_URI = new URL('{{redirect_uri}}'); // exactly as registered in ImpersonateLoginUrl
const SCOPE = '{{scope}}';
const API = new URL(`${ISSUER.href.replace(/\/id\/?$/, '')}/api/domain/odata/Crm_Sales_Customers?$top=10`);

if (!CLIENT_SECRET) throw new Error('Set ERPNET_CLIENT_SECRET');
// Plain http is allowed only for a local sandbox; a real instance is https.
const options = ISSUER.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(ISSUER, CLIENT_ID, CLIENT_SECRET, undefined, options);
const pending = new Map(); // sign-ins under way, by a random cookie: the PKCE verifier, state and nonce

async function signIn(response) {
  const session = randomBytes(16).toString('base64url');
  const sent = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
  pending.set(session, sent);
  const authorize = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI.href,
    scope: SCOPE,
    state: sent.state,
    nonce: sent.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(sent.verifier),
    code_challenge_method: 'S256',
  });
  response.writeHead(302, { location: authorize.href, 'set-cookie': `session=${session}; HttpOnly; SameSite=Lax; Path=/` });
  response.end();
}

async function callback(request, url, response) {
  const session = /(?:^|;\s*)session=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
  const sent = pending.get(session);
  pending.delete(session); // one use
  if (!sent) return response.writeHead(400).end('No sign-in under way in this browser');
  // Checks state, sends the code with the verifier and the secret, validates the ID token.
  const tokens = await client.authorizationCodeGrant(config, url, {
    pkceCodeVerifier: sent.verifier,
    expectedState: sent.state,
    expectedNonce: sent.nonce,
  });
  const api = await client.fetchProtectedResource(config, tokens.access_token, API, 'GET');
  const body = JSON.stringify({ status: api.status, customers: await api.json() });
  response.writeHead(200, { 'content-type': 'application/json' }).end(body);
}

const server = createServer((request, response) => {
  const url = new URL(request.url, REDIRECT_URI.origin);
  const handled = url.pathname === REDIRECT_URI.pathname ? callback(request, url, response) : signIn(response);
  handled.catch((error) => response.writeHead(500).end(String(error)));
});
// Node's own server, for trying it out on the redirect URI's port; in production serve it behind HTTPS.
server.listen(Number(REDIRECT_URI.port) || 3000, '127.0.0.1', () => console.log(`Open ${REDIRECT_URI.origin}/`));
