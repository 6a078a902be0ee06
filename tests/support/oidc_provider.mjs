// A real OpenID Connect provider on loopback for the login tests (node-oidc-provider,
// certified by the OpenID Foundation). Its development login pages accept any login name as
// the subject (`sub`), so a test decides which identity arrives.
//   node oidc_provider.mjs PORT REDIRECT_URIS CLIENT_ID CLIENT_SECRET
// REDIRECT_URIS: one or more, separated by commas.
//
// ID-porten's claims, for the patient login: a login name of eleven digits is also the
// person's national identity number (`pid`, in the ID token as ID-porten sends it), and
// "NAME@LEVEL" logs NAME in at that assurance level (`acr`); without "@" the level is
// idporten-loa-substantial, as a MinID or BankID login at ID-porten gives at least that.
//
// Logout (RP-Initiated Logout 1.0) is on at /session/end: it asks "sign out?" on its own
// page, ends its session and sends the browser back to the client's logged-out page.
import path from 'node:path';
import { createRequire } from 'node:module';

const [port, redirectUris, clientId, clientSecret] = process.argv.slice(2);
const require = createRequire(path.join(process.env.FIT_NODE_MODULES, 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const LEVELS = ['idporten-loa-low', 'idporten-loa-substantial', 'idporten-loa-high'];
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris.split(','),
    // Where its logout may send the browser back to: our two "you are logged out" pages.
    post_logout_redirect_uris: redirectUris.split(',').flatMap((uri) => {
      const origin = new URL(uri).origin;
      return [`${origin}/p/logged-out`, `${origin}/staff/login`];
    }),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  acrValues: LEVELS,
  claims: { openid: ['sub', 'pid'], profile: ['name'] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, name: id, ...(/^\d{11}$/.test(id) ? { pid: id } : {}) }),
  }),
  cookies: { keys: ['fit-platform-test-provider-cookie-key'] },
});

// The development login page sets no `acr`; take it from the login name instead.
const finished = provider.interactionFinished.bind(provider);
provider.interactionFinished = async (req, res, result, options) => {
  if (result.login) {
    const [accountId, level] = String(result.login.accountId).split('@');
    result.login = { ...result.login, accountId, acr: level || 'idporten-loa-substantial' };
  }
  return finished(req, res, result, options);
};
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
