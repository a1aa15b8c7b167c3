// End-to-end test of passkeys on the account page, against the real binary
// in Debian's chromium, with Chromium's virtual authenticator (DevTools
// protocol, WebAuthn domain: a CTAP2 platform authenticator with resident
// keys and user verification).
//
//   cd e2e && NTC_BIN=../bin/notechondria-auth node --test passkeys.test.mjs
//
// WebAuthn refuses an IP address as the relying party, so the page is
// opened at http://localhost:<port> (the server's default relying party is
// localhost, and any http://localhost:PORT origin); the test's own API
// calls still go to 127.0.0.1.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, byId, signIn, storedToken, submitPassword, text, until, waitView } from './harness.mjs';

const USERNAME = 'dave';
const EMAIL = 'dave@example.com';
const PASSWORD = 'Strong4pw';

const s = browserSuite({ prefix: 'ntc-e2e-pk-', pageHost: 'localhost' });
const { step, apiFetch, newPage } = s;

/** A virtual platform authenticator on page: {cdp, id}. */
async function addAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function credentials(authn) {
  return (await authn.cdp.send('WebAuthn.getCredentials', { authenticatorId: authn.id })).credentials;
}

async function signOut(page) {
  await byId(page, 'signout-button').click();
  await waitView(page, 'signin');
}

async function currentMethods(page) {
  const list = await apiFetch('GET', 'auth/sessions/', { token: await storedToken(page) });
  return list.data.sessions.find((x) => x.is_current).auth_methods;
}

async function summary(page) {
  return (await apiFetch('GET', 'auth/2fa/', { token: await storedToken(page) })).data;
}

describe('passkeys on the account page', () => {
  let page;
  let authn;

  before(async () => {
    await s.before();
    await s.createUser(USERNAME, EMAIL, PASSWORD);
  });

  after(() => s.after());

  step('add a named passkey with the virtual authenticator; a second one on the same device is refused', async () => {
    page = await newPage('A', { viewport: { width: 1280, height: 900 } });
    authn = await addAuthenticator(page);
    await page.goto(`${s.pageBase}/`);
    assert.equal(await byId(page, 'signin-passkey').isVisible(), true, 'the sign-in form offers a passkey');
    await signIn(page, USERNAME, PASSWORD);
    await byId(page, 'pk-empty').waitFor({ state: 'visible' });
    assert.equal(await byId(page, 'pk-unsupported').isVisible(), false);

    await byId(page, 'pk-name').fill('Test laptop');
    await byId(page, 'pk-add').click();
    await until('the passkey in the list', async () => (await byId(page, 'pk-row').count()) === 1);
    assert.equal(await text(page, 'pk-row-name'), 'Test laptop');
    assert.match(await text(page, 'pk-row-meta'), /^Added .+ · not used yet$/);
    assert.match(await text(page, 'pk-message'), /Passkey “Test laptop” added/);
    assert.equal(await byId(page, 'pk-name').inputValue(), '', 'the name field is cleared');
    await s.shot(page, 'passkeys-card', byId(page, 'passkeys-card'));
    const creds = await credentials(authn);
    assert.equal(creds.length, 1, 'one credential on the authenticator');
    assert.equal(creds[0].isResidentCredential, true, 'a discoverable credential');
    const sum = await summary(page);
    assert.equal(sum.passkeys, 1);
    assert.ok(sum.channels.includes('passkey'));

    // The server excludes the account's passkeys: this authenticator refuses a second one.
    await byId(page, 'pk-add').click();
    await until('the refusal', async () => /already has a passkey/.test(await text(page, 'pk-message')));
    assert.equal(await byId(page, 'pk-row').count(), 1);
    assert.equal((await credentials(authn)).length, 1);
  });

  step('sign out, then sign in with the passkey alone', async () => {
    await signOut(page);
    await s.shot(page, 'signin-passkey');
    await byId(page, 'signin-passkey').click();
    await waitView(page, 'account');
    assert.equal(await text(page, 'account-name'), USERNAME);
    assert.deepEqual(await currentMethods(page), ['passkey']);
    await until('last used shown', async () => /last used/.test(await text(page, 'pk-row-meta')));
  });

  step('a password sign-in asks for the passkey as its second step', async () => {
    await signOut(page);
    await submitPassword(page, USERNAME, PASSWORD);
    await waitView(page, 'second');
    assert.equal(await byId(page, 'second-passkey').isVisible(), true, 'the passkey channel is open');
    assert.equal(await byId(page, 'second-others').locator('[data-channel]').count(), 0, 'no other channel');
    await byId(page, 'second-passkey-use').click();
    await waitView(page, 'account');
    assert.deepEqual(await currentMethods(page), ['password', 'passkey']);
  });

  step('remove the passkey after confirming it\'s you with the passkey; its copy no longer signs in; the password alone does', async () => {
    // A 2-second re-authentication window, so removing needs a step-up.
    await s.restart(['--reauth-window', '2s']);
    const token = await storedToken(page);
    await until('the session to need a step-up', async () => {
      const res = await apiFetch('PATCH', 'auth/2fa/', { token, body: {} });
      return res.status === 403 && res.data && res.data.reauth_required === true;
    }, 10000, 200);
    await page.reload();
    await waitView(page, 'account');
    await until('the passkey listed', async () => (await byId(page, 'pk-row').count()) === 1);
    await byId(page, 'pk-remove').click();
    await byId(page, 'pk-remove-confirm').waitFor({ state: 'visible' });
    await byId(page, 'pk-remove-yes').click();
    await byId(page, 'stepup-dialog').waitFor({ state: 'visible' });
    await byId(page, 'stepup-passkey').waitFor({ state: 'visible' });
    await byId(page, 'stepup-passkey').click();
    await byId(page, 'stepup-dialog').waitFor({ state: 'hidden' });
    await byId(page, 'pk-empty').waitFor({ state: 'visible' });
    assert.match(await text(page, 'pk-message'), /Passkey “Test laptop” removed\./);
    assert.equal((await summary(page)).passkeys, 0);

    await signOut(page);
    assert.equal((await credentials(authn)).length, 1, 'the authenticator still holds it');
    await byId(page, 'signin-passkey').click();
    await until('the refusal', async () => /Passkey rejected/.test(await text(page, 'signin-message')));
    assert.doesNotMatch(await text(page, 'signin-message'), /Credential:/, 'no field name in the message');
    assert.equal(await byId(page, 'view-signin').isVisible(), true);

    await signIn(page, USERNAME, PASSWORD); // one step again
    assert.equal(await currentMethods(page), undefined, 'no second factor left: the 0.1.65 session shape, no auth_methods');
  });
});
