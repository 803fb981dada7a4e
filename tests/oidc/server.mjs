// A real OpenID provider (panva/node-oidc-provider) for the /connect tests, on loopback only.
// Usage: node server.mjs [port]   (or PORT=...; 0 picks a free port). Prints "listening <issuer>" when ready.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
// The registered clients; tests read the same values from here (kept in step with tests/test_connect_oidc.py).
const CLIENTS = [
  {
    client_id: 'cc-service',
    client_secret: 'cc-service-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  },
  {
    client_id: 'web-app',
    client_secret: 'web-app-secret',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.example.test/callback'],
    token_endpoint_auth_method: 'client_secret_post',
  },
  {
    client_id: 'spa',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://spa.example.test/callback'],
    token_endpoint_auth_method: 'none',
  },
];

// A fresh signing key per run, so nothing secret is committed.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

// Access tokens are JWTs for one resource server named like the product's API audience.
const API = { scope: 'read update', audience: 'DomainAPI', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: CLIENTS,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'profile', 'offline_access', 'read', 'update'],
    claims: { openid: ['sub'], profile: ['name'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: sub }) }),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:example:domain-api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => API,
      },
    },
    // A refresh token whenever the client may use one (no prompt=consent dance for offline_access).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  });
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
