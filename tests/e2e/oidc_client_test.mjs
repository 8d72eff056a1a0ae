#!/usr/bin/env node
// openid-client (a certified OpenID Connect relying party library) against `gatehouse serve`:
// discovery, authorization code + PKCE, token, ID-token validation against the JWKS, userinfo,
// refresh with rotation and reuse detection, and a second sign-in across a signing-key rotation
// while the client keeps the JWKS it cached before the rotation. Negative checks: wrong redirect
// URI, PKCE verifier mismatch, a tampered ID token.
//
// Usage: node oidc_client_test.mjs --gatehouse build/gatehouse --deps-dir DIR
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { adminClient, adminToken } from './lib/admin.mjs';
import { runCommand, startServer } from './lib/server.mjs';
import { totp } from './lib/totp.mjs';
import { elementText, formsOf, ScriptedUserAgent } from './lib/user_agent.mjs';
import { installDependencies } from '../npm/install_dependencies.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { gatehouse: null, depsDir: path.join(here, 'npm') };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--gatehouse') args.gatehouse = argv[i + 1];
    else if (argv[i] === '--deps-dir') args.depsDir = argv[i + 1];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.gatehouse) throw new Error('usage: oidc_client_test.mjs --gatehouse BIN [--deps-dir DIR]');
  return args;
}

const step = (text) => console.log(`-- ${text}`);

// Signs `username` in through the HTML pages, from the authorization URL to the redirect back to
// `redirectUri` (returned). Enrols or answers TOTP when Conditional Access asks for MFA.
async function signInThroughPages(ua, authorizationUrl, redirectUri, { username, password, totpState }) {
  let page = await ua.follow(authorizationUrl, { stopPrefix: redirectUri });
  for (let rounds = 0; rounds < 6; rounds++) {
    if (page.location && page.location.startsWith(redirectUri)) return page.location;
    const kind = (/data-page="([^"]+)"/.exec(page.html) || [])[1];
    const forms = formsOf(page.html, page.url);
    let form;
    if (kind === 'sign-in') {
      form = forms.find((f) => f.id === 'sign-in-form');
      Object.assign(form.fields, { username, password });
    } else if (kind === 'continue') {
      form = forms.find((f) => f.id === 'continue-form');
    } else if (kind === 'mfa-enroll' || kind === 'mfa') {
      if (kind === 'mfa-enroll') totpState.secret = elementText(page.html, 'totp-secret');
      assert.ok(totpState.secret, 'a TOTP secret from the enrolment page');
      // A code is accepted once per 30-second step: wait for a fresh step when one was used.
      let code = totp(totpState.secret);
      while (code === totpState.lastCode) {
        await new Promise((r) => setTimeout(r, 1000));
        code = totp(totpState.secret);
      }
      totpState.lastCode = code;
      form = forms.find((f) => f.id === 'totp-form');
      form.fields.code = code;
    } else {
      throw new Error(`unexpected page ${kind} (HTTP ${page.status}):\n${page.html.slice(0, 2000)}`);
    }
    assert.ok(form, `the form of page ${kind}`);
    page = await ua.follow(form.action, { method: 'POST', form: form.fields, stopPrefix: redirectUri });
  }
  throw new Error('the sign-in did not come back to the client');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  installDependencies(here, args.depsDir);
  const require = createRequire(path.join(path.resolve(args.depsDir), 'package.json'));
  const client = await import(require.resolve('openid-client'));

  const server = await startServer({ binary: args.gatehouse });
  try {
    const admin = adminClient(server.url, await adminToken(server.url, 'gatehouse-bootstrap',
                                                            server.bootstrapSecret));
    step('register a user with a password and a confidential web client');
    const password = 'e2e-Correct-Horse-42';
    const user = await admin('POST', '/v1.0/users', {
      displayName: 'RP Test', userPrincipalName: 'rp.test@contoso.example', accountEnabled: true,
      passwordProfile: { password, forceChangePasswordNextSignIn: false },
    });
    assert.equal(user.status, 201, user.text);
    assert.equal(user.json.passwordProfile?.password, undefined, 'the password is never returned');
    const redirectUri = 'http://127.0.0.1:9/callback';
    const app = await admin('POST', '/v1.0/applications', {
      displayName: 'openid-client e2e', web: { redirectUris: [redirectUri] },
    });
    assert.equal(app.status, 201, app.text);
    const clientId = app.json.appId;
    const secret = await admin('POST', `/v1.0/applications/${clientId}/addPassword`,
                               { passwordCredential: { displayName: 'e2e' } });
    assert.equal(secret.status, 200, secret.text);

    // Every request the client library makes goes through this fetch: JWKS downloads are counted.
    let jwksFetches = 0;
    let tamperIdToken = false;
    const countingFetch = async (url, options) => {
      if (String(url).includes('jwks')) jwksFetches++;
      const response = await fetch(url, options);
      if (!tamperIdToken || !String(url).endsWith('/token')) return response;
      const body = await response.json();
      const [h, p, s] = body.id_token.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url'));
      payload.sub = 'someone-else';
      body.id_token = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
      return new Response(JSON.stringify(body), { status: response.status,
                                                  headers: { 'content-type': 'application/json' } });
    };

    step('discovery');
    const config = await client.discovery(new URL(server.url), clientId, secret.json.secretText,
                                          undefined, { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] });
    config[client.customFetch] = countingFetch;
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, server.url);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);

    // One browser session for every flow: after the first sign-in (password + MFA) the session
    // cookie gives single sign-on, as in a real browser.
    const ua = new ScriptedUserAgent();
    const totpState = {};
    async function authorizationCodeFlow({ verifierOverride } = {}) {
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid profile email offline_access',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256', state, nonce,
      });
      const back = await signInThroughPages(ua, url.toString(), redirectUri,
                                            { username: 'rp.test@contoso.example', password, totpState });
      return client.authorizationCodeGrant(config, new URL(back), {
        pkceCodeVerifier: verifierOverride ?? codeVerifier, expectedState: state, expectedNonce: nonce,
      });
    }

    step('authorization code + PKCE, ID token validated against the JWKS');
    const tokens = await authorizationCodeFlow();
    const claims = tokens.claims();
    assert.equal(claims.sub, user.json.id);
    assert.equal(claims.aud, clientId);
    assert.equal(claims.iss, server.url);
    assert.ok(Array.isArray(claims.amr) && claims.amr.includes('pwd'), `amr ${JSON.stringify(claims.amr)}`);
    assert.equal(claims.deviceid, undefined, 'no device identity was presented');
    assert.ok(tokens.refresh_token, 'a refresh token');
    assert.equal(jwksFetches, 1, 'the JWKS was fetched once');
    const firstKid = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).kid;

    step('userinfo');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.sub, claims.sub);
    assert.equal(info.preferred_username, 'rp.test@contoso.example');

    step('refresh rotates the refresh token; reuse of the old one revokes the family');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, claims.sub);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token),
                         (e) => e.error === 'invalid_grant');
    await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token),
                         (e) => e.error === 'invalid_grant', 'the whole family is revoked');

    step('PKCE verifier mismatch is refused');
    await assert.rejects(authorizationCodeFlow({ verifierOverride: client.randomPKCECodeVerifier() }),
                         (e) => e.error === 'invalid_grant');

    step('a tampered ID token is refused by the client');
    tamperIdToken = true;
    await assert.rejects(authorizationCodeFlow(), (e) => /signature/i.test(`${e.message} ${e.cause?.message ?? ''}`));
    tamperIdToken = false;

    step('wrong redirect URI: error page, no redirect');
    const bad = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:9/other', scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256', state: 's',
    });
    const badPage = await ua.request(bad.toString());
    assert.equal(badPage.status, 400);
    assert.equal(badPage.location, null);
    assert.equal(elementText(badPage.html, 'error-code'), '50011');

    step('key rotation while the client holds its cached JWKS');
    const jwksBefore = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
    const rotated = await runCommand(args.gatehouse, ['keys', 'rotate', '--data-dir', server.dataDir,
                                                      '--min-next-publication-seconds', '0']);
    assert.equal(rotated.code, 0, rotated.stderr);
    // The server follows the store: wait until it signs with another key.
    let after = null;
    for (let i = 0; i < 50; i++) {
      after = await authorizationCodeFlow();
      const kid = JSON.parse(Buffer.from(after.id_token.split('.')[0], 'base64url')).kid;
      if (kid !== firstKid) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const newKid = JSON.parse(Buffer.from(after.id_token.split('.')[0], 'base64url')).kid;
    assert.notEqual(newKid, firstKid, 'tokens are signed with the next key after the rotation');
    assert.ok(jwksBefore.keys.some((k) => k.kid === newKid),
              'the new signing key was published before it signed anything');
    assert.equal(after.claims().sub, claims.sub);
    assert.equal(jwksFetches, 1, 'the client validated the new token with the JWKS it had cached');
    console.log('PASS openid-client relying party');
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
