// Shared by the end-to-end tests: run the real binary on a free loopback
// port and keep its log lines; for the browser tests, one server and one
// chromium per suite and the page helpers.
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start `bin serve` on 127.0.0.1:port with the database db and JSON logs.
 * opts: extra (more flags), env (more environment), logFile (copy of the log).
 * Returns { proc, lines: [{ stream, text }], exited }.
 */
export function startBinary(bin, port, db, { extra = [], env = {}, logFile } = {}) {
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', db, '--log-format', 'json', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const srv = { proc, lines: [], exited: null };
  const log = logFile ? createWriteStream(logFile) : null;
  for (const [name, stream] of [['stdout', proc.stdout], ['stderr', proc.stderr]]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      if (log) log.write(chunk);
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        srv.lines.push({ stream: name, text: buf.slice(0, i) });
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => { if (buf) srv.lines.push({ stream: name, text: buf }); });
  }
  proc.on('exit', (code, signal) => { srv.exited = { code, signal }; if (log) log.end(); });
  proc.on('error', (err) => { srv.exited = { error: err }; });
  return srv;
}

/** The last n log lines of srv, for failure messages. */
export function tail(srv, n = 40) {
  return srv ? srv.lines.slice(-n).map((l) => `[${l.stream}] ${l.text}`).join('\n') : '(no server)';
}

/**
 * A runner of ordered steps: once one fails the rest are skipped.
 * check(t) runs after each step's body; onFail(name) after a failure.
 * Returns { step(name, fn), failed() }.
 */
export function steps({ timeout, check = async () => {}, onFail = async () => {} }) {
  let failed = false;
  const step = (name, fn) => test(name, { timeout }, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn(t);
      await check(t);
    } catch (err) {
      failed = true;
      await onFail(name);
      throw err;
    }
  });
  return { step, failed: () => failed };
}

// ------------------------------------------------------------------ browser suites
//
// What account.test.mjs and twofactor.test.mjs share: a server on a fresh
// SQLite file, Debian's chromium, pages whose errors and CSP violations are
// collected, mails read from the log, and diagnostics after a failure.

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.NTC_BIN ? path.resolve(process.env.NTC_BIN) : path.resolve(HERE, '..', 'bin', 'notechondria-auth');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const TOKEN_KEY = 'notechondria.token';
export const SHOTS = path.resolve(HERE, '..', 'docs', 'screenshots');
export const SESSION_ENDED = 'Your session has ended. Please sign in again.';

export const UA = {
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0',
};

const LAUNCH_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Poll fn until it returns a truthy value; fail with `what` after `timeout` ms. */
export async function until(what, fn, timeout = 10000, interval = 100) {
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

/** A mail logged by the development fallback: {to, subject, body} or null. */
export function parseMail(text) {
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

/**
 * browserSuite runs one server and one browser for a describe() block.
 * opts: prefix (temporary directory name), extra (more serve flags),
 * pageHost (the host pages open: 127.0.0.1, or localhost where WebAuthn
 * needs a domain; the test's own calls always go to 127.0.0.1).
 * Returns the suite: before() and after() for the hooks, step(name, fn)
 * (ordered; a failure skips the rest and prints diagnostics; every step
 * also fails on a page error, a console error or a CSP violation), and the
 * helpers below. s.base (the API from the test), s.pageBase (for pages),
 * s.server, s.workDir, s.db are set by before().
 */
export function browserSuite({ prefix = 'ntc-e2e-', extra = [], timeout = 90000, pageHost = '127.0.0.1' } = {}) {
  const s = { base: null, pageBase: null, server: null, workDir: null, db: null, port: 0, browser: null };
  const pages = new Map(); // name -> page (for diagnostics)
  const problems = [];     // page errors, console errors and CSP violations: any of these fails the run
  const apiFailures = [];  // non-2xx API responses seen by the browser (for diagnostics)
  s.problems = problems;

  s.runCli = (args) => new Promise((resolve, reject) => {
    execFile(BIN, args, { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });

  /** start (again) the server on the suite's port and database, with more flags. */
  s.startServer = async (more = []) => {
    s.server = startBinary(BIN, s.port, s.db, { extra: [...extra, ...more], logFile: path.join(s.workDir, `server${s.restarts ? '-' + s.restarts : ''}.log`) });
    const deadline = Date.now() + 20000;
    for (;;) {
      if (s.server.exited) throw new Error(`server exited early (${JSON.stringify(s.server.exited)}):\n${tail(s.server)}`);
      const res = await fetch(`${s.base}/healthz`).catch(() => null);
      if (res && res.status === 200) return;
      if (Date.now() > deadline) throw new Error(`GET /healthz did not answer 200 within 20 s (last: ${res ? res.status : 'no answer'}):\n${tail(s.server)}`);
      await sleep(150);
    }
  };

  s.stopServer = async () => {
    const srv = s.server;
    if (!srv || srv.exited) return;
    srv.proc.kill('SIGTERM');
    const ok = await until('server exit', () => srv.exited, 5000).then(() => true, () => false);
    if (!ok) srv.proc.kill('SIGKILL');
  };

  /** restart the server with more flags (same port and database; sessions survive). */
  s.restart = async (more = []) => {
    await s.stopServer();
    s.restarts = (s.restarts || 0) + 1;
    await s.startServer(more);
  };

  s.before = async () => {
    await stat(BIN).catch(() => {
      throw new Error(`server binary not found at ${BIN}: build it (go build -o bin/notechondria-auth .) or set NTC_BIN`);
    });
    s.workDir = await mkdtemp(path.join(tmpdir(), prefix));
    s.db = path.join(s.workDir, 'auth.db');
    s.port = await freePort();
    s.base = `http://127.0.0.1:${s.port}`;
    s.pageBase = `http://${pageHost}:${s.port}`;
    process.on('exit', () => { if (s.server && !s.server.exited) s.server.proc.kill('SIGKILL'); });
    await s.startServer();
    s.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  };

  s.after = async () => {
    if (s.browser) await s.browser.close().catch(() => {});
    await s.stopServer();
    if (s.workDir && !runner.failed()) await rm(s.workDir, { recursive: true, force: true }).catch(() => {});
    else if (s.workDir) console.error(`kept ${s.workDir} for inspection`);
  };

  /** createUser makes an account with the CLI; returns its id. */
  s.createUser = async (username, email, password) => {
    const { stdout } = await s.runCli(['user', 'create', '--db', s.db, '--username', username, '--email', email, '--password', password]);
    assert.match(stdout.trim(), /\d+/, 'user create prints the new id');
    return stdout.trim();
  };

  /** Wait for a mail to `to` logged after line index `from`; returns {mail, code}. */
  s.waitForMail = (to, from, subject = /./) => until(`a mail to ${to} matching ${subject} in the server log`, () => {
    for (const line of s.server.lines.slice(from)) {
      const mail = parseMail(line.text);
      if (!mail || mail.to.toLowerCase() !== to.toLowerCase() || !subject.test(mail.subject)) continue;
      const m = /Code:\s*(\d{6})/.exec(mail.body);
      if (m) return { mail, code: m[1] };
    }
    return null;
  }, 10000);

  /** A call to the API from the test itself (not the browser). */
  s.apiFetch = async (method, p, { token, bearer, body, userAgent } = {}) => {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Token ${token}`;
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (userAgent) headers['User-Agent'] = userAgent;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${s.base}/api/v1/${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    return { status: res.status, data, headers: res.headers };
  };

  /** A page in a new browser context; its errors and CSP violations are collected. */
  s.newPage = async (name, options = {}) => {
    const context = await s.browser.newContext({ locale: 'en-US', ...options });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`[${name}] page error: ${err.message}`));
    page.on('console', (msg) => {
      const text = msg.text();
      if (/Content Security Policy|Refused to (load|apply|execute|connect)/i.test(text)) {
        problems.push(`[${name}] CSP violation: ${text}`);
      } else if (msg.type() === 'error' && !/^Failed to load resource/.test(text)) {
        // A failed API call is logged by the browser as "Failed to load resource"; the
        // tests cause those on purpose. Anything else is the page's own error.
        problems.push(`[${name}] console error: ${text}`);
      }
    });
    page.on('response', async (res) => {
      const url = res.url();
      if (!url.includes('/api/') || res.status() < 400) return;
      let body = '';
      try { body = await res.text(); } catch { /* navigated away */ }
      apiFailures.push(`[${name}] ${res.request().method()} ${url.replace(s.pageBase, '')} -> ${res.status()} ${body.slice(0, 300)}`);
    });
    pages.set(name, page);
    return page;
  };

  /**
   * shot saves a screenshot of page (or of locator) as name.png: in the
   * temporary directory, or in docs/screenshots/ with NTC_SCREENSHOTS=1
   * (`make screenshots`), so a test run leaves the tree clean.
   */
  s.shot = async (page, name, locator) => {
    const dir = process.env.NTC_SCREENSHOTS === '1' ? SHOTS : path.join(s.workDir, 'screenshots');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${name}.png`);
    if (locator) await locator.screenshot({ path: file });
    else await page.screenshot({ path: file });
    return file;
  };

  /** closePage closes a page made by newPage, with its context. */
  s.closePage = async (name) => {
    const page = pages.get(name);
    pages.delete(name);
    if (page) await page.context().close();
  };

  s.diagnostics = async (stepName) => {
    const out = [`--- diagnostics for step "${stepName}"`];
    for (const [name, page] of pages) {
      if (page.isClosed()) continue;
      try {
        const view = await page.evaluate(() => document.body.getAttribute('data-view'));
        const msgs = await page.evaluate(() => Array.from(document.querySelectorAll('.form-message, .notice, .field-error'))
          .filter((n) => n.textContent.trim()).map((n) => `${n.id || n.className}: ${n.textContent.trim()}`));
        out.push(`page ${name}: url=${page.url()} view=${view}`, ...msgs.map((m) => `  ${m}`));
        const file = path.join(s.workDir, `failure-${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        out.push(`  screenshot: ${file}`);
      } catch (err) {
        out.push(`page ${name}: (could not inspect: ${err.message})`);
      }
    }
    if (apiFailures.length) out.push('API responses >= 400 seen by the browser:', ...apiFailures.slice(-20).map((l) => `  ${l}`));
    if (problems.length) out.push('page problems:', ...problems.map((l) => `  ${l}`));
    out.push(`server log (${s.workDir}), last lines:`, tail(s.server));
    console.error(out.join('\n'));
  };

  const runner = steps({
    timeout,
    check: () => assert.deepEqual(problems, [], 'no page errors, console errors or CSP violations'),
    onFail: (name) => s.diagnostics(name),
  });
  s.step = runner.step;
  s.failed = runner.failed;
  return s;
}

// ------------------------------------------------------------------ page helpers

export const byId = (page, id) => page.getByTestId(id);

export async function text(page, id) {
  return ((await byId(page, id).textContent()) || '').replace(/\s+/g, ' ').trim();
}

export async function visible(page, id) {
  return byId(page, id).isVisible();
}

export async function storedToken(page) {
  return page.evaluate((k) => window.localStorage.getItem(k), TOKEN_KEY);
}

export async function waitView(page, view) {
  await byId(page, `view-${view}`).waitFor({ state: 'visible' });
}

/** submitPassword fills and sends the sign-in form (mouse, or keyboard only). */
export async function submitPassword(page, identifier, password, { keyboard = false } = {}) {
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
}

/** signIn signs in with a password alone and waits for the account view. */
export async function signIn(page, identifier, password, opts) {
  await submitPassword(page, identifier, password, opts);
  await waitView(page, 'account');
}

/** Wait until the sessions card shows exactly n rows (and is not loading). */
export async function sessionRows(page, n) {
  const rows = byId(page, 'session-row');
  await until(`${n} session row(s)`, async () => {
    const busy = await byId(page, 'sessions-list').getAttribute('aria-busy');
    return busy === 'false' && (await rows.count()) === n;
  });
  return rows;
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret for time step n. */
export function totpAt(secret, n) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const key = [];
  let bits = 0;
  let val = 0;
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) {
    val = ((val << 5) | A.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      key.push((val >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(n));
  const h = createHmac('sha1', Buffer.from(key)).update(msg).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
