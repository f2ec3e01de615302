// Error envelopes of the real server, SDK-made errors (network, timeout, invalid answers) and configuration.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { after, before, test } from 'node:test';
import { DEFAULT_BASE_URL, FluenzrClient, FluenzrError } from '@fluenzr/sdk';
import { freePort, recordingFetch, rejection, startServer } from './helpers/server.mjs';

let server;
let client;

before(async () => {
  server = await startServer();
  client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(async () => server?.stop());

test('400 VALIDATION_ERROR with details', { timeout: 10000 }, async () => {
  const error = await rejection(client.contacts.create({ email: 'not-an-email' }));
  assert.ok(error instanceof FluenzrError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'FluenzrError');
  assert.equal(error.status, 400);
  assert.equal(error.code, 'VALIDATION_ERROR');
  assert.equal(error.message, 'Email is not a valid address');
  assert.deepEqual(error.details, { field: 'email' });
  assert.equal(error.method, 'POST');
  assert.equal(error.url, `${server.baseUrl}/contacts`);
  assert.ok(error.headers.get('x-ratelimit-limit'));
  assert.deepEqual(error.toJSON(), {
    name: 'FluenzrError', status: 400, code: 'VALIDATION_ERROR', message: 'Email is not a valid address', details: { field: 'email' },
  });
  const query = await rejection(client.contacts.list({ perPage: 500 }));
  assert.equal(query.status, 400);
  assert.equal(query.code, 'VALIDATION_ERROR');
  assert.equal(query.details.field, 'perPage');
});

test('404 NOT_FOUND', { timeout: 10000 }, async () => {
  const error = await rejection(client.campaigns.get('cmp_00000000000000000000'));
  assert.ok(error instanceof FluenzrError);
  assert.equal(error.status, 404);
  assert.equal(error.code, 'NOT_FOUND');
  assert.match(error.message, /not found/i);
  await assert.rejects(client.contacts.get(''), TypeError, 'an empty id is refused before any request');
});

test('409 CONFLICT for a duplicate email', { timeout: 10000 }, async () => {
  await client.contacts.create({ email: 'dup@example.com' });
  const error = await rejection(client.contacts.create({ email: 'DUP@example.com' }));
  assert.ok(error instanceof FluenzrError);
  assert.equal(error.status, 409);
  assert.equal(error.code, 'CONFLICT');
  assert.equal(error.message, 'Email already exists');
  assert.deepEqual(error.details, { field: 'email' });
  assert.equal((await client.contacts.list({ email: 'dup@' })).meta.total, 1);
});

test('401 UNAUTHORIZED with a wrong key, not retried', { timeout: 10000 }, async () => {
  const recorder = recordingFetch();
  const wrong = new FluenzrClient({ apiKey: 'flz_sk_00000000000000000000000000000000', baseUrl: server.baseUrl, fetch: recorder.fetch });
  const error = await rejection(wrong.contacts.list());
  assert.ok(error instanceof FluenzrError);
  assert.equal(error.status, 401);
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.equal(error.message, 'Invalid or missing API key');
  assert.equal(error.details, undefined);
  assert.equal(recorder.calls.length, 1);
});

test('a client without any API key refuses to be built', () => {
  const saved = process.env.FLUENZR_API_KEY;
  delete process.env.FLUENZR_API_KEY;
  try {
    assert.throws(() => new FluenzrClient(), (e) => e instanceof Error && /API key/.test(e.message) && /FLUENZR_API_KEY/.test(e.message));
    assert.throws(() => new FluenzrClient({ apiKey: '' }), /API key/);
    assert.throws(() => new FluenzrClient({ apiKey: 'k', baseUrl: 'ftp://x' }), /http/);
    assert.throws(() => new FluenzrClient({ apiKey: 'k', maxRetries: -1 }), /maxRetries/);
    assert.throws(() => new FluenzrClient({ apiKey: 'k', timeout: 0 }), /timeout/);
  } finally {
    if (saved !== undefined) process.env.FLUENZR_API_KEY = saved;
  }
});

test('FLUENZR_API_KEY and FLUENZR_BASE_URL configure a client built without options', { timeout: 10000 }, async () => {
  const saved = { key: process.env.FLUENZR_API_KEY, url: process.env.FLUENZR_BASE_URL };
  try {
    delete process.env.FLUENZR_BASE_URL;
    process.env.FLUENZR_API_KEY = 'flz_sk_whatever';
    assert.equal(new FluenzrClient().baseUrl, DEFAULT_BASE_URL);
    assert.equal(DEFAULT_BASE_URL, 'http://127.0.0.1:8080/v1');

    process.env.FLUENZR_API_KEY = server.apiKey;
    process.env.FLUENZR_BASE_URL = `${server.baseUrl}/`;
    const fromEnv = new FluenzrClient();
    assert.equal(fromEnv.baseUrl, server.baseUrl, 'trailing slash removed');
    const created = await fromEnv.contacts.create({ email: 'env@example.com' });
    assert.equal((await client.contacts.get(created.id)).email, 'env@example.com');

    const explicit = new FluenzrClient({ apiKey: 'flz_sk_00000000000000000000000000000000' });
    const refused = await rejection(explicit.contacts.list());
    assert.equal(refused.status, 401, 'an explicit apiKey wins over the environment');
    const other = new FluenzrClient({ baseUrl: 'http://127.0.0.1:9/v1//' });
    assert.equal(other.baseUrl, 'http://127.0.0.1:9/v1', 'an explicit baseUrl wins');
  } finally {
    for (const [name, value] of [['FLUENZR_API_KEY', saved.key], ['FLUENZR_BASE_URL', saved.url]]) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('NETWORK_ERROR (status 0) after the retries on a closed port', { timeout: 20000 }, async () => {
  const port = await freePort();
  const recorder = recordingFetch();
  const closed = new FluenzrClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 2, fetch: recorder.fetch });
  const started = Date.now();
  const error = await rejection(closed.contacts.list());
  assert.ok(error instanceof FluenzrError);
  assert.equal(error.status, 0);
  assert.equal(error.code, 'NETWORK_ERROR');
  assert.match(error.message, /ECONNREFUSED/);
  assert.equal(recorder.calls.length, 3, 'first attempt + 2 retries');
  assert.ok(Date.now() - started >= 0.75 * (500 + 1000), 'exponential backoff between attempts');
});

test('TIMEOUT (status 0) when the server never answers; a caller abort is not retried', { timeout: 20000 }, async () => {
  const sockets = [];
  const silent = createTcpServer((socket) => sockets.push(socket));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${silent.address().port}/v1`;
  try {
    const recorder = recordingFetch();
    const slow = new FluenzrClient({ apiKey: 'k', baseUrl, timeout: 200, maxRetries: 1, fetch: recorder.fetch });
    const error = await rejection(slow.contacts.list());
    assert.ok(error instanceof FluenzrError);
    assert.equal(error.status, 0);
    assert.equal(error.code, 'TIMEOUT');
    assert.match(error.message, /timed out after 200 ms/);
    assert.equal(recorder.calls.length, 2);

    const perRequest = await rejection(new FluenzrClient({ apiKey: 'k', baseUrl, maxRetries: 0 }).contacts.list({}, { timeout: 100 }));
    assert.equal(perRequest.code, 'TIMEOUT');

    const controller = new AbortController();
    const aborting = recordingFetch();
    const patient = new FluenzrClient({ apiKey: 'k', baseUrl, fetch: aborting.fetch });
    setTimeout(() => controller.abort(), 100);
    const aborted = await rejection(patient.contacts.list({}, { signal: controller.signal }));
    assert.equal(aborted.name, 'AbortError');
    assert.equal(aborted instanceof FluenzrError, false);
    assert.equal(aborting.calls.length, 1);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('INVALID_RESPONSE for answers that are not the JSON envelope', { timeout: 20000 }, async () => {
  // A gateway in front of the API answering HTML (as a misconfigured reverse proxy would).
  let hits = 0;
  const gateway = createServer((req, res) => {
    hits += 1;
    if (req.url.startsWith('/v1/contacts')) res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
  });
  await new Promise((r) => gateway.listen(0, '127.0.0.1', r));
  try {
    const viaGateway = new FluenzrClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${gateway.address().port}/v1`, maxRetries: 1 });
    const bad = await rejection(viaGateway.contacts.list());
    assert.ok(bad instanceof FluenzrError);
    assert.equal(bad.status, 502);
    assert.equal(bad.code, 'INVALID_RESPONSE');
    assert.match(bad.message, /Bad gateway/);
    assert.equal(hits, 2, '502 is retried');
    const ok = await rejection(viaGateway.groups.list());
    assert.equal(ok.status, 200);
    assert.equal(ok.code, 'INVALID_RESPONSE');
    assert.equal(hits, 3, 'a 2xx that is not the envelope is not retried');
  } finally {
    await new Promise((r) => gateway.close(r));
  }
  // The real server's health check answers JSON that is not the /v1 envelope.
  const health = new FluenzrClient({ apiKey: server.apiKey, baseUrl: `${server.origin}/readyz?` });
  const notEnvelope = await rejection(health.pipelineStages.list());
  assert.equal(notEnvelope.code, 'INVALID_RESPONSE');
  assert.equal(notEnvelope.status, 200);
  assert.match(notEnvelope.message, /ready/);
});
