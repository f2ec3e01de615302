// Retries and idempotency against the real server: 429 with Retry-After, a server that starts late,
// and faults injected by a TCP proxy (lost answer, 503, stall).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { FluenzrClient, FluenzrError } from '@fluenzr/sdk';
import { startFaultProxy } from './helpers/fault-proxy.mjs';
import { delay, recordingFetch, startServer } from './helpers/server.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let server;
let direct;

before(async () => {
  server = await startServer();
  direct = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(async () => server?.stop());

async function countByEmail(email) {
  const found = await direct.contacts.list({ email });
  return found.filter((c) => c.email === email).length;
}

test('429 is retried after Retry-After; ~65 requests at 60/minute all succeed', { timeout: 60000 }, async () => {
  const limited = await startServer({ env: { FLUENZR_RATE_LIMIT_PER_MINUTE: '60' } });
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, fetch: recorder.fetch });
    const results = [];
    for (let i = 0; i < 60; i += 1) results.push(await client.pipelineStages.list());
    for (let i = 0; i < 5; i += 1) results.push(await client.contacts.create({ email: `limited${i}@example.com` }));
    assert.equal(results.length, 65);
    assert.ok(results.slice(0, 60).every((stages) => stages.length === 6));

    const limitedCalls = recorder.calls.filter((c) => c.status === 429);
    assert.ok(limitedCalls.length >= 1, `no 429 seen in ${recorder.calls.length} attempts`);
    for (const call of limitedCalls) {
      const retry = recorder.calls[recorder.calls.indexOf(call) + 1];
      assert.equal(call.retryAfter, '1');
      assert.equal(retry.url, call.url);
      assert.equal(retry.key, call.key, 'a retried POST keeps its Idempotency-Key');
      assert.ok(retry.at - call.at >= 950, `retried after ${retry.at - call.at} ms`);
    }
    assert.equal(recorder.calls.filter((c) => c.status === 201).length, 5);
    const reader = new FluenzrClient({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, maxRetries: 10 });
    const stored = await reader.contacts.list({ email: 'limited' });
    assert.deepEqual(stored.map((c) => c.email).sort(), [0, 1, 2, 3, 4].map((i) => `limited${i}@example.com`));

    const impatient = new FluenzrClient({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, maxRetries: 0 });
    let error;
    for (let i = 0; i < 100 && !error; i += 1) error = await impatient.pipelineStages.list().then(() => undefined, (e) => e);
    assert.ok(error instanceof FluenzrError);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'RATE_LIMIT_EXCEEDED');
    assert.deepEqual(error.details, { retryAfter: 1 });
    assert.equal(error.headers.get('retry-after'), '1');
  } finally {
    await limited.stop();
  }
});

test('65 concurrent requests at 60/minute all succeed with enough retries', { timeout: 60000 }, async () => {
  const limited = await startServer({ env: { FLUENZR_RATE_LIMIT_PER_MINUTE: '60' } });
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, maxRetries: 12, fetch: recorder.fetch });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 65 }, (_, i) => client.contacts.create({ email: `burst${i}@example.com` })),
    );
    assert.equal(new Set(results.map((c) => c.id)).size, 65);
    const limitedCalls = recorder.calls.filter((c) => c.status === 429);
    assert.ok(limitedCalls.length >= 5, `${limitedCalls.length} answers were 429`);
    assert.ok(Date.now() - started >= 4000, 'the five extra requests waited for the bucket to refill');
    for (const call of limitedCalls) {
      const attempts = recorder.calls.filter((c) => c.key === call.key);
      assert.equal(attempts.at(-1).status, 201, 'every call ends with its own success');
      const next = attempts[attempts.indexOf(call) + 1];
      assert.ok(next.at - call.at >= 950, `retried after ${next.at - call.at} ms`);
    }
    const reader = new FluenzrClient({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, maxRetries: 20 });
    const stored = [];
    for await (const c of reader.contacts.listAll({ email: 'burst' })) stored.push(c.email);
    assert.equal(stored.length, 65, 'no duplicate and no missing contact');
  } finally {
    await limited.stop();
  }
});

test('network errors are retried until a server that starts late answers', { timeout: 40000 }, async () => {
  const first = await startServer();
  const { dir, port, apiKey } = first;
  await first.stop({ keepDir: true });
  let late;
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey, baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 6, fetch: recorder.fetch });
    const pending = client.contacts.create({ email: 'late@example.com' });
    await delay(700);
    late = await startServer({ dir, port, apiKey });
    const contact = await pending;
    assert.equal(contact.email, 'late@example.com');
    const failed = recorder.calls.filter((c) => c.error);
    assert.ok(failed.length >= 1, 'the first attempt hit a closed port');
    assert.match(String(failed[0].error.cause?.code ?? failed[0].error.cause), /ECONNREFUSED/);
    assert.equal(recorder.calls.at(-1).status, 201);
    assert.equal(new Set(recorder.calls.map((c) => c.key)).size, 1, 'one Idempotency-Key for every attempt');
    const check = new FluenzrClient({ apiKey, baseUrl: late.baseUrl });
    assert.equal((await check.contacts.list({ email: 'late@' })).meta.total, 1);
  } finally {
    await late?.stop({ keepDir: false });
  }
});

test('a POST whose answer is lost is retried with the same key and creates ONE contact', { timeout: 30000 }, async () => {
  const proxy = await startFaultProxy(server.port, 'drop-first-post-response');
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: proxy.baseUrl, fetch: recorder.fetch });
    const contact = await client.contacts.create({ email: 'once@example.com', firstName: 'Once' });
    assert.equal(proxy.faults, 1, 'the proxy dropped one answer');
    assert.equal(recorder.calls.length, 2);
    const [lost, retry] = recorder.calls;
    assert.ok(lost.error, 'the first attempt failed on the client side');
    assert.equal(retry.status, 201);
    assert.equal(retry.replayed, true, 'the server replayed the answer it had stored');
    assert.match(lost.key, UUID);
    assert.equal(retry.key, lost.key);
    assert.equal(await countByEmail('once@example.com'), 1);
    assert.equal((await direct.contacts.get(contact.id)).firstName, 'Once');
  } finally {
    await proxy.close();
  }

  // Control: the same fault with a new key on each attempt makes the retry a second create (409).
  const control = await startFaultProxy(server.port, 'drop-first-post-response');
  try {
    const rekeying = async (url, init) => globalThis.fetch(url, { ...init, headers: { ...init.headers, 'Idempotency-Key': randomUUID() } });
    const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: control.baseUrl, fetch: rekeying });
    const error = await client.contacts.create({ email: 'twice@example.com' }).then(() => undefined, (e) => e);
    assert.ok(error instanceof FluenzrError);
    assert.equal(error.code, 'CONFLICT');
    assert.equal(error.message, 'Email already exists');
  } finally {
    await control.close();
  }
});

test('503 and timeouts are retried; 4xx are not', { timeout: 30000 }, async () => {
  const failing = await startFaultProxy(server.port, 'fail-first');
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: failing.baseUrl, fetch: recorder.fetch });
    const contact = await client.contacts.create({ email: 'after503@example.com' });
    assert.deepEqual(recorder.calls.map((c) => c.status), [503, 201]);
    assert.equal(recorder.calls[1].key, recorder.calls[0].key);
    assert.ok(recorder.calls[1].at - recorder.calls[0].at >= 375, 'backoff before the retry');
    assert.equal((await direct.contacts.get(contact.id)).email, 'after503@example.com');

    const invalid = await client.contacts.create({ email: 'nope' }).then(() => undefined, (e) => e);
    assert.equal(invalid.status, 400);
    assert.equal(recorder.calls.length, 3, 'a 400 is not retried');
  } finally {
    await failing.close();
  }

  const stalling = await startFaultProxy(server.port, 'stall-first');
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: stalling.baseUrl, timeout: 300, fetch: recorder.fetch });
    const contact = await client.contacts.create({ email: 'afterstall@example.com' });
    assert.equal(stalling.faults, 1);
    assert.equal(recorder.calls.length, 2);
    assert.ok(recorder.calls[0].error, 'the first attempt timed out');
    assert.equal(recorder.calls[1].status, 201);
    assert.equal(recorder.calls[1].key, recorder.calls[0].key);
    assert.equal(await countByEmail('afterstall@example.com'), 1);
    assert.equal((await direct.contacts.get(contact.id)).id, contact.id);
  } finally {
    await stalling.close();
  }
});

test('a Retry-After given as an HTTP date is honoured', { timeout: 30000 }, async () => {
  const proxy = await startFaultProxy(server.port, 'limit-first-date');
  try {
    const recorder = recordingFetch();
    const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: proxy.baseUrl, fetch: recorder.fetch });
    const contact = await client.contacts.create({ email: 'dated@example.com' });
    assert.deepEqual(recorder.calls.map((c) => c.status), [429, 201]);
    assert.ok(Number.isNaN(Number(recorder.calls[0].retryAfter)), 'the header was a date');
    const waited = recorder.calls[1].at - recorder.calls[0].at;
    assert.ok(waited >= 900 && waited <= 2600, `waited ${waited} ms for a date about 2 s ahead`);
    assert.equal(recorder.calls[1].key, recorder.calls[0].key);
    assert.equal((await direct.contacts.get(contact.id)).email, 'dated@example.com');
  } finally {
    await proxy.close();
  }
});

test('requests carry the key, JSON headers and the User-Agent', { timeout: 10000 }, async () => {
  const recorder = recordingFetch();
  const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl, fetch: recorder.fetch });
  await client.contacts.create({ email: 'headers@example.com' });
  const [call] = recorder.calls;
  assert.equal(call.headers.Authorization, `Bearer ${server.apiKey}`);
  assert.equal(call.headers['Content-Type'], 'application/json');
  assert.equal(call.headers.Accept, 'application/json');
  assert.match(call.headers['User-Agent'], /^fluenzr-sdk-js\/0\.1\.0 node\/v\d+/);
  const custom = recordingFetch();
  const named = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl, fetch: custom.fetch, userAgent: 'crm-sync/2.0' });
  const csv = await named.contacts.export({ email: 'headers@' });
  assert.match(csv, /headers@example\.com/);
  assert.equal(custom.calls[0].headers['User-Agent'], 'crm-sync/2.0');
  assert.equal(custom.calls[0].headers['Content-Type'], undefined, 'no body, no content type');
});

test('every POST carries an Idempotency-Key: a new one per call, or the caller\'s', { timeout: 30000 }, async () => {
  const recorder = recordingFetch();
  const client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl, fetch: recorder.fetch });
  const a = await client.contacts.create({ email: 'key-a@example.com' });
  const b = await client.contacts.create({ email: 'key-b@example.com' });
  const [ka, kb] = recorder.calls.map((c) => c.key);
  assert.match(ka, UUID);
  assert.match(kb, UUID);
  assert.notEqual(ka, kb);

  const key = `caller-key-${randomUUID()}`;
  const first = await client.contacts.create({ email: 'key-c@example.com' }, { idempotencyKey: key });
  const again = await client.contacts.create({ email: 'key-c@example.com' }, { idempotencyKey: key });
  assert.equal(again.id, first.id);
  assert.deepEqual(recorder.calls.slice(2).map((c) => [c.key, c.status, c.replayed]), [[key, 201, false], [key, 201, true]]);
  const reused = await client.contacts.create({ email: 'key-d@example.com' }, { idempotencyKey: key }).then(() => undefined, (e) => e);
  assert.equal(reused.status, 409);
  assert.equal(reused.code, 'CONFLICT');
  assert.deepEqual(reused.details, { header: 'Idempotency-Key' });
  assert.equal(await countByEmail('key-c@example.com'), 1);

  const account = await client.emailAccounts.create({ email: 'keys@example.com', smtp: { host: 'sandbox' } });
  await client.emailAccounts.test(account.id);
  await client.contacts.update(a.id, { firstName: 'A' });
  await client.contacts.get(a.id);
  await client.contacts.delete(b.id);
  const tail = recorder.calls.slice(-5);
  assert.deepEqual(tail.map((c) => c.method), ['POST', 'POST', 'PUT', 'GET', 'DELETE']);
  assert.match(tail[1].key, UUID, 'a POST without a body has a key too');
  assert.deepEqual(tail.slice(2).map((c) => c.key), [undefined, undefined, undefined]);
  const keys = recorder.calls.filter((c) => c.method === 'POST').map((c) => c.key);
  assert.equal(new Set(keys).size, keys.length - 2, 'only the caller-given key repeats');
});
