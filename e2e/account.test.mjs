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

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, sleep, startBinary, steps, tail } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.NTC_BIN ? path.resolve(process.env.NTC_BIN) : path.resolve(HERE, '..', 'bin', 'notechondria-auth');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.resolve(HERE, '..', 'docs', 'screenshots');

const USERNAME = 'alice';
const EMAIL = 'alice@example.com';
const PASSWORD = 'Strong1pw';
const NEW_PASSWORD = 'Stronger2pw!';
const SESSION_ENDED = 'Your session has ended. Please sign in again.';
const TOKEN_KEY = 'notechondria.token';

const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1';
const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0';

const LAUNCH_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// ------------------------------------------------------------------ shared state

let workDir;
let server;            // { proc, lines, exited }
let base;              // http://127.0.0.1:<port>
let browser;
const pages = new Map(); // name -> page (for diagnostics)
const problems = [];     // page errors and CSP violations: any of these fails the run
const apiFailures = [];  // non-2xx API responses seen by the browser (for diagnostics)

// ------------------------------------------------------------------ helpers



/** Poll fn until it returns a truthy value; fail with `what` after `timeout` ms. */
async function until(what, fn, timeout = 10000, interval = 100) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ''));
    }
    await sleep(interval);
  }
}

function runCli(args) {
  return new Promise((resolve, reject) => {
    execFile(BIN, args, { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function startServer(port, db) {
  return startBinary(BIN, port, db, { logFile: path.join(workDir, 'server.log') });
}

async function stopServer() {
  if (!server || server.exited) return;
  server.proc.kill('SIGTERM');
  const ok = await until('server exit', () => server.exited, 5000).then(() => true, () => false);
  if (!ok) server.proc.kill('SIGKILL');
}

const serverTail = (n = 40) => tail(server, n);

/** A mail logged by the development fallback: {to, subject, body} or null. */
function parseMail(text) {
  let obj;
  try { obj = JSON.parse(text); } catch { obj = null; }
  if (obj && typeof obj === 'object') {
    const queue = [obj];
    while (queue.length) {
      const o = queue.shift();
      if (o && typeof o === 'object') {
        if (typeof o.to === 'string' && typeof o.body === 'string') {
          return { to: o.to, subject: String(o.subject || ''), body: o.body };
        }
        for (const v of Object.values(o)) if (v && typeof v === 'object') queue.push(v);
      }
    }
  }
  return null;
}

/** Wait for a mail to `to` logged after line index `from`; returns {mail, code}. */
async function waitForMail(to, from, subject = /./) {
  return until(`a mail to ${to} matching ${subject} in the server log`, () => {
    for (const line of server.lines.slice(from)) {
      const mail = parseMail(line.text);
      if (!mail || mail.to.toLowerCase() !== to.toLowerCase() || !subject.test(mail.subject)) continue;
      const m = /Code:\s*(\d{6})/.exec(mail.body);
      if (m) return { mail, code: m[1] };
    }
    return null;
  }, 10000);
}

async function apiFetch(method, p, { token, bearer, body, userAgent } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Token ${token}`;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (userAgent) headers['User-Agent'] = userAgent;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/api/v1/${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: res.status, data, headers: res.headers };
}

async function newPage(name, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`[${name}] page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (load|apply|execute|connect)/i.test(text)) {
      problems.push(`[${name}] CSP violation: ${text}`);
    }
  });
  page.on('response', async (res) => {
    const url = res.url();
    if (!url.includes('/api/') || res.status() < 400) return;
    let body = '';
    try { body = await res.text(); } catch { /* navigated away */ }
    apiFailures.push(`[${name}] ${res.request().method()} ${url.replace(base, '')} -> ${res.status()} ${body.slice(0, 300)}`);
  });
  pages.set(name, page);
  return page;
}

const byId = (page, id) => page.getByTestId(id);

async function text(page, id) {
  return ((await byId(page, id).textContent()) || '').replace(/\s+/g, ' ').trim();
}

async function visible(page, id) {
  return byId(page, id).isVisible();
}

async function storedToken(page) {
  return page.evaluate((k) => window.localStorage.getItem(k), TOKEN_KEY);
}

async function waitView(page, view) {
  await byId(page, `view-${view}`).waitFor({ state: 'visible' });
}

async function signIn(page, identifier, password, { keyboard = false } = {}) {
  await waitView(page, 'signin');
  if (keyboard) {
    await byId(page, 'signin-identifier').focus();
    await page.keyboard.type(identifier);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
  } else {
    await byId(page, 'signin-identifier').fill(identifier);
    await byId(page, 'signin-password').fill(password);
    await byId(page, 'signin-submit').click();
  }
  await waitView(page, 'account');
}

/** Wait until the sessions card shows exactly n rows (and is not loading). */
async function sessionRows(page, n) {
  const rows = byId(page, 'session-row');
  await until(`${n} session row(s)`, async () => {
    const busy = await byId(page, 'sessions-list').getAttribute('aria-busy');
    return busy === 'false' && (await rows.count()) === n;
  });
  return rows;
}

async function bannerText(page) {
  await byId(page, 'multi-device-banner').waitFor({ state: 'visible' });
  return text(page, 'multi-device-text');
}

/** Run the steps in order; once one fails the rest are skipped. */
const runner = steps({
  timeout: 90000,
  check: () => assert.deepEqual(problems, [], 'no page errors or CSP violations'),
  onFail: (name) => diagnostics(name),
});
const step = runner.step;

async function diagnostics(stepName) {
  const out = [`--- diagnostics for step "${stepName}"`];
  for (const [name, page] of pages) {
    if (page.isClosed()) continue;
    try {
      const view = await page.evaluate(() => document.body.getAttribute('data-view'));
      const msgs = await page.evaluate(() => Array.from(document.querySelectorAll('.form-message, .notice, .field-error'))
        .filter((n) => n.textContent.trim()).map((n) => `${n.id || n.className}: ${n.textContent.trim()}`));
      out.push(`page ${name}: url=${page.url()} view=${view}`, ...msgs.map((m) => `  ${m}`));
      const file = path.join(workDir, `failure-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      out.push(`  screenshot: ${file}`);
    } catch (err) {
      out.push(`page ${name}: (could not inspect: ${err.message})`);
    }
  }
  if (apiFailures.length) out.push('API responses >= 400 seen by the browser:', ...apiFailures.slice(-20).map((l) => `  ${l}`));
  if (problems.length) out.push('page problems:', ...problems.map((l) => `  ${l}`));
  out.push(`server log (${path.join(workDir, 'server.log')}), last lines:`, serverTail());
  console.error(out.join('\n'));
}

// ------------------------------------------------------------------ the run

describe('account page against the real binary', () => {
  let pageA;
  let pageB;
  let apiKey;

  before(async () => {
    await stat(BIN).catch(() => {
      throw new Error(`server binary not found at ${BIN}: build it (go build -o bin/notechondria-auth .) or set NTC_BIN`);
    });
    workDir = await mkdtemp(path.join(tmpdir(), 'ntc-e2e-'));
    const db = path.join(workDir, 'auth.db');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startServer(port, db);
    process.on('exit', () => { if (server && !server.exited) server.proc.kill('SIGKILL'); });

    const deadline = Date.now() + 20000;
    for (;;) {
      if (server.exited) throw new Error(`server exited early (${JSON.stringify(server.exited)}):\n${serverTail()}`);
      const res = await fetch(`${base}/healthz`).catch(() => null);
      if (res && res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`GET /healthz did not answer 200 within 20 s (last: ${res ? res.status : 'no answer'}):\n${serverTail()}`);
      await sleep(150);
    }

    const { stdout } = await runCli(['user', 'create', '--db', db, '--username', USERNAME, '--email', EMAIL, '--password', PASSWORD]);
    assert.match(stdout.trim(), /\d+/, 'user create prints the new id');

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (workDir && !runner.failed()) await rm(workDir, { recursive: true, force: true }).catch(() => {});
    else if (workDir) console.error(`kept ${workDir} for inspection`);
  });

  step('the page and its assets are served with a strict CSP', async () => {
    for (const p of ['/', '/account/']) {
      const res = await fetch(base + p);
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
    const js = await fetch(`${base}/assets/app.js`);
    assert.equal(js.status, 200, 'GET /assets/app.js');
    assert.match(js.headers.get('content-type') || '', /javascript/, 'app.js content-type');
    const css = await fetch(`${base}/assets/app.css`);
    assert.equal(css.status, 200, 'GET /assets/app.css');
    assert.match(css.headers.get('content-type') || '', /text\/css/, 'app.css content-type');
  });

  step('sign in on two devices: banner and two sessions', async () => {
    pageA = await newPage('A', { viewport: { width: 1280, height: 800 }, colorScheme: 'light', permissions: ['clipboard-read', 'clipboard-write'] });
    await pageA.goto(`${base}/`);
    await waitView(pageA, 'signin');

    // Every input on the page has a label.
    const unlabeled = await pageA.evaluate(() => Array.from(document.querySelectorAll('input'))
      .filter((i) => !i.labels || i.labels.length === 0).map((i) => i.id || i.name));
    assert.deepEqual(unlabeled, [], 'inputs without a label');

    // A wrong password shows the server's error next to the form.
    await byId(pageA, 'signin-identifier').fill(USERNAME);
    await byId(pageA, 'signin-password').fill('Wrong1pw');
    await byId(pageA, 'signin-submit').click();
    await until('a sign-in error', async () => (await text(pageA, 'signin-message')).length > 0);
    assert.match(await text(pageA, 'signin-message'), /Sign-in rejected|do not match/i);
    assert.ok(await visible(pageA, 'view-signin'));

    await signIn(pageA, USERNAME, PASSWORD);
    assert.equal(await text(pageA, 'account-name'), USERNAME);
    const tokenA = await storedToken(pageA);
    assert.match(tokenA || '', /^[0-9a-f]{40}$/, 'token stored in localStorage');
    let rows = await sessionRows(pageA, 1);
    assert.equal(await rows.first().getAttribute('data-current'), 'true');
    assert.equal(await visible(pageA, 'multi-device-banner'), false, 'no banner with one session');
    assert.equal(await byId(pageA, 'sessions-revoke-others').isDisabled(), true);

    // Second device: a "Mac", signing in with the email, keyboard only.
    pageB = await newPage('B', { viewport: { width: 390, height: 844 }, colorScheme: 'dark', userAgent: MAC_UA, isMobile: false });
    await pageB.goto(`${base}/account/`);
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
    const mark = server.lines.length;
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
    for (const ua of [IPHONE_UA, WINDOWS_UA]) {
      const res = await apiFetch('POST', 'auth/login/', { body: { identifier: USERNAME, password: NEW_PASSWORD }, userAgent: ua });
      assert.equal(res.status, 200, `login for the screenshot sessions: ${JSON.stringify(res.data)}`);
    }
    const shotsDir = process.env.NTC_SCREENSHOTS === '1' ? SHOTS : path.join(workDir, 'screenshots');
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
      await page.goto(`${base}/account/`);
      await waitView(page, 'account');
      await sessionRows(page, 3);
      await byId(page, 'apikey-prefix').waitFor({ state: 'visible' });
      assert.equal(await bannerText(page), "You're signed in on 2 other devices.");
      const file = path.join(shotsDir, `account-${size}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok((await stat(file)).size > 5000, `${file} written`);
      await page.context().close();
      pages.delete(name);
    }
  });
});
