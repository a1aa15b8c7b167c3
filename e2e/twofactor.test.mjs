// End-to-end test of two-step sign-in on the account page, against the real
// binary in Debian's chromium (the same harness as account.test.mjs).
//
//   cd e2e && NTC_BIN=../bin/notechondria-auth node --test twofactor.test.mjs
//
// It enrols an authenticator app through the page (the test computes the
// codes from the key the page shows: RFC 6238, SHA-1, 6 digits, 30 s), signs
// in with password + code, sees a replayed code refused, signs in with a
// recovery code, approves and denies a pending sign-in of a second browser
// context by number from the first, signs in with an emailed code (read
// from the development mail log), goes back to the password form when the
// challenge is gone, and confirms it's the user (password, then an app
// code) before changes that need a recent sign-in: for that part the server
// is restarted with a 2-second --reauth-window on the same database.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  UA, browserSuite, byId, sessionRows, signIn, storedToken, submitPassword, text, totpAt, until, visible, waitView,
} from './harness.mjs';

const USERNAME = 'carol';
const EMAIL = 'carol@example.com';
const PASSWORD = 'Strong3pw';

const s = browserSuite({ prefix: 'ntc-e2e-2fa-' });
const { step, apiFetch, newPage } = s;

const shot = s.shot; // two-step screens, for the README

// ------------------------------------------------------------------ TOTP in the test

const stepNow = () => Math.floor(Date.now() / 30000);
let lastStep = 0; // the server refuses a step at or before the last one used

/**
 * A code the server accepts now and has not seen: the current step, or the
 * next (one step of skew) when the current one was used; waits for the
 * clock when both were.
 */
async function freshCode(secret) {
  await until('a TOTP step not used yet', () => stepNow() + 1 > lastStep, 65000, 250);
  const n = Math.max(stepNow(), lastStep + 1);
  lastStep = n;
  return totpAt(secret, n);
}

/** A code that is certainly wrong: the right one with its last digit changed. */
const wrong = (code) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10);

// ------------------------------------------------------------------ page steps

/** Sign in with the password and wait for the second step. */
async function toSecondStep(page) {
  await submitPassword(page, USERNAME, PASSWORD);
  await waitView(page, 'second');
}

async function signOut(page) {
  await byId(page, 'signout-button').click();
  await waitView(page, 'signin');
}

/** The channels offered, in the page's order: the open one, then the "other ways". */
async function channelsShown(page) {
  return page.evaluate(() => {
    const open = Array.from(document.querySelectorAll('#view-second .second-panel')).filter((p) => !p.hidden).map((p) => p.id.replace('second-', ''));
    const others = Array.from(document.querySelectorAll('#second-others [data-channel]')).map((b) => b.getAttribute('data-channel'));
    return { open, others };
  });
}

/** Pick "Approve on another device" on page and return the number it shows. */
async function deviceNumber(page) {
  await byId(page, 'second-use-device').click();
  await byId(page, 'second-device-start').click();
  await byId(page, 'second-device-number').waitFor({ state: 'visible' });
  const n = await text(page, 'second-device-number');
  assert.match(n, /^\d{2}$/, 'a two-digit number');
  assert.match(await text(page, 'second-device-wait'), /Open Notechondria on a device you’re signed in on and pick this number\./);
  return n;
}

/** The card of the one pending sign-in on page (the sessions card polls every 3 s). */
async function pendingCard(page) {
  const card = byId(page, 'pending-signin');
  await card.first().waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await card.count(), 1, 'one pending sign-in');
  return card.first();
}

/** Wait until page is stale for step-up: the server answers reauth_required. */
async function untilStale(page) {
  const token = await storedToken(page);
  await until('the session to need a step-up', async () => {
    const res = await apiFetch('PATCH', 'auth/2fa/', { token, body: {} });
    return res.status === 403 && res.data && res.data.reauth_required === true;
  }, 10000, 200);
}

// ------------------------------------------------------------------ the run

describe('two-step sign-in on the account page', () => {
  let pageA;     // the first device: enrols, approves
  let pageB;     // a second browser context, another User-Agent: the "new device"
  let secret;
  let codes;

  before(async () => {
    await s.before();
    await s.createUser(USERNAME, EMAIL, PASSWORD);
  });

  after(() => s.after());

  step('signed in with a password only: the card says nothing is on', async () => {
    pageA = await newPage('A', { viewport: { width: 1280, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    await pageA.goto(`${s.pageBase}/`);
    const unlabeled = await pageA.evaluate(() => Array.from(document.querySelectorAll('input'))
      .filter((i) => !i.labels || i.labels.length === 0).map((i) => i.id || i.name));
    assert.deepEqual(unlabeled, [], 'inputs without a label');
    await signIn(pageA, USERNAME, PASSWORD);
    await until('the two-step card loaded', async () => (await byId(pageA, 'tf-totp-status').getAttribute('data-state')) === 'off');
    assert.match(await text(pageA, 'tf-totp-status'), /^Off\./);
    assert.equal(await visible(pageA, 'tf-recovery'), false, 'no recovery codes without an app');
    assert.equal(await byId(pageA, 'tf-confirm-toggle').isChecked(), false);
    assert.equal(await byId(pageA, 'tf-confirm-toggle').isDisabled(), false);
  });

  step('enrol an authenticator app: QR code, key, a wrong code, the right one, recovery codes once', async () => {
    await byId(pageA, 'tf-totp-setup').click();
    await byId(pageA, 'tf-enrol').waitFor({ state: 'visible' });
    // The QR code is the server's SVG in an <img> (a data: URL the CSP allows) and it rendered.
    const src = await byId(pageA, 'tf-qr').getAttribute('src');
    assert.ok(src.startsWith('data:image/svg+xml;charset=utf-8,%3Csvg'), `QR code as an SVG data: URL (got ${src.slice(0, 40)})`);
    await until('the QR code to load', () => byId(pageA, 'tf-qr').evaluate((img) => img.complete && img.naturalWidth > 0));
    await shot(pageA, 'twofactor-enrol', byId(pageA, 'twofactor-card'));
    secret = (await text(pageA, 'tf-secret')).replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit base32 key, shown as text');

    await byId(pageA, 'tf-secret-copy').click();
    await until('copy confirmation', async () => /copied|Ctrl\+C/.test(await text(pageA, 'tf-message')));
    const clip = await pageA.evaluate(() => navigator.clipboard.readText()).catch(() => null);
    if (clip !== null) assert.equal(clip, secret, 'the clipboard holds the key without spaces');

    // A wrong code: the server's field error next to the input; still off.
    await byId(pageA, 'tf-confirm-code').fill(wrong(totpAt(secret, stepNow())));
    await byId(pageA, 'tf-confirm-submit').click();
    await byId(pageA, 'tf-confirm-code-error').waitFor({ state: 'visible' });
    assert.match(await text(pageA, 'tf-confirm-code-error'), /does not match/);
    assert.equal(await byId(pageA, 'tf-confirm-code').getAttribute('aria-invalid'), 'true');

    await byId(pageA, 'tf-confirm-code').fill(await freshCode(secret));
    await byId(pageA, 'tf-confirm-submit').click();
    await byId(pageA, 'tf-codes').waitFor({ state: 'visible' });
    codes = await byId(pageA, 'tf-code').allTextContents();
    await shot(pageA, 'twofactor-recovery-codes', byId(pageA, 'twofactor-card'));
    assert.equal(codes.length, 10, 'ten recovery codes');
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    assert.match(await text(pageA, 'tf-message'), /authenticator app is on/);
    await until('the card to say on', async () => (await byId(pageA, 'tf-totp-status').getAttribute('data-state')) === 'on');
    assert.equal(await byId(pageA, 'tf-recovery-status').getAttribute('data-left'), '10');
    assert.equal(await visible(pageA, 'tf-enrol'), false);
    assert.equal(await visible(pageA, 'tf-totp-off'), true);

    // Download: a text file made from a Blob URL, with every code.
    const [download] = await Promise.all([pageA.waitForEvent('download'), byId(pageA, 'tf-codes-download').click()]);
    assert.equal(download.suggestedFilename(), 'notechondria-recovery-codes.txt');
    assert.match(download.url(), /^blob:/);
    const file = await readFile(await download.path(), 'utf8');
    for (const c of codes) assert.ok(file.includes(c), `the file has ${c}`);
    assert.match(file, /carol/);

    // "I've saved them": gone from the page, for good.
    await byId(pageA, 'tf-codes-done').click();
    assert.equal(await visible(pageA, 'tf-codes'), false);
    assert.equal((await pageA.content()).includes(codes[0]), false, 'the codes are no longer in the page');
    await pageA.reload();
    await waitView(pageA, 'account');
    await until('the card to say on after a reload', async () => (await byId(pageA, 'tf-totp-status').getAttribute('data-state')) === 'on');
    assert.equal(await visible(pageA, 'tf-codes'), false);
  });

  let usedCode;
  step('sign out, sign in with password + authenticator code; the same code again is refused', async () => {
    await signOut(pageA);
    await toSecondStep(pageA);
    assert.deepEqual(await channelsShown(pageA), { open: ['totp'], others: ['recovery'] }, 'the server offers totp, then recovery');
    assert.equal(await pageA.evaluate(() => document.activeElement && document.activeElement.id), 'second-totp-code', 'the code field has focus');
    assert.equal(await storedToken(pageA), null, 'no token before the second step');

    usedCode = await freshCode(secret);
    await byId(pageA, 'second-totp-code').fill(usedCode);
    await byId(pageA, 'second-totp').getByRole('button', { name: 'Verify and sign in' }).click();
    await waitView(pageA, 'account');
    const token = await storedToken(pageA);
    const list = await apiFetch('GET', 'auth/sessions/', { token });
    assert.deepEqual(list.data.sessions.find((x) => x.is_current).auth_methods, ['password', 'totp']);

    // Replay: the same code, inside its window, in a fresh sign-in.
    await signOut(pageA);
    await toSecondStep(pageA);
    await byId(pageA, 'second-totp-code').fill(usedCode);
    await byId(pageA, 'second-totp').getByRole('button', { name: 'Verify and sign in' }).click();
    await byId(pageA, 'second-totp-code-error').waitFor({ state: 'visible' });
    assert.match(await text(pageA, 'second-totp-code-error'), /already used/);
    assert.equal(await visible(pageA, 'view-second'), true, 'still on the second step');
    assert.equal(await storedToken(pageA), null);
  });

  step('sign in with a recovery code (the second step is still open)', async () => {
    await byId(pageA, 'second-use-recovery').click();
    assert.deepEqual(await channelsShown(pageA), { open: ['recovery'], others: ['totp'] });
    await byId(pageA, 'second-recovery-code').fill(codes[0].toUpperCase());
    await byId(pageA, 'second-recovery').getByRole('button', { name: 'Verify and sign in' }).click();
    await waitView(pageA, 'account');
    await until('9 codes left', async () => (await byId(pageA, 'tf-recovery-status').getAttribute('data-left')) === '9');
    assert.match(await text(pageA, 'tf-recovery-status'), /^9 unused codes left/);
  });

  step('confirm new sign-ins; approve a second context\'s sign-in by its number', async () => {
    await byId(pageA, 'tf-confirm-toggle').check();
    await until('confirmation turned on', async () => /now need a confirmation/.test(await text(pageA, 'tf-message')));
    assert.equal(await byId(pageA, 'tf-confirm-toggle').isChecked(), true);
    assert.equal(await visible(pageA, 'stepup-dialog'), false, 'a fresh session needs no step-up');

    pageB = await newPage('B', { viewport: { width: 390, height: 844 }, colorScheme: 'dark', userAgent: UA.mac });
    await pageB.goto(`${s.pageBase}/`);
    await toSecondStep(pageB);
    assert.deepEqual(await channelsShown(pageB), { open: ['totp'], others: ['device', 'email', 'recovery'] });
    const number = await deviceNumber(pageB);
    assert.match(await text(pageB, 'second-device-status'), /Waiting/);
    await shot(pageB, 'signin-device-number');

    const card = await pendingCard(pageA);
    assert.equal(await card.getByTestId('pending-device').textContent(), 'Mac · Chrome');
    assert.match(await card.textContent(), /A new sign-in from Mac · Chrome is waiting\. Which number does it show\?/);
    const choices = await card.getByTestId('pending-number').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-number')));
    assert.equal(choices.length, 3, 'three choices');
    assert.ok(choices.includes(number), `the right number ${number} is among ${choices}`);
    assert.equal(await card.getByTestId('pending-deny').count(), 1);
    await shot(pageA, 'sessions-pending-signin', byId(pageA, 'sessions-card'));
    await card.locator(`[data-number="${number}"]`).click();
    await until('approval confirmed on A', async () => /Sign-in approved/.test(await text(pageA, 'sessions-message')));
    assert.equal(await byId(pageA, 'pending-signin').count(), 0, 'the card is gone');

    // B's polling picks the approval up and it ends signed in.
    await waitView(pageB, 'account');
    assert.equal(await text(pageB, 'account-name'), USERNAME);
    const list = await apiFetch('GET', 'auth/sessions/', { token: await storedToken(pageB) });
    assert.deepEqual(list.data.sessions.find((x) => x.is_current).auth_methods, ['password', 'device']);
    await sessionRows(pageA, 2); // A reloads its list after an approval
  });

  step('deny a pending sign-in, and a wrong number denies it too', async () => {
    await signOut(pageB);
    await toSecondStep(pageB);
    await deviceNumber(pageB);
    let card = await pendingCard(pageA);
    await card.getByTestId('pending-deny').click();
    await until('deny confirmed on A', async () => /Sign-in denied/.test(await text(pageA, 'sessions-message')));
    assert.equal(await byId(pageA, 'pending-signin').count(), 0);
    await waitView(pageB, 'signin');
    assert.match(await text(pageB, 'app-notice'), /denied on a signed-in device/);
    assert.equal(await byId(pageB, 'signin-identifier').inputValue(), USERNAME, 'the identifier is kept');
    assert.equal(await storedToken(pageB), null);

    await submitPassword(pageB, USERNAME, PASSWORD);
    await waitView(pageB, 'second');
    const number = await deviceNumber(pageB);
    card = await pendingCard(pageA);
    const other = (await card.getByTestId('pending-number').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-number')))).find((n) => n !== number);
    await card.locator(`[data-number="${other}"]`).click();
    await until('the wrong number explained on A', async () => /not the number the new device shows/.test(await text(pageA, 'sessions-message')));
    assert.equal(await byId(pageA, 'pending-signin').count(), 0);
    await waitView(pageB, 'signin');
    assert.match(await text(pageB, 'app-notice'), /denied/);
  });

  step('sign in with an emailed code (read from the server log); a wrong one is refused', async () => {
    await submitPassword(pageB, USERNAME, PASSWORD);
    await waitView(pageB, 'second');
    await byId(pageB, 'second-use-email').click();
    const mark = s.server.lines.length;
    await byId(pageB, 'second-email-send').click();
    await byId(pageB, 'second-email-form').waitFor({ state: 'visible' });
    assert.equal(await text(pageB, 'second-email-sent'), 'We sent a 6-digit code to c***@example.com.');
    const { code } = await s.waitForMail(EMAIL, mark);

    await byId(pageB, 'second-email-code').fill(wrong(code));
    await byId(pageB, 'second-email-form').getByRole('button', { name: 'Verify and sign in' }).click();
    await byId(pageB, 'second-email-code-error').waitFor({ state: 'visible' });
    assert.match(await text(pageB, 'second-email-code-error'), /not correct/);

    await byId(pageB, 'second-email-code').fill(code);
    await byId(pageB, 'second-email-form').getByRole('button', { name: 'Verify and sign in' }).click();
    await waitView(pageB, 'account');
    const list = await apiFetch('GET', 'auth/sessions/', { token: await storedToken(pageB) });
    assert.deepEqual(list.data.sessions.find((x) => x.is_current).auth_methods, ['password', 'email']);
  });

  step('a challenge that is gone sends the page back to the password form', async () => {
    await signOut(pageB);
    const [login] = await Promise.all([
      pageB.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login/')),
      toSecondStep(pageB),
    ]);
    const { challenge_id: id } = await login.json();
    // The challenge is spent elsewhere (same client: loopback address, B's User-Agent).
    const spent = await apiFetch('POST', 'auth/2fa/verify/', { userAgent: UA.mac, body: { challenge_id: id, channel: 'recovery', code: codes[1] } });
    assert.equal(spent.status, 200, JSON.stringify(spent.data));
    assert.equal((await apiFetch('POST', 'auth/logout/', { token: spent.data.token })).status, 204);

    await byId(pageB, 'second-totp-code').fill('123456');
    await byId(pageB, 'second-totp').getByRole('button', { name: 'Verify and sign in' }).click();
    await waitView(pageB, 'signin');
    assert.match(await text(pageB, 'app-notice'), /unknown, expired, already used/);
    assert.equal(await pageB.evaluate(() => document.activeElement && document.activeElement.id), 'signin-password');

    // "Back to sign in" leaves the second step too.
    await toSecondStep(pageB);
    await byId(pageB, 'second-cancel').click();
    await waitView(pageB, 'signin');
    await signInWithEmailCode(pageB);
  });

  step('step-up: confirm it\'s you (password) before new recovery codes; then sign out the others', async () => {
    await s.restart(['--reauth-window', '2s']);
    await untilStale(pageA);
    await byId(pageA, 'tf-recovery-new').click();
    await byId(pageA, 'tf-recovery-yes').click();
    await byId(pageA, 'stepup-dialog').waitFor({ state: 'visible' });
    assert.equal(await pageA.evaluate(() => document.activeElement && document.activeElement.id), 'stepup-password');
    assert.equal(await visible(pageA, 'stepup-switch'), true, 'the app is offered instead of the password');
    await shot(pageA, 'stepup-dialog');

    await byId(pageA, 'stepup-password').fill('Wrong1pw');
    await byId(pageA, 'stepup-submit').click();
    await byId(pageA, 'stepup-password-error').waitFor({ state: 'visible' });
    assert.match(await text(pageA, 'stepup-password-error'), /password is not correct/);

    await byId(pageA, 'stepup-password').fill(PASSWORD);
    await byId(pageA, 'stepup-submit').click();
    await byId(pageA, 'stepup-dialog').waitFor({ state: 'hidden' });
    await byId(pageA, 'tf-codes').waitFor({ state: 'visible' });
    const fresh = await byId(pageA, 'tf-code').allTextContents();
    assert.equal(fresh.length, 10);
    assert.deepEqual(fresh.filter((c) => codes.includes(c)), [], 'all new codes');
    assert.match(await text(pageA, 'tf-message'), /old ones no longer work/);
    codes = fresh;
    await byId(pageA, 'tf-codes-done').click();

    // The other session (B) is offered a sign-out.
    await byId(pageA, 'tf-signout-offer').waitFor({ state: 'visible' });
    await byId(pageA, 'tf-signout-others').click();
    await until('sign-out confirmed', async () => /Signed out 1 other device\./.test(await text(pageA, 'tf-message')));
    await sessionRows(pageA, 1);
    await pageB.reload();
    await waitView(pageB, 'signin');
  });

  step('step-up with an authenticator code to turn the app off; cancelling leaves a setting as it was', async () => {
    await untilStale(pageA);
    await byId(pageA, 'tf-totp-off').click();
    await byId(pageA, 'tf-totp-off-yes').click();
    await byId(pageA, 'stepup-dialog').waitFor({ state: 'visible' });
    await byId(pageA, 'stepup-switch').click();
    assert.equal(await visible(pageA, 'stepup-password'), false);
    await byId(pageA, 'stepup-code').fill(await freshCode(secret));
    await byId(pageA, 'stepup-submit').click();
    await byId(pageA, 'stepup-dialog').waitFor({ state: 'hidden' });
    await until('the card to say off', async () => (await byId(pageA, 'tf-totp-status').getAttribute('data-state')) === 'off');
    assert.match(await text(pageA, 'tf-message'), /authenticator app is off/);
    assert.equal(await visible(pageA, 'tf-recovery'), false);

    // Turning "Confirm new sign-ins" off needs a step-up too; Cancel keeps it on.
    await untilStale(pageA);
    await byId(pageA, 'tf-confirm-toggle').uncheck();
    await byId(pageA, 'stepup-dialog').waitFor({ state: 'visible' });
    await byId(pageA, 'stepup-cancel').click();
    await byId(pageA, 'stepup-dialog').waitFor({ state: 'hidden' });
    await until('the toggle back on', () => byId(pageA, 'tf-confirm-toggle').isChecked());
    assert.equal(await text(pageA, 'tf-message'), '', 'no error after a cancel');
    const summary = await apiFetch('GET', 'auth/2fa/', { token: await storedToken(pageA) });
    assert.equal(summary.data.confirm_new_sign_ins, true);
    assert.equal(summary.data.totp, false);
  });
});

/** Sign in on page with password + an emailed code (TOTP-free path). */
async function signInWithEmailCode(page) {
  await toSecondStep(page);
  await byId(page, 'second-use-email').click();
  const mark = s.server.lines.length;
  await byId(page, 'second-email-send').click();
  const { code } = await s.waitForMail(EMAIL, mark);
  await byId(page, 'second-email-code').fill(code);
  await byId(page, 'second-email-form').getByRole('button', { name: 'Verify and sign in' }).click();
  await waitView(page, 'account');
}
