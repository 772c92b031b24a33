// A real OpenID Connect provider on loopback for the sign-in tests: the certified oidc-provider
// package with its development login pages (any password; the login name picks the test user).
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG.json: {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...],
//               "users_file": "users.json"}
// users.json:  {"<login>": {"email": "...", "name": "...", "groups": ["..."]}, ...}, read again at every
//              sign-in, so a test moves a user between groups by rewriting it.
// Listens on a free port of 127.0.0.1 and prints one line, `issuer http://127.0.0.1:PORT`, when ready.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

import { Provider } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function readUsers() {
  return JSON.parse(readFileSync(config.users_file, 'utf8'));
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      post_logout_redirect_uris: config.post_logout_redirect_uris || [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    // The gateway always sends a PKCE challenge: requiring one proves it does.
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'groups'],
    },
    async findAccount(ctx, id) {
      const user = readUsers()[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: user.email,
            email_verified: user.email_verified ?? true,
            name: user.name || id,
            given_name: (user.name || id).split(' ')[0],
            family_name: (user.name || '').split(' ').slice(1).join(' '),
            groups: user.groups || [],
          };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });
  // The development pages @import a web font from Google; nothing in the tests may call out.
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string' && ctx.body.includes('@import url(https:')) {
      ctx.body = ctx.body.replace(/@import url\(https:[^)]*\);?/g, '');
    }
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`issuer ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
