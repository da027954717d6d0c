// A real OIDC provider (panva's oidc-provider) shaped like Microsoft Entra ID, for the manager's SSO tests.
//
//   node entra.mjs '{"port":0,"cert":"…pem","key":"…pem","tenant":GUID,"client_id":…,"client_secret":…,"redirect_uri":…}'
//
// Issuer https://localhost:PORT/<tenant>/v2.0 (Entra's v2 path), ID tokens with tid, oid, roles, groups, and an
// overage user whose token carries _claim_names instead of groups, and a user (fred) whose ID token is not valid
// before 60 s after it is issued (`nbf`, as a provider whose clock runs ahead would issue it). PKCE is required; client_credentials is on
// (the manager's "Test connection" proves the secret with it). Prints `listening <port>` when ready.
//
// Test hooks (not Entra behaviour, named as such), under /_test/:
//   POST /_test/rotate       a new RS256 key signs from now on; the JWKS lists new and old (Entra's rollover)
//   POST /_test/redirect?uri=U  the client's redirect URI (a console started after the provider)
//   POST /_test/tamper?m=aud|iss|none   re-signs the provider's own ID token (same key) with a changed
//                            audience or issuer: oidc-provider cannot be told to issue a wrong one
import https from 'node:https';
import fs from 'node:fs';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const cfg = JSON.parse(process.argv[2]);
const tenant = cfg.tenant;
const prefix = `/${tenant}/v2.0`;

const G_OPS = '0c0ffee0-0000-4000-8000-000000000001';
const accounts = {
  alice: { oid: 'a11ce000-0000-4000-8000-000000000001', roles: ['PatchManager.Admin'] },
  oscar: { oid: '05ca2000-0000-4000-8000-000000000002', roles: ['PatchManager.Operator'] },
  nora: { oid: '0000a000-0000-4000-8000-000000000003', roles: [] },
  gina: { oid: '0000b000-0000-4000-8000-000000000004', roles: [], groups: [G_OPS] },
  ozzy: {
    oid: '0000c000-0000-4000-8000-000000000005', roles: [],
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } },
  },
  fred: { oid: '0000f000-0000-4000-8000-000000000006', roles: ['PatchManager.Admin'], nbfIn: 60 },
};

let keys = [];
let tamper = 'none';
let provider;
let port;

async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `k${keys.length + 1}-${Date.now()}`;
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  keys.unshift(jwk); // the first key signs
}

function build() {
  const issuer = `https://localhost:${port}${prefix}`;
  const p = new Provider(issuer, {
    clients: [{
      client_id: cfg.client_id,
      client_secret: cfg.client_secret,
      redirect_uris: [cfg.redirect_uri],
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'openid profile https://graph.microsoft.com/.default',
    }],
    jwks: { keys },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'https://graph.microsoft.com/.default'],
    claims: {
      openid: ['sub', 'tid', 'oid', 'roles', 'groups', '_claim_names', '_claim_sources', 'nbf'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: false,
    ttl: { IdToken: 120 }, // short, so the expiry test needs only a few minutes on the manager's manual clock
    features: { devInteractions: { enabled: true }, clientCredentials: { enabled: true } },
    async findAccount(ctx, id) {
      const a = accounts[id];
      if (!a) return undefined;
      return {
        accountId: id,
        async claims() {
          const { nbfIn, ...rest } = a;
          // oidc-provider signs the ID token with this claim as given (it sets only aud, exp, iat, iss, sub).
          const nbf = nbfIn ? { nbf: Math.floor(Date.now() / 1000) + nbfIn } : {};
          return { sub: id, tid: tenant, name: id, preferred_username: `${id}@contoso.example`, ...rest, ...nbf };
        },
      };
    },
    async loadExistingGrant(ctx) {
      // First-party app: no consent screen (like an Entra app with admin consent granted).
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  });
  p.proxy = false;
  p.use(async (ctx, next) => {
    await next();
    if (tamper === 'none' || !ctx.path.endsWith('/token') || !ctx.body?.id_token) return;
    const claims = jose.decodeJwt(ctx.body.id_token);
    if (tamper === 'aud') claims.aud = '99999999-9999-4999-8999-999999999999';
    if (tamper === 'iss') claims.iss = `https://localhost:${port}/11111111-2222-4333-8444-555555555555/v2.0`;
    const key = await jose.importJWK(keys[0], 'RS256');
    ctx.body = { ...ctx.body, id_token: await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: keys[0].kid, typ: 'JWT' }).sign(key) };
  });
  return p;
}

await newKey();
const server = https.createServer({ cert: fs.readFileSync(cfg.cert), key: fs.readFileSync(cfg.key) });
server.on('request', async (req, res) => {
  const u = new URL(req.url, 'https://x');
  if (u.pathname === '/_test/rotate' && req.method === 'POST') {
    await newKey();
    provider = build();
    res.end(JSON.stringify({ kid: keys[0].kid }));
  } else if (u.pathname === '/_test/redirect' && req.method === 'POST') {
    cfg.redirect_uri = u.searchParams.get('uri');
    provider = build();
    res.end(JSON.stringify({ redirect_uri: cfg.redirect_uri }));
  } else if (u.pathname === '/_test/tamper' && req.method === 'POST') {
    tamper = u.searchParams.get('m') || 'none';
    res.end(JSON.stringify({ tamper }));
  } else if (req.url.startsWith(prefix + '/') || req.url === prefix) {
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length) || '/';
    provider.callback()(req, res);
  } else {
    res.statusCode = 404;
    res.end('not found');
  }
});
server.listen(cfg.port || 0, '127.0.0.1', () => {
  port = server.address().port;
  provider = build();
  console.log(`listening ${port}`);
});
