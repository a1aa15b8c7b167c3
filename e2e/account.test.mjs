// End-to-end test of the account page served by the real notechondria-auth binary.
//
//   cd e2e && npm ci && cd .. && go build -o bin/notechondria-auth . && node --test e2e/
//
// Environment:
//   NTC_BIN   path to the server binary (default: ../bin/notechondria-auth, relative to this file)
//   CHROMIUM  path to chromium (default: /usr/bin/chromium, Debian's package)
//
// The test starts `<bin> serve` on a free 127.0.0.1 port with a fresh SQLite file,
// creates a user with `<bin> user create`, and drives Debian's chromium through
// playwright-core. Verification codes come from the development mail fallback: the
// server logs each mail as one JSON line ({"to", "subject", "body", ...}) on stderr.
// Screenshots of the signed-in page are rendered on every run; they are
// written to ../docs/screenshots/ only with NTC_SCREENSHOTS=1 (`make
// screenshots`), so a test run leaves the tree clean.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  SESSION_ENDED, SHOTS, TOKEN_KEY, UA, browserSuite, byId, sessionRows, signIn, storedToken, text, until, visible, waitView,
} from './harness.mjs';


const USERNAME = 'alice';
const EMAIL = 'alice@example.com';
const PASSWORD = 'Strong1pw';
const NEW_PASSWORD = 'Stronger2pw!';

const s = browserSuite({ prefix: 'ntc-e2e-' });
const { step, apiFetch, newPage, waitForMail } = s;

async function bannerText(page) {
  await byId(page, 'multi-device-banner').waitFor({ state: 'visible' });
  return text(page, 'multi-device-text');
}

// ------------------------------------------------------------------ the run

describe('account page against the real binary', () => {
  let pageA;
  let pageB;
  let apiKey;

  before(async () => {
    await s.before();
    await s.createUser(USERNAME, EMAIL, PASSWORD);
  });

  after(() => s.after());

  step('the page and its assets are served with a strict CSP', async () => {
    for (const p of ['/', '/account/']) {
      const res = await fetch(s.base + p);
      assert.equal(res.status, 200, `GET ${p}`);
      assert.match(res.headers.get('content-type') || '', /text\/html/, `${p} content-type`);
      const csp = res.headers.get('content-security-policy') || '';
      for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
        assert.ok(csp.includes(directive), `${p} CSP has ${directive} (got: ${csp || 'none'})`);
      }
      assert.equal((res.headers.get('x-content-type-options') || '').toLowerCase(), 'nosniff', `${p} X-Content-Type-Options`);
      const html = await res.text();
      assert.ok(html.includes('/assets/app.js') && html.includes('/assets/app.css'), `${p} is the account page`);
    }
    const js = await fetch(`${s.base}/assets/app.js`);
    assert.equal(js.status, 200, 'GET /assets/app.js');
    assert.match(js.headers.get('content-type') || '', /javascript/, 'app.js content-type');
    const css = await fetch(`${s.base}/assets/app.css`);
    assert.equal(css.status, 200, 'GET /assets/app.css');
    assert.match(css.headers.get('content-type') || '', /text\/css/, 'app.css content-type');
  });

  step('sign in on two devices: banner and two sessions', async () => {
    pageA = await newPage('A', { viewport: { width: 1280, height: 800 }, colorScheme: 'light', permissions: ['clipboard-read', 'clipboard-write'] });
    await pageA.goto(`${s.pageBase}/`);
    await waitView(pageA, 'signin');

    // Every input on the page has a label.
    const unlabeled = await pageA.evaluate(() => Array.from(document.querySelectorAll('input'))
      .filter((i) => !i.labels || i.labels.length === 0).map((i) => i.id || i.name));
    assert.deepEqual(unlabeled, [], 'inputs without a label');
    // At an IP address passkeys can't work: the page says where they do instead of failing.
    assert.equal(await visible(pageA, 'signin-passkey'), false, 'no passkey sign-in at 127.0.0.1');

    // A wrong password shows the server's error next to the form.
    await byId(pageA, 'signin-identifier').fill(USERNAME);
    await byId(pageA, 'signin-password').fill('Wrong1pw');
    await byId(pageA, 'signin-submit').click();
    await until('a sign-in error', async () => (await text(pageA, 'signin-message')).length > 0);
    assert.match(await text(pageA, 'signin-message'), /Sign-in rejected|do not match/i);
    assert.ok(await visible(pageA, 'view-signin'));

    await signIn(pageA, USERNAME, PASSWORD);
    assert.equal(await text(pageA, 'account-name'), USERNAME);
    assert.equal(await text(pageA, 'pk-unsupported'),
      `Passkeys don’t work at an IP address. Open this page by its name, at http://localhost:${new URL(s.pageBase).port}/, to use them.`);
    assert.equal(await visible(pageA, 'pk-add-form'), false);
    const tokenA = await storedToken(pageA);
    assert.match(tokenA || '', /^[0-9a-f]{40}$/, 'token stored in localStorage');
    let rows = await sessionRows(pageA, 1);
    assert.equal(await rows.first().getAttribute('data-current'), 'true');
    assert.equal(await visible(pageA, 'multi-device-banner'), false, 'no banner with one session');
    assert.equal(await byId(pageA, 'sessions-revoke-others').isDisabled(), true);

    // Second device: a "Mac", signing in with the email, keyboard only.
    pageB = await newPage('B', { viewport: { width: 390, height: 844 }, colorScheme: 'dark', userAgent: UA.mac, isMobile: false });
    await pageB.goto(`${s.pageBase}/account/`);
    await signIn(pageB, EMAIL, PASSWORD, { keyboard: true });
    assert.equal(await bannerText(pageB), "You're signed in on 1 other device.");
    assert.equal(await byId(pageB, 'multi-device-link').getAttribute('href'), '#sessions');
    await sessionRows(pageB, 2);

    // Back on A: the probe on reload reports the other device.
    await pageA.reload();
    await waitView(pageA, 'account');
    assert.equal(await bannerText(pageA), "You're signed in on 1 other device.");
    rows = await sessionRows(pageA, 2);
    const current = rows.filter({ has: pageA.getByTestId('session-current-badge') });
    assert.equal(await current.count(), 1, 'one row is this device');
    assert.equal(await current.getByTestId('session-current-badge').textContent(), 'This device');
    assert.equal(await current.getByTestId('session-revoke').count(), 0, 'no revoke button on this device');
    const other = rows.filter({ hasNot: pageA.getByTestId('session-current-badge') });
    assert.equal(await other.getByTestId('session-device').textContent(), 'Mac');
    assert.match(await other.getByTestId('session-last-seen').textContent(), /now|second|minute/);
    assert.ok((await other.getByTestId('session-created').textContent()).trim().length > 0, 'created date shown');
    assert.equal(await other.getByTestId('session-revoke').count(), 1);
    assert.equal(await byId(pageA, 'sessions-revoke-others').isDisabled(), false);

    // The banner links to the sessions card.
    await byId(pageA, 'multi-device-link').click();
    await until('#sessions in the URL', () => pageA.url().endsWith('#sessions'));
    assert.equal(await pageA.evaluate(() => document.activeElement && document.activeElement.id), 'sessions');
  });

  step('revoke the other device from A; B is sent back to sign-in', async () => {
    const rows = await sessionRows(pageA, 2);
    const other = rows.filter({ hasNot: pageA.getByTestId('session-current-badge') });
    await other.getByTestId('session-revoke').click();
    await sessionRows(pageA, 1);
    assert.match(await text(pageA, 'sessions-message'), /Signed out/);
    await byId(pageA, 'multi-device-banner').waitFor({ state: 'hidden' });

    // B acts (refreshes its list): the 401 sends it to sign-in with the message.
    await byId(pageB, 'sessions-refresh').click();
    await waitView(pageB, 'signin');
    assert.equal(await text(pageB, 'app-notice'), SESSION_ENDED);
    assert.equal(await storedToken(pageB), null, 'token cleared on B');
  });

  step('sign out all other devices; B restores through the probe and is sent to sign-in', async () => {
    await signIn(pageB, USERNAME, PASSWORD);
    assert.equal(await bannerText(pageB), "You're signed in on 1 other device.");

    await byId(pageA, 'sessions-refresh').click();
    await sessionRows(pageA, 2);
    await byId(pageA, 'sessions-revoke-others').click();
    await sessionRows(pageA, 1);
    assert.match(await text(pageA, 'sessions-message'), /Signed out 1 other device\./);
    assert.equal(await byId(pageA, 'sessions-revoke-others').isDisabled(), true);

    await pageB.reload();
    await waitView(pageB, 'signin');
    assert.equal(await text(pageB, 'app-notice'), SESSION_ENDED);
    assert.equal(await storedToken(pageB), null);
  });

  step('rotate the API key: shown once, then only its prefix', async () => {
    await until('API key status loaded', async () => !(await byId(pageA, 'apikey-rotate').isDisabled()));
    assert.match(await text(pageA, 'apikey-status'), /don.t have an API key/);
    await byId(pageA, 'apikey-rotate').click();
    await byId(pageA, 'apikey-reveal').waitFor({ state: 'visible' });
    apiKey = await byId(pageA, 'apikey-value').inputValue();
    assert.match(apiKey, /^ntc_[0-9a-f]{32}$/, 'full key shown once');
    const prefix = apiKey.slice(0, 8);
    assert.equal(await byId(pageA, 'apikey-prefix').getAttribute('data-prefix'), prefix);

    await byId(pageA, 'apikey-copy').click();
    await until('copy confirmation', async () => /copied|Ctrl\+C/i.test(await text(pageA, 'apikey-message')));
    const clip = await pageA.evaluate(() => navigator.clipboard.readText()).catch(() => null);
    if (clip !== null) assert.equal(clip, apiKey, 'clipboard holds the key');

    // The key works as a Bearer credential.
    let res = await apiFetch('GET', 'settings/', { bearer: apiKey });
    assert.equal(res.status, 200, `settings with the API key: ${JSON.stringify(res.data)}`);
    assert.equal(res.data.api_key_prefix, prefix);

    // After a reload only the prefix is shown.
    await pageA.reload();
    await waitView(pageA, 'account');
    await byId(pageA, 'apikey-prefix').waitFor({ state: 'visible' });
    assert.equal(await byId(pageA, 'apikey-prefix').getAttribute('data-prefix'), prefix);
    assert.equal(await visible(pageA, 'apikey-reveal'), false);
    assert.equal(await byId(pageA, 'apikey-value').inputValue(), '');
    assert.equal((await pageA.content()).includes(apiKey), false, 'full key no longer in the page');

    // Rotating again asks first, then replaces the key.
    await byId(pageA, 'apikey-rotate').click();
    await byId(pageA, 'apikey-confirm').waitFor({ state: 'visible' });
    await byId(pageA, 'apikey-confirm-yes').click();
    await byId(pageA, 'apikey-reveal').waitFor({ state: 'visible' });
    const second = await byId(pageA, 'apikey-value').inputValue();
    assert.match(second, /^ntc_[0-9a-f]{32}$/);
    assert.notEqual(second, apiKey);
    res = await apiFetch('GET', 'settings/', { bearer: apiKey });
    assert.equal(res.status, 401, 'the old key stopped working');
    apiKey = second;
    await byId(pageA, 'apikey-hide').click();
    assert.equal(await visible(pageA, 'apikey-reveal'), false);
    assert.equal(await byId(pageA, 'apikey-prefix').getAttribute('data-prefix'), second.slice(0, 8));
  });

  step('change the password with the emailed identity code', async () => {
    // Another device is signed in; the change must sign it out.
    await signIn(pageB, USERNAME, PASSWORD);
    await byId(pageA, 'sessions-refresh').click();
    await sessionRows(pageA, 2);

    const tokenBefore = await storedToken(pageA);
    const mark = s.server.lines.length;
    await byId(pageA, 'password-send-code').click();
    await byId(pageA, 'password-form').waitFor({ state: 'visible' });
    await until('send-code confirmation', async () => (await text(pageA, 'password-code-message')).length > 0);
    const { code, mail } = await waitForMail(EMAIL, mark);
    assert.match(code, /^\d{6}$/);
    assert.match(mail.subject, /identity/i);

    // Client-side check: empty fields are flagged next to the inputs.
    await byId(pageA, 'password-submit').click();
    await byId(pageA, 'password-current-error').waitFor({ state: 'visible' });
    assert.equal(await byId(pageA, 'password-current').getAttribute('aria-invalid'), 'true');

    await byId(pageA, 'password-code').fill(code);
    await byId(pageA, 'password-current').fill(PASSWORD);
    await byId(pageA, 'password-new').fill(NEW_PASSWORD);
    await byId(pageA, 'password-submit').click();
    await until('password change confirmation', async () => /Password changed/.test(await text(pageA, 'password-message')));
    const tokenAfter = await storedToken(pageA);
    assert.match(tokenAfter || '', /^[0-9a-f]{40}$/);
    assert.notEqual(tokenAfter, tokenBefore, 'the new token is stored');
    await sessionRows(pageA, 1);
    assert.equal(await visible(pageA, 'view-account'), true, 'A stays signed in');

    const probe = await apiFetch('GET', 'auth/session/', { token: tokenBefore });
    assert.deepEqual(probe.data, { authenticated: false }, 'the old token is revoked');

    await pageB.reload();
    await waitView(pageB, 'signin');
    assert.equal(await text(pageB, 'app-notice'), SESSION_ENDED);
  });

  step('sign out, then only the new password works', async () => {
    await byId(pageA, 'signout-button').click();
    await waitView(pageA, 'signin');
    assert.equal(await storedToken(pageA), null);

    await byId(pageA, 'signin-identifier').fill(EMAIL);
    await byId(pageA, 'signin-password').fill(PASSWORD);
    await byId(pageA, 'signin-submit').click();
    await until('old password rejected', async () => (await text(pageA, 'signin-message')).length > 0);
    assert.equal(await visible(pageA, 'view-signin'), true);

    await signIn(pageA, EMAIL, NEW_PASSWORD);
    assert.equal(await text(pageA, 'account-name'), USERNAME);
    await sessionRows(pageA, 1);
  });

  step('screenshots of the signed-in page (desktop/phone, light/dark)', async () => {
    const token = await storedToken(pageA);
    // Two more devices so the list and the banner have something to show.
    for (const ua of [UA.iphone, UA.windows]) {
      const res = await apiFetch('POST', 'auth/login/', { body: { identifier: USERNAME, password: NEW_PASSWORD }, userAgent: ua });
      assert.equal(res.status, 200, `login for the screenshot sessions: ${JSON.stringify(res.data)}`);
    }
    const shotsDir = process.env.NTC_SCREENSHOTS === '1' ? SHOTS : path.join(s.workDir, 'screenshots');
    await mkdir(shotsDir, { recursive: true });
    const variants = [
      ['desktop', 'light', { width: 1280, height: 800 }],
      ['desktop', 'dark', { width: 1280, height: 800 }],
      ['phone', 'light', { width: 390, height: 844 }],
      ['phone', 'dark', { width: 390, height: 844 }],
    ];
    for (const [size, scheme, viewport] of variants) {
      const name = `shot-${size}-${scheme}`;
      const page = await newPage(name, {
        viewport, colorScheme: scheme, deviceScaleFactor: 1,
        isMobile: size === 'phone', hasTouch: size === 'phone',
      });
      await page.context().addInitScript(([k, t]) => window.localStorage.setItem(k, t), [TOKEN_KEY, token]);
      await page.goto(`${s.pageBase}/account/`);
      await waitView(page, 'account');
      await sessionRows(page, 3);
      await byId(page, 'apikey-prefix').waitFor({ state: 'visible' });
      await until('the two-step card loaded', async () => (await byId(page, 'tf-totp-status').getAttribute('data-state')) === 'off');
      assert.equal(await bannerText(page), "You're signed in on 2 other devices.");
      const file = path.join(shotsDir, `account-${size}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok((await stat(file)).size > 5000, `${file} written`);
      await s.closePage(name);
    }
  });
});
