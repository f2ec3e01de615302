// Starts the real fluenzr binary on a fresh temporary database and a free loopback port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Root of the repository (sdks/js/test/helpers -> repo). */
export const REPO_ROOT = resolve(here, '..', '..', '..', '..');
const KEY_LINE = /^flz_sk_[A-Za-z0-9]{32}$/;
const running = new Set();

/** The server binary: FLUENZR_BIN or <repo>/target/release/fluenzr; throws when it is missing. */
export function serverBinary() {
  const bin = process.env.FLUENZR_BIN || join(REPO_ROOT, 'target', 'release', 'fluenzr');
  if (!existsSync(bin)) {
    throw new Error(`fluenzr binary not found at ${bin}: build it (cargo build --release) or set FLUENZR_BIN`);
  }
  return bin;
}

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves after `ms` milliseconds. */
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value (returned) or `timeout` ms pass (throws). */
export async function waitFor(check, { timeout = 15000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await delay(interval);
  }
}

function killAll() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function launch(bin, dir, port, env) {
  const child = spawn(bin, ['serve', '--db', join(dir, 'fluenzr.db'), '--bind', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      FLUENZR_WEBHOOK_ALLOW_PRIVATE: 'true',
      FLUENZR_RATE_LIMIT_PER_MINUTE: '100000000',
      FLUENZR_AUTH_FAILURES_PER_MINUTE: '100000000',
      FLUENZR_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const pidDir = process.env.FLUENZR_TEST_PID_DIR;
  const pidFile = pidDir ? join(pidDir, `fluenzr-${child.pid}.pid`) : undefined;
  if (pidFile) writeFileSync(pidFile, String(child.pid));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((r) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      if (pidFile) {
        try {
          unlinkSync(pidFile);
        } catch {
          // removed already
        }
      }
      r({ code, signal });
    }),
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function ready(proc, origin, needKey) {
  const deadline = Date.now() + 20000;
  let exitedEarly;
  proc.exited.then((status) => (exitedEarly = status));
  for (;;) {
    if (exitedEarly) {
      const { stdout, stderr } = proc.output();
      throw new Error(`fluenzr exited (${JSON.stringify(exitedEarly)}): ${stdout}\n${stderr}`);
    }
    const key = proc.output().stdout.split('\n').map((line) => line.trim()).find((line) => KEY_LINE.test(line));
    if (key || !needKey) {
      try {
        const res = await fetch(`${origin}/readyz`);
        if (res.status === 200) return key;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) throw new Error(`fluenzr did not become ready: ${JSON.stringify(proc.output())}`);
    await delay(50);
  }
}

/**
 * Starts a server. Options: `env` (extra environment), `port` (default: a free one), `dir`
 * (an existing data directory to reuse; its key must then be given as `apiKey`).
 * Returns { baseUrl, origin, apiKey, port, dir, stop, restart }.
 */
export async function startServer({ env = {}, port, dir, apiKey } = {}) {
  const bin = serverBinary();
  const ownDir = !dir;
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'fluenzr-js-'));
  for (let tries = 0; ; tries += 1) {
    const chosen = port ?? (await freePort());
    const origin = `http://127.0.0.1:${chosen}`;
    const proc = launch(bin, dataDir, chosen, env);
    let key;
    try {
      key = await ready(proc, origin, !apiKey);
    } catch (error) {
      proc.child.kill('SIGKILL');
      await proc.exited;
      if (port === undefined && tries < 3 && /in use/i.test(String(error))) continue;
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    const stop = async ({ keepDir = !ownDir } = {}) => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGTERM');
        const timer = setTimeout(() => proc.child.kill('SIGKILL'), 3000);
        await proc.exited;
        clearTimeout(timer);
      }
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
    };
    return { baseUrl: `${origin}/v1`, origin, apiKey: apiKey ?? key, port: chosen, dir: dataDir, stop };
  }
}

/** The `settings` of a campaign whose window is always open. */
export const OPEN_WINDOW = {
  sendDays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
  sendHoursStart: 0,
  sendHoursEnd: 24,
  timezone: 'UTC',
  maxEmailsPerHour: 100,
};

/** A workflow: one email now, then a follow-up a day later (so the campaign stays active). */
export const TWO_STEP_WORKFLOW = {
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'hello', type: 'email', data: { subject: 'Hi {{firstName|there}}', body: '<p>Hello {{firstName|there}}</p>' } },
    { id: 'wait', type: 'delay', data: { days: 1 } },
    { id: 'bump', type: 'email', data: { subject: '', body: '<p>Just following up.</p>' } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'start', to: 'hello' },
    { from: 'hello', to: 'wait' },
    { from: 'wait', to: 'bump' },
    { from: 'bump', to: 'end' },
  ],
};

/** A unique suffix for emails and names. */
export function unique() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A fetch wrapper recording every attempt: { method, url, headers, status | error, key, replayed, retryAfter, at }.
 * Returns { fetch, calls }.
 */
export function recordingFetch(inner = globalThis.fetch) {
  const calls = [];
  const wrapped = async (url, init) => {
    const entry = { method: init.method, url, headers: init.headers, key: init.headers['Idempotency-Key'], at: Date.now() };
    calls.push(entry);
    try {
      const response = await inner(url, init);
      entry.status = response.status;
      entry.replayed = response.headers.get('idempotent-replayed') === 'true';
      entry.retryAfter = response.headers.get('retry-after');
      return response;
    } catch (error) {
      entry.error = error;
      throw error;
    }
  };
  return { fetch: wrapped, calls };
}

/** Awaits `promise`, which must reject, and returns the rejection's reason. */
export async function rejection(promise) {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (reason) => reason,
  );
}
