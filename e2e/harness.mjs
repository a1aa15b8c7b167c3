// Shared by the end-to-end tests: run the real binary on a free loopback
// port and keep its log lines.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream } from 'node:fs';
import { test } from 'node:test';

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
