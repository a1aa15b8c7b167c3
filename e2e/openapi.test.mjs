// The OpenAPI description (api/openapi.json) against the real notechondria-auth binary.
//
//   cd e2e && npm ci && cd .. && make build && NTC_BIN=bin/notechondria-auth node --test e2e/
//
// 1. The document is validated by @seriousme/openapi-schema-validator (OpenAPI 3.1), its
//    references must resolve, and the binary must serve it byte for byte.
// 2. Every example in it (responses, request bodies, schema "examples") must fit its schema.
// 3. A realistic flow drives the binary (register, verify-email with the code from the
//    server's log, sign-in, the probe, sessions, settings, the API key, identity codes,
//    change-email, change-password, password reset, GitHub OAuth against a fake GitHub on
//    127.0.0.1, and the error answers: field errors, non_field_errors, detail, 401, 403, 404,
//    405, 409, 413, 415, 429, 503). EVERY response is matched to its operation by method and
//    path and validated with ajv (JSON Schema 2020-12): its status must be documented, its
//    Content-Type listed, its body must fit the schema and its required headers be present.
//    Answers no operation owns (405 for an undocumented method, 404 for an unknown path) are
//    validated against components/responses/MethodNotAllowed and NotFound.
// 4. Every operation of the document must have been exercised at least once.
//
// Environment: NTC_BIN, the server binary (default: ../bin/notechondria-auth from this file).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { freePort, sleep, startBinary, steps, tail, totpAt } from './harness.mjs';
import { SoftAuthenticator } from './softauthn.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.NTC_BIN ? path.resolve(process.env.NTC_BIN) : path.resolve(HERE, '..', 'bin', 'notechondria-auth');
const DOC_FILE = path.resolve(HERE, '..', 'api', 'openapi.json');
const MAX_BODY = 65536;

const EMAIL = 'bob@example.com';
const NEW_EMAIL = 'bob@new.example.com';
const PASSWORD = 'Strong1pw';
const NEW_PASSWORD = 'Stronger2pw!';
const RESET_PASSWORD = 'Reset3pw!';
const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

let docText;
let doc;
let workDir;
let server; // { proc, lines, exited }
let github; // the fake GitHub
let base;
const covered = new Map(); // operationId -> Set of statuses seen

// ------------------------------------------------------------------ the document and ajv

const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
addFormats(ajv);
const DOC_ID = 'urn:notechondria-auth:openapi';

/** A copy of a schema with the document's local refs made absolute (ajv compiles it alone). */
function absolute(schema) {
  return JSON.parse(JSON.stringify(schema), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? DOC_ID + v.replace('#/components/schemas/', '#/$defs/') : v));
}

/** Follow a local "$ref" (an OpenAPI Reference Object) in the document. */
function deref(obj) {
  for (let i = 0; obj && typeof obj.$ref === 'string' && i < 16; i++) {
    obj = obj.$ref.slice(2).split('/').reduce((o, p) => o?.[p.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    assert.ok(obj, 'dangling $ref');
  }
  return obj;
}

const compiled = new Map();
function validatorFor(schema) {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(absolute(schema));
    compiled.set(schema, v);
  }
  return v;
}

function schemaErrors(schema, value) {
  const validate = validatorFor(schema);
  if (validate(value)) return null;
  return ajv.errorsText(validate.errors, { separator: '\n    ', dataVar: 'body' });
}

/** The operation for a request: { op, template } or { owner: 'MethodNotAllowed' | 'NotFound' }. */
function operationFor(method, pathname) {
  for (const [template, item] of Object.entries(doc.paths)) {
    const re = new RegExp('^' + template.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}$/, '.+').replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (!re.test(pathname)) continue;
    const op = item[method.toLowerCase()];
    return op ? { op, template } : { owner: 'MethodNotAllowed', template };
  }
  return { owner: 'NotFound' };
}

/** Validate one exchange against the document; throws with the operation and status named. */
function checkExchange(method, url, res) {
  const { pathname } = new URL(url);
  const found = operationFor(method, pathname);
  let label;
  let response;
  if (found.op) {
    label = `${found.op.operationId} (${method} ${found.template}) → ${res.status}`;
    response = found.op.responses[String(res.status)];
    assert.ok(response, `${label}: status ${res.status} is not documented for this operation; body ${res.text.slice(0, 300)}`);
    if (!covered.has(found.op.operationId)) covered.set(found.op.operationId, new Set());
    covered.get(found.op.operationId).add(res.status);
  } else {
    label = `${method} ${pathname} → ${res.status} (components/responses/${found.owner})`;
    assert.equal(res.status, found.owner === 'NotFound' ? 404 : 405, `${label}: no operation owns this request, so it must be ${found.owner}`);
    response = doc.components.responses[found.owner];
  }
  response = deref(response);
  for (const [name, h] of Object.entries(response.headers || {})) {
    const header = deref(h);
    const value = res.headers.get(name);
    if (value === null) {
      assert.ok(!header.required, `${label}: required header ${name} is missing`);
      continue;
    }
    const typed = header.schema?.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
    const err = header.schema && schemaErrors(header.schema, typed);
    assert.equal(err, null, `${label}: header ${name}: ${value} does not fit its schema:\n    ${err}`);
  }
  const content = response.content;
  if (!content) {
    assert.equal(res.text, '', `${label}: documented without a body, got ${res.text.slice(0, 200)}`);
    return;
  }
  if (method === 'HEAD') return;
  const type = (res.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  const media = content[type];
  assert.ok(media, `${label}: Content-Type ${JSON.stringify(type)} is not one of ${Object.keys(content).join(', ')}`);
  if (!media.schema) return;
  let body = res.text;
  if (type === 'application/json') {
    try {
      body = JSON.parse(res.text);
    } catch (e) {
      assert.fail(`${label}: not JSON: ${res.text.slice(0, 200)}`);
    }
  }
  const err = schemaErrors(deref(media.schema), body);
  assert.equal(err, null, `${label}: the body does not fit the documented schema:\n    ${err}\n  body: ${res.text.slice(0, 600)}`);
}

// ------------------------------------------------------------------ the binary and its log



function startServer(port, db, extra, env) {
  return startBinary(BIN, port, db, { extra, env });
}

const serverTail = (n = 30) => tail(server, n);

/** The newest code mailed to `to` (the development fallback logs each mail as one JSON line). */
async function mailedCode(to, from) {
  const deadline = Date.now() + 10000;
  for (;;) {
    for (const { text } of server.lines.slice(from).reverse()) {
      let o;
      try { o = JSON.parse(text); } catch { continue; }
      const m = o && o.message === 'mail delivery fallback' && String(o.to).toLowerCase() === to && /Code:\s*(\d{6})/.exec(o.body || '');
      if (m) return m[1];
    }
    if (Date.now() > deadline) throw new Error(`no code mailed to ${to} in the server log:\n${serverTail()}`);
    await sleep(50);
  }
}

/** The newest security-notice link mailed to `to` (the development fallback logs it) after line `from`. */
async function mailedLink(to, from) {
  const deadline = Date.now() + 10000;
  for (;;) {
    for (const { text } of server.lines.slice(from).reverse()) {
      let o;
      try { o = JSON.parse(text); } catch { continue; }
      const m = o && o.message === 'mail delivery fallback' && String(o.to).toLowerCase() === to && /(https?:\/\/\S+\/auth\/security-link\/[0-9a-f]{64})/.exec(o.body || '');
      if (m) return m[1];
    }
    if (Date.now() > deadline) throw new Error(`no security link mailed to ${to} in the server log:\n${serverTail()}`);
    await sleep(50);
  }
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at ms. */
const totp = (secret, ms = Date.now()) => totpAt(secret, Math.floor(ms / 30000));

/** A wrong code: the right one with its last digit changed. */
const wrong = (code) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10);

/**
 * One request, validated against the document. p is relative to /api/v1/ unless it starts
 * with "/". opts: token | bearer | auth, json | form | multipart | raw (+ type), userAgent.
 */
async function call(method, p, opts = {}) {
  const url = base + (p.startsWith('/') ? p : `/api/v1/${p}`);
  const headers = {};
  if (opts.token) headers.Authorization = `Token ${opts.token}`;
  if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`;
  if (opts.auth) headers.Authorization = opts.auth;
  if (opts.userAgent) headers['User-Agent'] = opts.userAgent;
  if (opts.origin) headers.Origin = opts.origin;
  if (opts.headers) Object.assign(headers, opts.headers);
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = new URLSearchParams(opts.form);
  } else if (opts.multipart) {
    body = new FormData();
    for (const [k, v] of Object.entries(opts.multipart)) body.append(k, v);
  } else if (opts.raw !== undefined) {
    body = opts.raw;
    if (opts.type) headers['Content-Type'] = opts.type;
  }
  const r = await fetch(url, { method, headers, body, redirect: 'manual' });
  const res = { status: r.status, headers: r.headers, text: await r.text() };
  try { res.data = res.text ? JSON.parse(res.text) : null; } catch { res.data = undefined; }
  checkExchange(method, url, res);
  if (opts.status !== undefined) {
    assert.equal(res.status, opts.status, `${method} ${p}: status ${res.status}, want ${opts.status}; body ${res.text.slice(0, 400)}`);
  }
  return res;
}

// ------------------------------------------------------------------ a fake GitHub

const GITHUB_USERS = {
  octo: { user: { id: 1001, login: 'octocat', name: 'Octo Cat', email: null }, email: 'octo@example.com' },
  bob: { user: { id: 2002, login: 'bob-gh', name: 'Bob Builder', email: null }, email: 'bob-gh@example.com' },
};

function startGitHub() {
  const srv = createHttpServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const send = (status, v) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(v)); };
    const who = GITHUB_USERS[(req.headers.authorization || '').replace(/^Bearer tok-/, '')];
    if (req.method === 'POST' && req.url === '/login/oauth/access_token') {
      const { code } = JSON.parse(raw || '{}');
      if (typeof code === 'string' && GITHUB_USERS[code.replace(/^gh-/, '')]) return send(200, { access_token: `tok-${code.slice(3)}`, token_type: 'bearer' });
      return send(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
    }
    if (!who) return send(401, { message: 'Bad credentials' });
    if (req.url === '/user') return send(200, who.user);
    if (req.url === '/user/emails') return send(200, [{ email: who.email, primary: true, verified: true }]);
    return send(404, { message: 'Not Found' });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

// ------------------------------------------------------------------ steps

/** Run the steps in order; once one fails the rest are skipped. */
const runner = steps({
  timeout: 60000,
  onFail: (name) => console.error(`--- step "${name}" failed; server log tail:\n${serverTail()}`),
});
const step = runner.step;

describe('OpenAPI description against the real binary', () => {
  const s = {}; // state carried between steps

  before(async () => {
    await stat(BIN).catch(() => {
      throw new Error(`server binary not found at ${BIN}: run make build, or set NTC_BIN`);
    });
    docText = await readFile(DOC_FILE, 'utf8');
    doc = JSON.parse(docText);
    ajv.addSchema({ $id: DOC_ID, $defs: absolute(doc.components.schemas) });

    workDir = await mkdtemp(path.join(tmpdir(), 'ntc-openapi-'));
    github = await startGitHub();
    const gh = `http://127.0.0.1:${github.address().port}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startServer(port, path.join(workDir, 'auth.db'), [
      '--max-body-bytes', String(MAX_BODY),
      '--login-failures-per-account', '3/15m',
      '--github-app-client-id', 'e2e-client',
      '--github-token-url', `${gh}/login/oauth/access_token`,
      '--github-api-url', gh,
    ], { GITHUB_APP_CLIENT_SECRET: 'e2e-secret' });
    process.on('exit', () => { if (server && !server.exited) server.proc.kill('SIGKILL'); });
    const deadline = Date.now() + 20000;
    for (;;) {
      if (server.exited) throw new Error(`server exited early (${JSON.stringify(server.exited)}):\n${serverTail()}`);
      const res = await fetch(`${base}/healthz`).catch(() => null);
      if (res && res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`GET /healthz did not answer 200 within 20 s:\n${serverTail()}`);
      await sleep(100);
    }
  });

  after(async () => {
    if (server && !server.exited) {
      server.proc.kill('SIGTERM');
      for (let i = 0; i < 50 && !server.exited; i++) await sleep(100);
      if (!server.exited) server.proc.kill('SIGKILL');
    }
    if (github) await new Promise((r) => github.close(r));
    if (workDir && !runner.failed()) await rm(workDir, { recursive: true, force: true });
  });

  step('the document is valid OpenAPI 3.1 and is served byte for byte', async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    assert.equal(res.valid, true, `@seriousme/openapi-schema-validator: ${JSON.stringify(res.errors, null, 2)}`);
    assert.equal(validator.version, '3.1');
    assert.equal(doc.openapi, '3.1.0');
    assert.doesNotThrow(() => validator.resolveRefs(), 'every $ref resolves');
    const served = await call('GET', 'openapi.json', { status: 200 });
    assert.equal(served.text, docText, 'GET /api/v1/openapi.json is api/openapi.json');
    assert.equal(served.headers.get('content-type'), 'application/json');
  });

  step('every example fits its schema', async (t) => {
    let n = 0;
    const checkMedia = (where, media) => {
      if (!media.schema) return;
      const schema = deref(media.schema);
      const examples = Object.entries(media.examples || {}).map(([k, ex]) => [k, deref(ex).value]);
      if ('example' in media) examples.push(['example', media.example]);
      for (const [name, value] of examples) {
        n++;
        if (typeof value === 'string' && schema.type !== 'string') continue; // not JSON text
        const err = schemaErrors(schema, value);
        assert.equal(err, null, `${where} example ${name} does not fit its schema:\n    ${err}`);
      }
    };
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const rb = op.requestBody && deref(op.requestBody);
        for (const [type, media] of Object.entries(rb?.content || {})) checkMedia(`${op.operationId} request ${type}`, media);
        for (const [status, r] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(deref(r).content || {})) checkMedia(`${op.operationId} (${method.toUpperCase()} ${template}) ${status} ${type}`, media);
        }
      }
    }
    for (const [name, r] of Object.entries(doc.components.responses)) {
      for (const [type, media] of Object.entries(r.content || {})) checkMedia(`components/responses/${name} ${type}`, media);
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const value of schema.examples || []) {
        n++;
        assert.equal(schemaErrors(schema, value), null, `components/schemas/${name} example ${JSON.stringify(value)}`);
      }
    }
    t.diagnostic(`${n} examples checked`);
    assert.ok(n > 100);
  });

  step('operations, pages and assets', async () => {
    await call('GET', '/healthz', { status: 200 });
    await call('HEAD', '/healthz', { status: 200 });
    await call('GET', '/readyz', { status: 200 });
    await call('GET', '/metrics', { status: 200 });
    for (const p of ['/', '/account/']) {
      await call('GET', p, { status: 200 });
      await call('HEAD', p, { status: 200 });
    }
    await call('GET', '/assets/app.js', { status: 200 });
    await call('GET', '/assets/app.css', { status: 200 });
    await call('GET', '/assets/missing.png', { status: 404 });
    await call('GET', '/assets/sub/', { status: 404 });
    await call('GET', '/assets/index.html', { status: 301 });
    await call('GET', '/auth/github/callback?code=abc&state=xyz', { status: 200 });
    await call('GET', '/auth/google/callback?error=access_denied', { status: 200 });
    await call('GET', '/auth/google/callback', { status: 200 });
    const cfg = await call('GET', 'auth/oauth-config/', { status: 200 });
    assert.equal(cfg.data.github.client_id, 'e2e-client');
  });

  step('register, verify the email, sign in; field errors, non_field_errors and detail', async () => {
    await call('POST', 'auth/validate-invitation/', { json: {}, status: 200 });
    let from = server.lines.length;
    const reg = await call('POST', 'auth/register/', { json: { username: 'bob', email: EMAIL, password: PASSWORD }, status: 201 });
    assert.equal(reg.data.delivery_fallback, true);
    const code = await mailedCode(EMAIL, from);
    const taken = await call('POST', 'auth/register/', { json: { username: 'bob', email: 'other@example.com', password: PASSWORD }, status: 400 });
    assert.ok(taken.data.username);
    const missingFields = await call('POST', 'auth/register/', { json: {}, status: 400 });
    assert.deepEqual(Object.keys(missingFields.data).sort(), ['email', 'password', 'username']);
    await call('POST', 'auth/resend-verification/', { json: { email: EMAIL }, status: 400 }); // cooldown
    const bad = await call('POST', 'auth/verify-email/', { json: { email: EMAIL, code: wrong(code) }, status: 400 });
    assert.ok(bad.data.non_field_errors);
    const ok = await call('POST', 'auth/verify-email/', { json: { email: EMAIL, code }, status: 200 });
    assert.equal(ok.headers.get('cache-control'), 'no-store');

    s.tokenA = (await call('POST', 'auth/login/', { json: { identifier: 'bob', password: PASSWORD }, status: 200 })).data.token;
    const b = await call('POST', 'auth/login/', { form: { email: EMAIL, password: PASSWORD }, userAgent: IPHONE_UA, status: 200 });
    assert.equal(b.data.session.device_label, 'iPhone');
    s.tokenB = b.data.token;
    s.sessionB = b.data.session.id;
    await call('POST', 'auth/login/', { json: {}, status: 400 });
    const noIdent = await call('POST', 'auth/login/', { json: { password: 'x' }, status: 400 });
    assert.ok(noIdent.data.non_field_errors);
    await call('POST', 'auth/login/', { json: { identifier: 'bob', password: 'Wrong9pw' }, status: 400 });
    const parse = await call('POST', 'auth/login/', { raw: '{"identifier":', type: 'application/json', status: 400 });
    assert.match(parse.data.detail, /^JSON parse error - /);
    await call('POST', 'auth/login/', { raw: '[1, 2]', type: 'application/json', status: 400 });
    await call('POST', 'auth/login/', { raw: 'identifier=bob', type: 'text/plain', status: 415 });
    await call('POST', 'auth/login/', { raw: JSON.stringify({ identifier: 'x'.repeat(MAX_BODY * 2), password: 'x' }), type: 'application/json', status: 413 });
    await call('POST', 'auth/login/', { json: { identifier: 'bob', password: PASSWORD }, token: '0'.repeat(40), status: 401 });
  });

  step('the probe, sessions, forward auth; 401, 404 and 405', async () => {
    const anon = await call('GET', 'auth/session/', { status: 200 });
    assert.deepEqual(anon.data, { authenticated: false });
    const probe = await call('GET', 'auth/session/', { token: s.tokenA, status: 200 });
    assert.equal(probe.data.authenticated, true);
    await call('GET', 'auth/session/', { bearer: 'ntc_nope', status: 200 });
    const unauth = await call('GET', 'auth/sessions/', { status: 401 });
    assert.equal(unauth.headers.get('www-authenticate'), 'Token');
    await call('GET', 'auth/sessions/', { token: 'f'.repeat(40), status: 401 });
    const list = await call('GET', 'auth/sessions/', { token: s.tokenA, status: 200 });
    assert.equal(list.data.sessions.length, 3, 'verify-email and two logins');
    const fwd = await call('GET', 'auth/verify/', { token: s.tokenA, status: 200 });
    assert.equal(fwd.headers.get('x-auth-username'), 'bob');
    await call('GET', 'auth/verify/', { status: 401 });
    await call('DELETE', `auth/sessions/${s.sessionB}/`, { token: s.tokenA, status: 204 });
    await call('DELETE', 'auth/sessions/999999/', { token: s.tokenA, status: 404 });
    await call('DELETE', 'auth/sessions/abc/', { token: s.tokenA, status: 404 });
    await call('GET', 'auth/sessions/', { token: s.tokenB, status: 401 });
    await call('GET', 'auth/login/', { status: 405 });
    await call('HEAD', 'auth/sessions/', { status: 405 });
    await call('PUT', 'settings/', { token: s.tokenA, json: {}, status: 405 });
    await call('GET', 'nope/', { status: 404 });
    await call('GET', '/nope', { status: 404 });
  });

  step('settings and the API key; 403 for an API key', async () => {
    await call('GET', 'settings/', { token: s.tokenA, status: 200 });
    const patched = await call('PATCH', 'settings/', { token: s.tokenA, json: { first_name: 'Bob', theme_mode: 'D', app_settings: { sidebar: 'left' } }, status: 200 });
    assert.equal(patched.data.app_settings.sidebar, 'left');
    await call('PATCH', 'settings/', { token: s.tokenA, multipart: { motto: 'We can fix it' }, status: 200 });
    const bad = await call('PATCH', 'settings/', { token: s.tokenA, json: { theme_mode: 'X', motto: 'm'.repeat(101) }, status: 400 });
    assert.deepEqual(Object.keys(bad.data).sort(), ['motto', 'theme_mode']);
    await call('PATCH', 'settings/', { token: s.tokenA, form: { email: 'else@example.com' }, status: 400 });
    s.key = (await call('POST', 'auth/rotate-api-key/', { token: s.tokenA, status: 200 })).data.api_key;
    const viaKey = await call('GET', 'settings/', { bearer: s.key, status: 200 });
    assert.equal(viaKey.data.api_key_prefix, s.key.slice(0, 8));
    const keyList = await call('GET', 'auth/sessions/', { bearer: s.key, status: 200 });
    assert.equal(keyList.data.current_session_id, null);
    await call('GET', 'auth/verify/', { bearer: s.key, status: 200 });
    await call('GET', 'settings/', { bearer: 'ntc_' + '0'.repeat(32), status: 401 });
    await call('POST', 'auth/change-password/', { bearer: s.key, json: {}, status: 403 });
    await call('POST', 'auth/change-email/', { bearer: s.key, json: {}, status: 403 });
    await call('POST', 'auth/bind/github/', { bearer: s.key, json: { code: 'gh-bob' }, status: 403 });
    await call('DELETE', 'auth/social-accounts/github/', { bearer: s.key, status: 403 });
    await call('POST', 'auth/logout/', { bearer: s.key, status: 204 }); // revokes nothing
    await call('GET', 'settings/', { token: s.tokenA, status: 200 });
  });

  step('OAuth against a fake GitHub; 404 not_registered, 409, 503', async () => {
    await call('POST', 'auth/github/', { json: {}, status: 400 });
    const badCode = await call('POST', 'auth/github/', { json: { code: 'bad' }, status: 400 });
    assert.match(badCode.data.detail, /^GitHub OAuth error: /);
    const unknown = await call('POST', 'auth/github/', { json: { code: 'gh-octo', intent: 'login' }, status: 404 });
    assert.equal(unknown.data.code, 'not_registered');
    await call('POST', 'auth/github/', { json: { code: 'gh-octo', intent: 'bind' }, status: 400 });
    const octo = await call('POST', 'auth/github/', { json: { code: 'gh-octo' }, status: 200 });
    assert.equal(octo.data.user.username, 'octocat');
    await call('POST', 'auth/google/', { json: {}, status: 400 });
    await call('POST', 'auth/google/', { json: { id_token: 'x' }, status: 503 });
    await call('POST', 'auth/bind/google/', { token: s.tokenA, json: { id_token: 'x' }, status: 503 });
    await call('POST', 'auth/bind/github/', { token: s.tokenA, json: { code: 'gh-bob' }, status: 201 });
    await call('POST', 'auth/bind/github/', { token: s.tokenA, json: { code: 'gh-bob' }, status: 200 });
    await call('POST', 'auth/bind/github/', { token: s.tokenA, json: { code: 'gh-octo' }, status: 409 });
    await call('POST', 'auth/bind/github/', { token: s.tokenA, json: { code: 'bad' }, status: 400 });
    const links = await call('GET', 'auth/social-accounts/', { token: s.tokenA, status: 200 });
    assert.equal(links.data.length, 1);
    const again = await call('POST', 'auth/github/', { json: { code: 'gh-bob', intent: 'login' }, status: 200 });
    assert.equal(again.data.user.username, 'bob');
    await call('DELETE', 'auth/social-accounts/github/', { token: s.tokenA, status: 204 });
    await call('DELETE', 'auth/social-accounts/github/', { token: s.tokenA, status: 404 });
  });

  step('identity codes, change-email and change-password', async () => {
    let from = server.lines.length;
    const sent = await call('POST', 'auth/send-identity-code/', { token: s.tokenA, status: 200 });
    assert.equal(sent.data.masked_email, 'b***@example.com');
    let identity = await mailedCode(EMAIL, from);
    await call('POST', 'auth/change-email/', { token: s.tokenA, json: { new_email: NEW_EMAIL, identity_code: wrong(identity) }, status: 400 });
    await call('POST', 'auth/change-email/', { token: s.tokenA, json: { new_email: EMAIL, identity_code: identity }, status: 400 }); // in use
    from = server.lines.length;
    const requested = await call('POST', 'auth/change-email/', { token: s.tokenA, json: { new_email: NEW_EMAIL, identity_code: identity }, status: 200 });
    assert.equal(requested.data.email, NEW_EMAIL);
    const confirm = await mailedCode(NEW_EMAIL, from);
    await call('POST', 'auth/change-email/', { token: s.tokenA, json: { new_email: NEW_EMAIL, code: wrong(confirm) }, status: 400 });
    const changed = await call('POST', 'auth/change-email/', { token: s.tokenA, json: { new_email: NEW_EMAIL, code: confirm }, status: 200 });
    assert.deepEqual(changed.data, { message: 'Email updated.', email: NEW_EMAIL });

    from = server.lines.length;
    await call('POST', 'auth/send-identity-code/', { token: s.tokenA, status: 200 });
    identity = await mailedCode(NEW_EMAIL, from);
    await call('POST', 'auth/change-password/', { token: s.tokenA, json: {}, status: 400 });
    await call('POST', 'auth/change-password/', { token: s.tokenA, json: { current_password: 'Nope1pw!', new_password: NEW_PASSWORD, identity_code: identity }, status: 400 });
    const pw = await call('POST', 'auth/change-password/', { token: s.tokenA, json: { current_password: PASSWORD, new_password: NEW_PASSWORD, identity_code: identity }, status: 200 });
    s.tokenC = pw.data.token;
    await call('GET', 'auth/sessions/', { token: s.tokenA, status: 401 });
    await call('GET', 'auth/sessions/', { token: s.tokenC, status: 200 });
  });

  step('password reset', async () => {
    await call('POST', 'auth/password-reset/', { json: { email: 'nobody@example.com' }, status: 400 });
    const from = server.lines.length;
    await call('POST', 'auth/password-reset/', { json: { email: NEW_EMAIL }, status: 200 });
    const code = await mailedCode(NEW_EMAIL, from);
    await call('POST', 'auth/password-reset/confirm/', { json: { email: NEW_EMAIL, code: wrong(code), password: RESET_PASSWORD }, status: 400 });
    await call('POST', 'auth/password-reset/confirm/', { json: { email: NEW_EMAIL, code, password: 'alllowercase' }, status: 400 });
    await call('POST', 'auth/password-reset/confirm/', { json: { email: NEW_EMAIL, code, password: RESET_PASSWORD }, status: 200 });
    await call('GET', 'auth/sessions/', { token: s.tokenC, status: 401 });
  });

  step('sign out the others, log out', async () => {
    const one = (await call('POST', 'auth/login/', { json: { identifier: NEW_EMAIL, password: RESET_PASSWORD }, status: 200 })).data.token;
    await call('POST', 'auth/login/', { json: { identifier: 'bob', password: RESET_PASSWORD }, status: 200 });
    const revoked = await call('DELETE', 'auth/sessions/', { token: one, status: 200 });
    assert.equal(revoked.data.revoked, 1);
    await call('POST', 'auth/logout/', { token: one, status: 204 });
    await call('POST', 'auth/logout/', { token: one, status: 401 });
  });

  step('second factors: TOTP, recovery codes, the two-step sign-in, step-up', async () => {
    const login = { json: { identifier: 'bob', password: RESET_PASSWORD }, status: 200 };
    const tok = (await call('POST', 'auth/login/', login)).data.token;
    assert.deepEqual((await call('GET', 'auth/2fa/', { token: tok, status: 200 })).data.channels, []);
    await call('POST', 'auth/reauth/', { token: tok, json: { password: RESET_PASSWORD }, status: 204 });
    await call('POST', 'auth/reauth/', { token: tok, json: {}, status: 400 });
    const setup = await call('POST', 'auth/2fa/totp/setup/', { token: tok, status: 200 });
    assert.match(setup.data.qr_svg, /^<svg /);
    const secret = setup.data.secret;
    const keyFile = await stat(path.join(workDir, 'auth.db.keys'));
    assert.equal(keyFile.mode & 0o777, 0o600, 'the TOTP secrets key sits beside the database, 0600');
    await call('POST', 'auth/2fa/totp/confirm/', { token: tok, json: {}, status: 400 }); // wrong codes would spend bob's 3/15m budget
    const codes = (await call('POST', 'auth/2fa/totp/confirm/', { token: tok, json: { code: totp(secret) }, status: 200 })).data.recovery_codes;
    assert.equal(codes.length, 10);
    const on = await call('PATCH', 'auth/2fa/', { token: tok, json: { confirm_new_sign_ins: true }, status: 200 });
    assert.deepEqual(on.data.channels, ['totp', 'device', 'email', 'recovery']);

    let pending = (await call('POST', 'auth/login/', login)).data;
    assert.equal(pending.pending_2fa, true);
    assert.equal(pending.token, undefined);
    const from = server.lines.length;
    const sent = await call('POST', 'auth/2fa/challenge/', { json: { challenge_id: pending.challenge_id, channel: 'email' }, status: 200 });
    assert.equal(sent.data.sent_to, 'b***@new.example.com');
    const mailed = await mailedCode(NEW_EMAIL, from);
    await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id }, status: 400 });
    const viaEmail = await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id, channel: 'email', code: mailed }, status: 200 });
    assert.deepEqual(viaEmail.data.session.auth_methods, ['password', 'email']);
    // Approval from the signed-in device, by number.
    pending = (await call('POST', 'auth/login/', login)).data;
    assert.ok(pending.channels.includes('device'));
    const shown = (await call('POST', 'auth/2fa/challenge/', { json: { challenge_id: pending.challenge_id, channel: 'device' }, status: 200 })).data.number;
    await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id, channel: 'device' }, status: 202 });
    const waiting = (await call('GET', 'auth/2fa/pending/', { token: tok, status: 200 })).data;
    assert.equal(waiting.length, 1);
    assert.ok(waiting[0].choices.includes(shown));
    await call('POST', `auth/2fa/pending/${waiting[0].id}/approve/`, { token: tok, json: { number: shown }, status: 204 });
    const viaDevice = await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id, channel: 'device' }, status: 200 });
    assert.deepEqual(viaDevice.data.session.auth_methods, ['password', 'device']);
    pending = (await call('POST', 'auth/login/', login)).data;
    await call('POST', 'auth/2fa/challenge/', { json: { challenge_id: pending.challenge_id, channel: 'device' }, status: 200 });
    const denied = (await call('GET', 'auth/2fa/pending/', { token: tok, status: 200 })).data[0];
    await call('POST', `auth/2fa/pending/${denied.id}/deny/`, { token: tok, status: 204 });
    await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id, channel: 'device' }, status: 403 });
    pending = (await call('POST', 'auth/login/', login)).data;
    await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id, channel: 'recovery', code: codes[0] }, status: 200 });
    pending = (await call('POST', 'auth/login/', login)).data;
    const viaTOTP = await call('POST', 'auth/2fa/verify/', { json: { challenge_id: pending.challenge_id, channel: 'totp', code: totp(secret, Date.now() + 30000) }, status: 200 });
    const tok2 = viaTOTP.data.token;
    const list = await call('GET', 'auth/sessions/', { token: tok2, status: 200 });
    assert.deepEqual(list.data.sessions[0].auth_methods, ['password', 'totp']);
    await call('POST', 'auth/reauth/', { token: tok2, json: { channel: 'recovery', code: codes[1] }, status: 204 });
    assert.equal((await call('POST', 'auth/2fa/recovery-codes/', { token: tok2, status: 200 })).data.recovery_codes.length, 10);
    await call('PATCH', 'auth/2fa/', { token: tok2, json: { confirm_new_sign_ins: false }, status: 200 });
    await call('DELETE', 'auth/2fa/totp/', { token: tok2, status: 204 });
    assert.ok((await call('POST', 'auth/login/', login)).data.token, 'one step again');
  });

  step('passkeys: add, list, passwordless sign-in, the passkey step, remove', async () => {
    const origin = 'http://localhost:8080'; // the relying party is localhost by default: any localhost origin
    const login = { json: { identifier: 'bob', password: RESET_PASSWORD }, status: 200 };
    const tok = (await call('POST', 'auth/login/', login)).data.token;
    const authn = new SoftAuthenticator(origin);
    const begin = (await call('POST', 'auth/passkeys/register/begin/', { token: tok, origin, json: {}, status: 200 })).data;
    assert.equal(begin.options.publicKey.authenticatorSelection.userVerification, 'required');
    await call('POST', 'auth/passkeys/register/finish/', { token: tok, origin, json: { challenge_id: begin.challenge_id }, status: 400 });
    const again = (await call('POST', 'auth/passkeys/register/begin/', { token: tok, origin, json: {}, status: 200 })).data;
    const added = (await call('POST', 'auth/passkeys/register/finish/', { token: tok, origin, json: { challenge_id: again.challenge_id, name: 'Laptop', credential: authn.create(again) }, status: 201 })).data;
    assert.equal(added.name, 'Laptop');
    assert.equal((await call('GET', 'auth/passkeys/', { token: tok, status: 200 })).data.length, 1);
    const rb = (await call('POST', 'auth/reauth/', { token: tok, origin, json: { channel: 'passkey' }, status: 200 })).data;
    await call('POST', 'auth/reauth/', { token: tok, origin, json: { channel: 'passkey', challenge_id: rb.challenge_id, credential: authn.get(rb) }, status: 204 });
    const lb = (await call('POST', 'auth/passkeys/login/begin/', { origin, json: {}, status: 200 })).data;
    await call('POST', 'auth/passkeys/login/finish/', { origin, json: { challenge_id: lb.challenge_id, credential: { id: 'x' } }, status: 400 });
    const lb2 = (await call('POST', 'auth/passkeys/login/begin/', { origin, json: {}, status: 200 })).data;
    const viaPasskey = await call('POST', 'auth/passkeys/login/finish/', { origin, json: { challenge_id: lb2.challenge_id, credential: authn.get(lb2) }, status: 200 });
    assert.deepEqual(viaPasskey.data.session.auth_methods, ['passkey']);
    const pending = (await call('POST', 'auth/login/', login)).data;
    assert.deepEqual(pending.channels, ['passkey']);
    const step2 = (await call('POST', 'auth/2fa/challenge/', { origin, json: { challenge_id: pending.challenge_id, channel: 'passkey' }, status: 200 })).data;
    const done = await call('POST', 'auth/2fa/verify/', { origin, json: { challenge_id: pending.challenge_id, channel: 'passkey', credential: authn.get(step2) }, status: 200 });
    assert.deepEqual(done.data.session.auth_methods, ['password', 'passkey']);
    await call('DELETE', `auth/passkeys/${added.id}/`, { token: tok, status: 204 });
    await call('DELETE', `auth/passkeys/${added.id}/`, { token: tok, status: 404 });
    assert.ok((await call('POST', 'auth/login/', login)).data.token, 'one step again');
  });

  step('the security log; a new-device mail and its "This wasn\'t me" page', async () => {
    const from = server.lines.length;
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
    const tok = (await call('POST', 'auth/login/', { json: { identifier: 'bob', password: RESET_PASSWORD }, userAgent: firefox, status: 200 })).data.token;
    const log = await call('GET', 'auth/security-log/', { token: tok, status: 200 });
    assert.equal(log.data.events[0].type, 'login.succeeded');
    assert.equal(log.data.events[0].detail.new_device, true);
    assert.ok(log.data.events.some((e) => e.type === 'password.reset'));
    await call('GET', 'auth/security-log/?cursor=nope', { token: tok, status: 400 });
    const link = new URL(await mailedLink(NEW_EMAIL, from)).pathname;
    await call('GET', link, { status: 200 });
    await call('POST', link, { headers: { 'Sec-Fetch-Site': 'cross-site' }, status: 403 });
    await call('POST', link, { status: 200 });
    await call('POST', link, { status: 404 });
    await call('GET', link, { status: 404 });
    await call('GET', 'auth/sessions/', { token: tok, status: 401 });
    const again = (await call('POST', 'auth/login/', { json: { identifier: 'bob', password: RESET_PASSWORD }, status: 200 })).data.token;
    const reported = (await call('GET', 'auth/security-log/', { token: again, status: 200 })).data.events;
    assert.ok(reported.some((e) => e.type === 'not_me.reported'));
  });

  step('throttling: 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) await call('POST', 'auth/login/', { json: { identifier: 'ghost', password: 'Wrong9pw' }, status: 400 });
    const res = await call('POST', 'auth/login/', { json: { identifier: 'ghost', password: 'Wrong9pw' }, status: 429 });
    const n = Number(res.headers.get('retry-after'));
    assert.ok(n >= 1);
    assert.equal(res.data.detail, `Request was throttled. Expected available in ${n} second${n === 1 ? '' : 's'}.`);
  });

  step('every operation was exercised', async (t) => {
    const all = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const missingOps = all.filter((id) => !covered.has(id));
    assert.deepEqual(missingOps, [], 'operations never exercised');
    let pairs = 0;
    for (const id of all) {
      const statuses = [...covered.get(id)].sort();
      pairs += statuses.length;
      t.diagnostic(`${id}: ${statuses.join(', ')}`);
    }
    t.diagnostic(`${all.length} operations, ${pairs} operation/status pairs validated`);
  });
});
