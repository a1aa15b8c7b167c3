// End-to-end test of the Security activity card and the new-device banner
// on the account page, against the real binary in Debian's chromium.
//
//   cd e2e && NTC_BIN=../bin/notechondria-auth node --test security.test.mjs
//
// The events come from the page and from the API: sign-ins from two
// User-Agents (the second is a new device), wrong passwords, "Confirm new
// sign-ins", an API key, "Sign out all other devices", and 55 API key
// rotations through the API so the log has more than one page.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { UA, browserSuite, byId, signIn, storedToken, submitPassword, text, until, waitView } from './harness.mjs';

const USERNAME = 'erin';
const EMAIL = 'erin@example.com';
const PASSWORD = 'Strong5pw';
const DISMISSED_KEY = 'notechondria.newDeviceDismissed';

const s = browserSuite({ prefix: 'ntc-e2e-sec-' });
const { step, apiFetch, newPage } = s;

/** The card's lines once it is not loading: [{type, title, device, thisDevice, count}]. */
async function lines(page) {
  await until('the security card loaded', async () => (await byId(page, 'security-list').getAttribute('aria-busy')) === 'false');
  return page.evaluate(() => Array.from(document.querySelectorAll('[data-testid="security-event"]')).map((li) => {
    const q = (id) => li.querySelector(`[data-testid="${id}"]`);
    return {
      type: li.getAttribute('data-type'),
      title: q('security-event-title').textContent,
      device: q('security-event-device') ? q('security-event-device').textContent : '',
      time: q('security-event-time').textContent,
      exact: q('security-event-time').getAttribute('title'),
      thisDevice: !!q('security-event-this-device'),
      count: Number(li.getAttribute('data-count') || 1),
    };
  }));
}

/** Wait until the card's newest line has title (a string or a RegExp); returns the lines. */
async function newest(page, title) {
  let got = [];
  await until(`the newest security line to be ${title}`, async () => {
    got = await lines(page);
    return got.length > 0 && (title instanceof RegExp ? title.test(got[0].title) : got[0].title === title);
  }).catch((err) => { err.message += `\nlines: ${JSON.stringify(got.map((l) => l.title))}`; throw err; });
  return got;
}

// One example of every event type the OpenAPI enumerates, with its words.
const WORDS = [
  ['login.succeeded', { methods: ['password', 'totp'], new_device: false }, 'Signed in on iPhone · Safari with an authenticator app'],
  ['login.succeeded', { methods: ['passkey'], new_device: true }, 'Signed in on iPhone · Safari with a passkey (new device)'],
  ['login.failed', { reason: 'wrong_second_factor', channel: 'totp' }, 'Failed sign-in attempt (wrong code)'],
  ['login.failed', { reason: 'throttled', refused: 7 }, '7 failed sign-in attempts (too many tries, blocked)'],
  ['second_step.required', { channels: ['totp', 'recovery'] }, 'Correct password entered; a second step was asked for'],
  ['second_step.approved', { channel: 'device' }, 'Sign-in approved on a signed-in device'],
  ['second_step.denied', { channel: 'device', why: 'wrong_number' }, 'Sign-in denied (the wrong number was picked)'],
  ['session.revoked', { cause: 'password_change', count: 3, session_ids: [1, 2, 3] }, 'Signed out 3 sessions after a password change'],
  ['session.revoked', { cause: 'other_session', count: 1, session_ids: [9] }, 'Signed out Mac · Chrome'],
  ['logout', {}, 'Signed out'],
  ['password.changed', { by: 'admin' }, 'Password changed by an administrator'],
  ['password.reset', {}, 'Password reset with an emailed code'],
  ['email.changed', { old: 'a***@example.com', new: 'b***@example.com' }, 'Email address changed from a***@example.com to b***@example.com'],
  ['email.change_reverted', { restored: 'a***@example.com' }, 'Email change undone: back to a***@example.com'],
  ['api_key.rotated', { prefix: 'ntc_abcd' }, 'New API key created (ntc_abcd…)'],
  ['oauth.linked', { provider: 'github' }, 'GitHub sign-in linked'],
  ['oauth.unlinked', { provider: 'google' }, 'Google sign-in unlinked'],
  ['second_factor.added', { kind: 'totp' }, 'Authenticator app turned on'],
  ['second_factor.removed', { kind: 'confirm_new_sign_ins' }, 'Confirm new sign-ins turned off'],
  ['second_factor.removed', { kind: 'passkey' }, 'Passkey removed'],
  ['recovery_codes.regenerated', {}, 'New recovery codes made; the old ones stopped working'],
  ['not_me.reported', { reported_session_id: 9 }, '“This wasn’t me” reported for the sign-in on Mac · Chrome; every device was signed out'],
];

describe('the security activity card and the new-device banner', () => {
  let pageA;
  let pageB;

  before(async () => {
    await s.before();
    await s.createUser(USERNAME, EMAIL, PASSWORD);
  });

  after(() => s.after());

  step('every event type of the OpenAPI has plain words', async () => {
    const spec = JSON.parse(await readFile(new URL('../api/openapi.json', import.meta.url), 'utf8'));
    const types = spec.components.schemas.SecurityEvent.properties.type.enum;
    assert.deepEqual([...new Set(WORDS.map((w) => w[0]))].sort(), [...types].sort(), 'an example of every type');
    const page = await newPage('words');
    await page.goto(`${s.pageBase}/`);
    const got = await page.evaluate(async ([words, ua]) => {
      const { describe } = await import('/assets/security.js');
      return words.map(([type, detail]) => describe(
        { id: 'x', type, at: new Date().toISOString(), device_label: 'iPhone', user_agent: ua, ip_hash_prefix: '', session_id: null, detail },
        { 9: 'Mac · Chrome' }, [{ type, detail }],
      ).title);
    }, [WORDS, UA.iphone]);
    assert.deepEqual(got, WORDS.map((w) => w[2]));
    await s.closePage('words');
  });

  step('the first sign-in is this device, and no banner', async () => {
    pageA = await newPage('A', { viewport: { width: 1280, height: 900 } });
    await pageA.goto(`${s.pageBase}/`);
    await signIn(pageA, USERNAME, PASSWORD);
    const got = await newest(pageA, /^Signed in on Linux · Headless Chrome$/);
    assert.equal(got.length, 1);
    assert.equal(got[0].thisDevice, true, 'the current session is marked');
    assert.ok(got[0].time, 'a relative time');
    assert.match(got[0].exact, /\d{4}/, 'the exact time as its title');
    assert.equal(await byId(pageA, 'new-device-banner').isVisible(), false, 'the first sign-in ever is not a new device');
  });

  step('wrong passwords on an iPhone, then its sign-in: one line for the failures, the banner on the first device', async () => {
    pageB = await newPage('B', { viewport: { width: 390, height: 844 }, userAgent: UA.iphone });
    await pageB.goto(`${s.pageBase}/`);
    for (let i = 1; i <= 3; i++) {
      const answer = pageB.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login/'));
      await submitPassword(pageB, USERNAME, `Wrong${i}pass`);
      assert.equal((await answer).status(), 400, `wrong password ${i} refused`);
      await until('the sign-in button back', async () => !(await byId(pageB, 'signin-submit').isDisabled()));
    }
    await signIn(pageB, USERNAME, PASSWORD);

    // A's page learns of it on a reload (or Refresh).
    await pageA.reload();
    await waitView(pageA, 'account');
    const got = await newest(pageA, 'Signed in on iPhone · Safari (new device)');
    assert.equal(got[0].thisDevice, false);
    assert.equal(got[1].title, '3 failed sign-in attempts (wrong password)');
    assert.equal(got[1].count, 3);
    assert.equal(got[1].device, 'iPhone · Safari');
    assert.equal(got[2].title, 'Signed in on Linux · Headless Chrome');
    assert.equal(got[2].thisDevice, true);

    await byId(pageA, 'new-device-banner').waitFor({ state: 'visible' });
    assert.match(await text(pageA, 'new-device-text'), /^A new device signed in: iPhone · Safari, .+\. Was this you\?$/);
    // The iPhone's own page asks nothing: the sign-in is its own.
    await newest(pageB, 'Signed in on iPhone · Safari (new device)');
    assert.equal(await byId(pageB, 'new-device-banner').isVisible(), false);
  });

  step('"Review activity" scrolls to the card and focuses it; Dismiss is remembered across a reload', async () => {
    await s.shot(pageA, 'security-new-device-banner');
    await byId(pageA, 'new-device-link').click();
    await until('the card focused', () => pageA.evaluate(() => document.activeElement && document.activeElement.id === 'security'));
    assert.equal(new URL(pageA.url()).hash, '#security');
    const box = await pageA.evaluate(() => {
      const r = document.getElementById('security').getBoundingClientRect();
      return { top: r.top, height: window.innerHeight, y: window.scrollY };
    });
    assert.ok(box.top > -2 && box.top < box.height / 2 && box.y > 0, `the card is scrolled into view: ${JSON.stringify(box)}`);
    await s.shot(pageA, 'security-activity', byId(pageA, 'security-card'));

    const id = await byId(pageA, 'new-device-banner').getAttribute('data-event-id');
    await byId(pageA, 'new-device-dismiss').click();
    await byId(pageA, 'new-device-banner').waitFor({ state: 'hidden' });
    assert.deepEqual(await pageA.evaluate((k) => JSON.parse(localStorage.getItem(k)), DISMISSED_KEY), [id]);
    await pageA.reload();
    await waitView(pageA, 'account');
    await newest(pageA, 'Signed in on iPhone · Safari (new device)');
    assert.equal(await byId(pageA, 'new-device-banner').isVisible(), false, 'still dismissed after a reload');
  });

  step('another new device (through the API) brings the banner back; signing out the others is on the card', async () => {
    const login = await apiFetch('POST', 'auth/login/', { body: { identifier: USERNAME, password: PASSWORD }, userAgent: UA.windows });
    assert.equal(login.status, 200);
    await byId(pageA, 'security-refresh').click();
    await newest(pageA, 'Signed in on Windows PC · Edge (new device)');
    await byId(pageA, 'new-device-banner').waitFor({ state: 'visible' });
    assert.match(await text(pageA, 'new-device-text'), /^A new device signed in: Windows PC · Edge, /);

    await byId(pageA, 'sessions-revoke-others').click();
    let got = await newest(pageA, 'Signed out 2 sessions');
    assert.equal(got[0].device, 'Linux · Headless Chrome');
    assert.equal(got[0].thisDevice, true);
    assert.match(await text(pageA, 'new-device-sub'), /signed out since/, 'the banner says the device is signed out now');

    // The iPhone's page is signed out on its next call; a revoke of one session names the device.
    const again = await apiFetch('POST', 'auth/login/', { body: { identifier: USERNAME, password: PASSWORD }, userAgent: UA.mac });
    await byId(pageA, 'sessions-refresh').click();
    const row = pageA.locator(`[data-testid="session-row"][data-session-id="${again.data.session.id}"]`);
    await row.getByTestId('session-revoke').click();
    got = await newest(pageA, 'Signed out Mac · Chrome');
    assert.equal(got[1].title, 'Signed in on Mac · Chrome (new device)');
  });

  step('settings changes appear as they are made', async () => {
    await byId(pageA, 'tf-confirm-toggle').check();
    await newest(pageA, 'Confirm new sign-ins turned on');
    await byId(pageA, 'apikey-rotate').click();
    const got = await newest(pageA, /^New API key created \(ntc_.{4}…\)$/);
    assert.equal(got[0].thisDevice, true);
    assert.equal(got[1].title, 'Confirm new sign-ins turned on');
  });

  step('"Show more" pages through more than 50 events', async () => {
    const token = await storedToken(pageA);
    for (let i = 0; i < 55; i++) {
      const r = await apiFetch('POST', 'auth/rotate-api-key/', { token });
      assert.equal(r.status, 200, `rotation ${i}`);
    }
    await byId(pageA, 'security-refresh').click();
    await until('a full page', async () => (await lines(pageA)).length === 50);
    let got = await lines(pageA);
    assert.ok(got.every((l) => l.type === 'api_key.rotated'));
    await byId(pageA, 'security-more').click();
    await until('the older events', async () => (await lines(pageA)).length > 50);
    got = await lines(pageA);
    const titles = got.map((l) => l.title);
    assert.ok(titles.includes('3 failed sign-in attempts (wrong password)'), titles.join('\n'));
    assert.equal(titles[titles.length - 1], 'Signed in on Linux · Headless Chrome', 'down to the first sign-in');
    assert.equal(await byId(pageA, 'security-more').isVisible(), false, 'no more pages');
    assert.equal(await pageA.evaluate(() => document.activeElement && document.activeElement.id), 'security', 'the focus stays in the card');
  });
});
