// Webhooks over HTTP against the real server, and signature checks on REAL deliveries.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { FluenzrClient, FluenzrError, verifyWebhookSignature } from '@fluenzr/sdk';
import { startServer, waitFor } from './helpers/server.mjs';

let server;
let client;
let receiver;
let receiverUrl;
const deliveries = [];

before(async () => {
  server = await startServer();
  client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  // The receiver keeps the raw bytes of each delivery, as a real endpoint must for verification.
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, rawBody: Buffer.concat(chunks), url: req.url });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;
});
after(async () => {
  await server?.stop();
  await new Promise((r) => (receiver ? receiver.close(r) : r()));
});

async function deliveryOf(type) {
  return waitFor(
    () => deliveries.find((d) => JSON.parse(d.rawBody.toString('utf8')).type === type),
    { what: `a ${type} delivery` },
  );
}

test('webhook CRUD, list, listAll', { timeout: 30000 }, async () => {
  const hook = await client.webhooks.create({ url: `${receiverUrl}?crud`, events: ['email.opened'], description: 'CRUD' });
  assert.match(hook.id, /^whk_[A-Za-z0-9]{20}$/);
  assert.match(hook.secret, /^whsec_/);
  const fetched = await client.webhooks.get(hook.id);
  assert.equal('secret' in fetched, false, 'the secret is only returned on create');
  assert.deepEqual(fetched.events, ['email.opened']);

  const updated = await client.webhooks.update(hook.id, { events: ['email.opened', 'email.clicked'], status: 'disabled' });
  assert.deepEqual(updated.events, ['email.opened', 'email.clicked']);
  assert.equal((await client.webhooks.get(hook.id)).status, 'disabled');
  const disabled = await client.webhooks.list({ status: 'disabled' });
  assert.deepEqual(disabled.map((w) => w.id), [hook.id]);
  assert.equal(disabled.meta.total, 1);
  const all = [];
  for await (const w of client.webhooks.listAll({ perPage: 1 })) all.push(w.id);
  assert.ok(all.includes(hook.id));

  assert.deepEqual(await client.webhooks.delete(hook.id), { id: hook.id, deleted: true });
  const gone = await client.webhooks.get(hook.id).catch((e) => e);
  assert.ok(gone instanceof FluenzrError);
  assert.equal(gone.status, 404);
  assert.equal(gone.code, 'NOT_FOUND');
});

test('real deliveries verify; tampering, a wrong secret or an old timestamp do not', { timeout: 30000 }, async () => {
  const hook = await client.webhooks.create({ url: receiverUrl, events: ['contact.created'] });
  const secret = hook.secret;

  const log = await client.webhooks.test(hook.id);
  assert.equal(log.eventType, 'webhook.test');
  assert.match(log.eventId, /^evt_/);
  assert.equal(log.status, 'delivered');
  assert.equal(log.statusCode, 200);
  assert.equal(log.attempt, 1);

  const testDelivery = await deliveryOf('webhook.test');
  const { headers, rawBody } = testDelivery;
  assert.equal(JSON.parse(rawBody.toString('utf8')).id, log.eventId);
  const signature = headers['x-fluenzr-signature'];
  const timestamp = headers['x-fluenzr-timestamp'];
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  assert.equal(verifyWebhookSignature(rawBody, signature, timestamp, secret), true);
  assert.equal(verifyWebhookSignature(rawBody.toString('utf8'), signature, timestamp, secret), true, 'string body');
  assert.equal(verifyWebhookSignature(new Uint8Array(rawBody), signature, Number(timestamp), secret), true, 'Uint8Array, number');

  const tampered = Buffer.from(rawBody.toString('utf8').replace('webhook.test', 'webhook.tost'));
  assert.equal(verifyWebhookSignature(tampered, signature, timestamp, secret), false, 'tampered body');
  assert.equal(verifyWebhookSignature(rawBody, signature, timestamp, 'whsec_wrong'), false, 'wrong secret');
  assert.equal(verifyWebhookSignature(rawBody, signature, String(Number(timestamp) - 1), secret), false, 'other timestamp');
  const sentAt = Number(timestamp) * 1000;
  assert.equal(verifyWebhookSignature(rawBody, signature, timestamp, secret, { now: sentAt + 301000 }), false, 'too old');
  assert.equal(verifyWebhookSignature(rawBody, signature, timestamp, secret, { now: sentAt + 299000 }), true);
  assert.equal(verifyWebhookSignature(rawBody, signature, timestamp, secret, { now: new Date(sentAt - 301000) }), false, 'future');
  assert.equal(
    verifyWebhookSignature(rawBody, signature, timestamp, secret, { now: sentAt + 3600000, toleranceSeconds: 7200 }),
    true,
  );

  const contact = await client.contacts.create({ email: 'hooked@example.com', firstName: 'Hooked' });
  const created = await deliveryOf('contact.created');
  const payload = JSON.parse(created.rawBody.toString('utf8'));
  assert.equal(payload.data.contact.id, contact.id);
  assert.equal(payload.data.contact.email, 'hooked@example.com');
  assert.equal(
    verifyWebhookSignature(created.rawBody, created.headers['x-fluenzr-signature'], created.headers['x-fluenzr-timestamp'], secret),
    true,
  );
  assert.equal(verifyWebhookSignature(created.rawBody, signature, timestamp, secret), false, "another delivery's signature");

  const logs = await waitFor(async () => {
    const page = await client.webhooks.listLogs(hook.id);
    return page.length === 2 && page.every((l) => l.status === 'delivered') && page;
  }, { what: 'two delivered logs' });
  assert.deepEqual(logs.map((l) => l.eventType).sort(), ['contact.created', 'webhook.test']);
  assert.equal(logs.meta.total, 2);
  assert.ok(logs.every((l) => l.statusCode === 200 && typeof l.responseTime === 'number'));
  const delivered = [];
  for await (const l of client.webhooks.listLogsAll(hook.id, { status: 'delivered' })) delivered.push(l.eventId);
  assert.deepEqual(delivered.sort(), logs.map((l) => l.eventId).sort());
});

test('verifyWebhookSignature refuses malformed input', () => {
  const secret = 'whsec_local';
  const body = '{"id":"evt_1","type":"webhook.test"}';
  const ts = String(Math.floor(Date.now() / 1000));
  const good = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  assert.equal(verifyWebhookSignature(body, good, ts, secret), true);
  assert.equal(verifyWebhookSignature(body, [good], [ts], secret), true, 'header arrays of one value');
  assert.equal(verifyWebhookSignature(body, good.toUpperCase().replace('SHA256=', 'sha256='), ts, secret), true);
  for (const signature of [undefined, null, '', 'sha256=', good.slice(7), `sha1=${good.slice(7)}`, `${good}00`, good.slice(0, -2), 'sha256=zz' + good.slice(9), [good, good]]) {
    assert.equal(verifyWebhookSignature(body, signature, ts, secret), false, `signature ${signature}`);
  }
  for (const timestamp of [undefined, '', 'abc', '12.5', '-1', `${ts}x`, Number.NaN, 1.5, -3]) {
    assert.equal(verifyWebhookSignature(body, good, timestamp, secret), false, `timestamp ${timestamp}`);
  }
  assert.equal(verifyWebhookSignature(body, good, ts, ''), false, 'empty secret');
  assert.equal(verifyWebhookSignature(undefined, good, ts, secret), false, 'no body');
  assert.equal(verifyWebhookSignature({ body }, good, ts, secret), false, 'object body');
  assert.equal(verifyWebhookSignature(body, good, ts, secret, { toleranceSeconds: -1 }), false);
});
