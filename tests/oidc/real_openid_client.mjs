// openid-client (panva/openid-client v6, the Node.js library auth/client-libraries.md names) against the
// standalone sandbox: discovery, Authorization Code + PKCE for the confidential web portal and the public
// SPA (ID token validated by the library, signature included), userinfo, refresh, Client Credentials, and
// the hybrid `code id_token` with `response_mode=form_post`.
//
// Usage: node real_openid_client.mjs <issuer>
// Prints one line per check: "ok <name>: <what it saw>" or "not ok <name>: <error>"; exits 0 either way:
// tests/test_real_openid_client.py reads the lines. The person's part (sign-in and consent pages) is played
// with fetch and a cookie jar; the library gets the URL (or the form post) the browser would hand it.
import * as client from 'openid-client';

const issuer = new URL(process.argv[2]);
const BASE = issuer.origin;
const WEB_PORTAL = {
  id: 'com.example/web-portal',
  secret: 'web-portal-secret',
  redirect: 'http://localhost:8501/callback',
  scope: 'openid profile read update offline_access',
};
const SPA = { id: 'com.example/spa', redirect: 'http://localhost:5173/callback', scope: 'read' };
const NIGHTLY_SYNC = { id: 'com.example/nightly-sync', secret: 'nightly-sync-secret' };
const DAVID = { username: 'david', password: 'demo' };
const CUSTOMERS = new URL(`${BASE}/api/domain/odata/Crm_Sales_Customers?$top=10`);

// ---- the person at the sign-in pages: fetch with a cookie jar, forms read the way a browser reads them

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
const decode = (text) => text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name) => ENTITIES[name]);

function attributes(tag) {
  const found = {};
  for (const [, name, value] of tag.matchAll(/([a-zA-Z-]+)\s*=\s*"([^"]*)"/g)) found[name.toLowerCase()] = decode(value);
  for (const [, name] of tag.matchAll(/\s([a-zA-Z-]+)(?=[\s>])(?!\s*=)/g)) found[name.toLowerCase()] ??= '';
  return found;
}

function formsOf(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(([, formTag, inner]) => {
    const form = attributes(formTag);
    const fields = [];
    const buttons = [];
    let hasPassword = false;
    for (const [tag, kind] of inner.matchAll(/<(input|button)\b[^>]*>/gi)) {
      const a = attributes(tag);
      const type = (a.type ?? (kind.toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase();
      if (type === 'password') hasPassword = true;
      if (a.name === undefined) continue;
      (type === 'submit' ? buttons : fields).push([a.name, a.value ?? '']);
    }
    return { action: form.action ?? '', method: (form.method ?? 'get').toLowerCase(), fields, buttons, hasPassword };
  });
}

class Person {
  cookies = new Map();

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  }

  // Follows redirects while they stay on the identity service; returns [response, url, body].
  async onSite(url, init) {
    let response = await this.fetch(url, init);
    for (let hops = 0; hops < 5 && response.status >= 300 && response.status < 400; hops++) {
      const next = new URL(response.headers.get('location'), url);
      if (next.origin !== BASE) break;
      url = next;
      response = await this.fetch(url);
    }
    return [response, new URL(url), await response.text()];
  }

  async submit([page, url, html], pick, values) {
    const form = formsOf(html).find(pick);
    if (!form) throw new Error(`no such form on ${url} (status ${page.status}): ${html.slice(0, 200)}`);
    const body = new URLSearchParams(form.fields);
    for (const [name, value] of Object.entries(values)) body.set(name, value);
    return this.onSite(new URL(form.action || url, url), { method: 'POST', body });
  }

  // The authorization response the application gets: the URL it lands on, or the form posted to it.
  async signIn(authorizationUrl, decision = 'allow') {
    const signInPage = await this.onSite(authorizationUrl);
    if (signInPage[0].status !== 200) {
      throw new Error(`authorize answered ${signInPage[0].status} ${signInPage[0].headers.get('location') ?? ''}`);
    }
    const consentPage = await this.submit(signInPage, (f) => f.hasPassword, DAVID);
    const [answer, , html] = await this.submit(consentPage, (f) => f.buttons.some(([n]) => n === 'decision'), {
      decision,
    });
    if (answer.status >= 300 && answer.status < 400) return new URL(answer.headers.get('location'));
    const posted = formsOf(html).find((f) => f.method === 'post' && /^https?:/.test(f.action));
    if (answer.status !== 200 || !posted) throw new Error(`consent answered ${answer.status}: ${html.slice(0, 200)}`);
    return new Request(posted.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(posted.fields),
    });
  }
}

// ---- the checks

async function check(name, body) {
  try {
    const seen = await body();
    console.log(`ok ${name}: ${seen}`);
  } catch (error) {
    const cause = error.cause ? ` (${JSON.stringify(error.cause).slice(0, 300)})` : '';
    console.log(`not ok ${name}: ${error.code ?? error.name}: ${error.message}${cause}`.replace(/\n/g, ' '));
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const insecure = { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] };
const discover = (id, auth, ...more) =>
  client.discovery(issuer, id, undefined, auth, { execute: [...insecure.execute, ...more] });

async function authorizationCode(config, app, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = app.scope.split(' ').includes('openid') ? client.randomNonce() : undefined;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: app.redirect,
    scope: app.scope,
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(nonce ? { nonce } : {}),
    ...extra,
  });
  const landed = await new Person().signIn(url);
  return client.authorizationCodeGrant(config, landed, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    ...(nonce ? { expectedNonce: nonce } : {}),
  });
}

async function rowsOf(config, accessToken) {
  const response = await client.fetchProtectedResource(config, accessToken, CUSTOMERS, 'GET');
  if (response.status !== 200) throw new Error(`the API answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return (await response.json()).value.map((row) => row.Number).join(',');
}

let webPortal;
let portalTokens;

await check('discovery', async () => {
  webPortal = await discover(WEB_PORTAL.id, client.ClientSecretPost(WEB_PORTAL.secret));
  const meta = webPortal.serverMetadata();
  expect(meta.issuer === issuer.href, `issuer ${meta.issuer}`);
  return `issuer ${meta.issuer}, grants ${meta.grant_types_supported}`;
});

await check('web_portal_authorization_code', async () => {
  portalTokens = await authorizationCode(webPortal, WEB_PORTAL);
  const claims = portalTokens.claims();
  expect(claims.sub === 'david' && claims.aud === WEB_PORTAL.id, `ID token ${JSON.stringify(claims)}`);
  expect(portalTokens.refresh_token, 'no refresh token for offline_access');
  return `ID token validated for sub ${claims.sub}, scope ${portalTokens.scope}, expires_in ${portalTokens.expires_in}`;
});

await check('web_portal_api', async () => `rows ${await rowsOf(webPortal, portalTokens.access_token)}`);

await check('web_portal_userinfo', async () => {
  const info = await client.fetchUserInfo(webPortal, portalTokens.access_token, portalTokens.claims().sub);
  expect(info.name === 'David', `userinfo ${JSON.stringify(info)}`);
  return `sub ${info.sub}, name ${info.name}, email ${info.email}`;
});

let refreshed;
await check('web_portal_refresh', async () => {
  refreshed = await client.refreshTokenGrant(webPortal, portalTokens.refresh_token);
  expect(refreshed.access_token !== portalTokens.access_token, 'the same access token again');
  expect(refreshed.refresh_token && refreshed.refresh_token !== portalTokens.refresh_token, 'refresh token not rotated');
  const rows = await rowsOf(webPortal, refreshed.access_token);
  return `rotated, scope ${refreshed.scope}, id_token ${refreshed.id_token ? 'validated' : 'absent'}, rows ${rows}`;
});

await check('web_portal_refresh_id_token', async () => {
  // OpenID Connect Core §12.2; the documentation's renewal sample (auth/samples/basic-renew-access-token.md) has one.
  expect(refreshed.id_token, 'the refresh answer has no id_token');
  const claims = refreshed.claims();
  expect(claims.sub === 'david' && claims.aud === WEB_PORTAL.id, `ID token ${JSON.stringify(claims)}`);
  return `validated, sub ${claims.sub}`;
});

await check('web_portal_refresh_narrowed_scope', async () => {
  // RFC 6749 §6: a refresh may ask for fewer of the granted scopes, and the access token has only those; the
  // refresh token it returns keeps the scope of the one sent ("MUST be identical"), so the next refresh
  // without a scope gets all of it back.
  const narrowed = await client.refreshTokenGrant(webPortal, refreshed.refresh_token, { scope: 'read' });
  const payload = JSON.parse(Buffer.from(narrowed.access_token.split('.')[1], 'base64url'));
  expect(narrowed.scope === 'read', `scope answered ${narrowed.scope}`);
  expect(JSON.stringify(payload.scope) === '["read"]', `access token scope ${JSON.stringify(payload.scope)}`);
  expect(narrowed.refresh_token, 'the narrowed refresh returned no refresh token (rotation: the old one is revoked)');
  const whole = await client.refreshTokenGrant(webPortal, narrowed.refresh_token);
  const granted = new Set(whole.scope?.split(' '));
  expect(WEB_PORTAL.scope.split(' ').every((s) => granted.has(s)), `next refresh scope ${whole.scope}`);
  refreshed = whole;
  return `narrowed to ${narrowed.scope}; next refresh ${whole.scope}`;
});

await check('web_portal_refresh_wider_scope_refused', async () => {
  // RFC 6749 §6: a scope not originally granted is invalid_scope.
  const readOnly = await authorizationCode(webPortal, { ...WEB_PORTAL, scope: 'openid read offline_access' });
  try {
    await client.refreshTokenGrant(webPortal, readOnly.refresh_token, { scope: 'read update' });
  } catch (error) {
    expect(error.error === 'invalid_scope', `refused with ${error.error ?? error.message}`);
    return `refused with ${error.error}`;
  }
  throw new Error('a refresh widened the scope from openid read offline_access to read update');
});

let spa;
await check('spa_authorization_code', async () => {
  spa = await discover(SPA.id, client.None());
  const tokens = await authorizationCode(spa, SPA);
  expect(!tokens.id_token, 'an ID token without openid');
  const rows = await rowsOf(spa, tokens.access_token);
  return `public client, PKCE, scope ${tokens.scope}, refresh token ${tokens.refresh_token ? 'issued' : 'none'}, rows ${rows}`;
});

await check('client_credentials', async () => {
  for (const auth of [client.ClientSecretBasic, client.ClientSecretPost]) {
    const config = await discover(NIGHTLY_SYNC.id, auth(NIGHTLY_SYNC.secret));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
    expect(!tokens.refresh_token, 'a refresh token for Client Credentials');
    expect(tokens.expires_in === 3600 && tokens.token_type.toLowerCase() === 'bearer', JSON.stringify(tokens));
    const rows = await rowsOf(config, tokens.access_token);
    expect(rows === 'S-3001,S-3002', `rows ${rows}`);
  }
  return 'client_secret_basic and client_secret_post, scope read, rows S-3001,S-3002';
});

await check('hybrid_form_post', async () => {
  const config = await discover(WEB_PORTAL.id, client.ClientSecretPost(WEB_PORTAL.secret), client.useCodeIdTokenResponseType);
  const meta = config.serverMetadata();
  expect(meta.response_types_supported?.includes('code id_token'), `response_types ${meta.response_types_supported}`);
  expect(meta.response_modes_supported?.includes('form_post'), `response_modes ${meta.response_modes_supported}`);
  const tokens = await authorizationCode(config, WEB_PORTAL, { response_mode: 'form_post' });
  const claims = tokens.claims();
  return `form post validated (front-channel ID token, c_hash), code exchanged, sub ${claims.sub}`;
});

