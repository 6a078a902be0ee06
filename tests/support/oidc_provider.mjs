// A real OpenID Connect provider on loopback for the staff-login tests (node-oidc-provider,
// certified by the OpenID Foundation). Its development login pages accept any login name as
// the subject (`sub`), so a test decides which identity arrives.
//   node oidc_provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET
import path from 'node:path';
import { createRequire } from 'node:module';

const [port, redirectUri, clientId, clientSecret] = process.argv.slice(2);
const require = createRequire(path.join(process.env.FIT_NODE_MODULES, 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, name: id }) }),
  cookies: { keys: ['fit-platform-test-provider-cookie-key'] },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
