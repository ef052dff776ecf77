// A local OpenID Connect provider for the sign-in tests (tests/test_signin_browser.py):
// panva's oidc-provider (an OpenID-certified implementation), on 127.0.0.1 only.
//
//   node tests/oidc/provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET
//
// Its development login form accepts any login (use an e-mail address) with any password;
// the account's claims are sub = email = the login. Consent is granted without a prompt (a
// collectivité's own provider does not ask its agents). Prints "ready <issuer>" once listening.
import Provider from 'oidc-provider';

const [port, redirectUri, clientId, clientSecret] = process.argv.slice(2);
if (!port || !redirectUri || !clientId || !clientSecret) {
  console.error('usage: provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [redirectUri], // where Streamlit's st.logout comes back
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the e-mail in the ID token, where Streamlit reads it
  cookies: { keys: ['territoires-tests-only'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { // sign out without the confirmation page (the session is the test's)
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><body>${form}<script>
          const f = document.forms[0]; const yes = document.createElement('input');
          yes.type = 'hidden'; yes.name = 'logout'; yes.value = 'yes'; f.appendChild(yes);
          f.submit();</script></body></html>`;
      },
    },
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() { return { sub: id, email: id, email_verified: true, name: id }; },
    };
  },
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await Grant.find(grantId);
      if (found) return found;
    }
    const grant = new Grant({ clientId: ctx.oidc.client.clientId,
                              accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
