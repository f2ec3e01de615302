// Email accounts, campaigns, statistics and the sandbox over HTTP against the real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FluenzrClient, FluenzrError } from '@fluenzr/sdk';
import { OPEN_WINDOW, TWO_STEP_WORKFLOW, rejection, startServer, waitFor } from './helpers/server.mjs';

let server;
let client;

before(async () => {
  server = await startServer();
  client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(async () => server?.stop());

async function failure(promise) {
  const error = await rejection(promise);
  assert.ok(error instanceof FluenzrError, String(error));
  return error;
}

test('email accounts: CRUD, list, listAll and the connection test', { timeout: 30000 }, async () => {
  const account = await client.emailAccounts.create({
    email: 'me@example.com',
    displayName: 'Me',
    smtp: { host: 'sandbox' },
  });
  assert.match(account.id, /^acc_[A-Za-z0-9]{20}$/);
  assert.equal(account.smtp.host, 'sandbox');
  assert.equal(account.smtp.hasPassword, false);
  assert.equal(account.imap, null);
  assert.deepEqual(await client.emailAccounts.get(account.id), account);

  const updated = await client.emailAccounts.update(account.id, { displayName: 'Me Myself', dailyLimit: 250 });
  assert.equal(updated.displayName, 'Me Myself');
  const reread = await client.emailAccounts.get(account.id);
  assert.equal(reread.displayName, 'Me Myself');
  assert.equal(reread.dailyLimit, 250);

  const result = await client.emailAccounts.test(account.id);
  assert.deepEqual(result, { ok: true, smtp: { ok: true, step: null, error: null }, imap: null });

  const relay = await client.emailAccounts.create({
    email: 'relay@example.com',
    smtp: { host: '127.0.0.1', port: 1, encryption: 'none', username: 'u', password: 'secret' },
  });
  assert.equal(relay.smtp.hasPassword, true);
  assert.equal('password' in relay.smtp, false, 'passwords are write-only');
  const refused = await client.emailAccounts.test(relay.id);
  assert.equal(refused.ok, false);
  assert.equal(refused.smtp.ok, false);
  assert.equal(refused.smtp.step, 'connect');
  assert.equal(typeof refused.smtp.error, 'string');

  const listed = await client.emailAccounts.list({ email: 'relay' });
  assert.deepEqual(listed.map((a) => a.id), [relay.id]);
  assert.equal(listed.meta.total, 1);
  const all = [];
  for await (const a of client.emailAccounts.listAll()) all.push(a.email);
  assert.deepEqual(all.sort(), ['me@example.com', 'relay@example.com']);

  assert.deepEqual(await client.emailAccounts.delete(relay.id), { id: relay.id, deleted: true });
  const gone = await failure(client.emailAccounts.get(relay.id));
  assert.equal(gone.status, 404);
  assert.equal(gone.code, 'NOT_FOUND');
});

test('campaign lifecycle, preview, forecast, sending, stats, timeline, activity, sandbox', { timeout: 60000 }, async () => {
  await client.sandbox.deleteMessages();
  const account = await client.emailAccounts.create({ email: 'sender@example.com', displayName: 'Sender', smtp: { host: 'sandbox' } });
  const ada = await client.contacts.create({ email: 'ada@campaign.example.com', firstName: 'Ada' });
  const bob = await client.contacts.create({ email: 'bob@campaign.example.com' });

  const campaign = await client.campaigns.create({
    name: 'Lifecycle',
    emailAccountId: account.id,
    settings: OPEN_WINDOW,
    workflow: TWO_STEP_WORKFLOW,
  });
  assert.match(campaign.id, /^cmp_[A-Za-z0-9]{20}$/);
  assert.equal(campaign.status, 'draft');
  assert.equal(campaign.settings.sendHoursEnd, 24);
  assert.equal(campaign.settings.stopOnReply, true, 'defaults are filled in');
  assert.deepEqual(campaign.workflow.edges, TWO_STEP_WORKFLOW.edges);
  assert.deepEqual(await client.campaigns.get(campaign.id), campaign);

  const missing = await failure(client.campaigns.start(campaign.id));
  assert.equal(missing.status, 400);
  assert.equal(missing.code, 'VALIDATION_ERROR');
  assert.deepEqual(missing.details.missing, ['contacts']);

  const renamed = await client.campaigns.update(campaign.id, { name: 'Lifecycle campaign', description: 'Two steps' });
  assert.equal(renamed.name, 'Lifecycle campaign');
  assert.equal((await client.campaigns.get(campaign.id)).description, 'Two steps');

  const enrolled = await client.campaigns.addContacts(campaign.id, { contactIds: [ada.id, bob.id] });
  assert.deepEqual(enrolled, { added: 2, skipped: 0, errors: [] });
  const removed = await client.campaigns.removeContacts(campaign.id, { contactIds: [bob.id] });
  assert.equal(removed.removed, 1);
  const enrolment = await client.campaigns.listContacts(campaign.id);
  assert.deepEqual(enrolment.map((c) => [c.contactId, c.status]), [[ada.id, 'pending']]);
  assert.equal(enrolment.meta.total, 1);

  const preview = await client.campaigns.preview(campaign.id, { nodeId: 'hello', contactId: ada.id });
  assert.equal(preview.nodeId, 'hello');
  assert.equal(preview.emailNumber, 1);
  assert.equal(preview.contactId, ada.id);
  assert.equal(preview.sendable, true);
  assert.equal(preview.subject, 'Hi Ada');
  assert.match(preview.html, /Hello Ada/);
  assert.match(preview.text, /Hello Ada/);
  assert.ok(preview.headers.some((h) => h.name === 'List-Unsubscribe'), JSON.stringify(preview.headers));
  const sample = await client.campaigns.preview(campaign.id);
  assert.equal(sample.contactId, null);

  const forecast = await client.campaigns.forecast(campaign.id, { limit: 10 });
  assert.equal(forecast.truncated, false);
  assert.equal(typeof forecast.assumptions, 'string');
  assert.deepEqual(forecast.items.map((i) => [i.contactId, i.nodeId, i.emailNumber]), [
    [ada.id, 'hello', 1],
    [ada.id, 'bump', 2],
  ]);
  assert.ok(Date.parse(forecast.items[1].scheduledAt) > Date.parse(forecast.items[0].scheduledAt));

  const started = await client.campaigns.start(campaign.id);
  assert.equal(started.status, 'active');
  assert.ok(started.startedAt);

  const messages = await waitFor(async () => {
    const page = await client.sandbox.listMessages();
    return page.length >= 1 && page;
  }, { what: 'the first email in the sandbox' });
  assert.equal(messages.meta.total, 1);
  assert.equal(messages[0].to, 'ada@campaign.example.com');
  assert.equal(messages[0].from, 'sender@example.com');
  assert.equal(messages[0].subject, 'Hi Ada');
  const message = await client.sandbox.getMessage(messages[0].id);
  assert.match(message.html, /Hello Ada/);
  assert.match(message.raw, /Subject: Hi Ada/);
  assert.ok(message.headers.some((h) => h.name.toLowerCase() === 'message-id'));
  const allMessages = [];
  for await (const m of client.sandbox.listMessagesAll()) allMessages.push(m.id);
  assert.deepEqual(allMessages, [message.id]);

  const stats = await waitFor(async () => {
    const s = await client.campaigns.getStats(campaign.id);
    return s.sent === 1 && s;
  }, { what: 'stats to count the send' });
  assert.equal(stats.totalContacts, 1);
  assert.equal(stats.delivered, 1);
  assert.equal(stats.openRate, 0);
  assert.equal(typeof stats.replyRate, 'number');
  const emailStats = await client.campaigns.getEmailStats(campaign.id);
  assert.deepEqual(emailStats.map((e) => [e.nodeId, e.emailNumber, e.sent]), [['hello', 1, 1], ['bump', 2, 0]]);
  const timeline = await client.campaigns.getTimeline(campaign.id, { interval: 'day', to: new Date(Date.now() + 86400000) });
  assert.ok(timeline.length >= 1);
  assert.equal(timeline.reduce((sum, b) => sum + b.sent, 0), 1);
  for (const bucket of timeline) assert.deepEqual(Object.keys(bucket).sort(), ['bounced', 'clicked', 'date', 'opened', 'replied', 'sent']);
  const activity = await client.campaigns.listActivity(campaign.id, { type: 'sent' });
  assert.equal(activity.meta.total, 1);
  assert.deepEqual([activity[0].type, activity[0].contactId, activity[0].emailNodeId], ['sent', ada.id, 'hello']);
  assert.equal(activity[0].contactEmail, 'ada@campaign.example.com');
  const allActivity = [];
  for await (const event of client.campaigns.listActivityAll(campaign.id)) allActivity.push(event.id);
  assert.deepEqual(allActivity, [activity[0].id]);
  const progress = [];
  for await (const c of client.campaigns.listContactsAll(campaign.id)) progress.push(c);
  assert.equal(progress[0].emailsSent, 1);
  assert.equal(progress[0].lastEmailNodeId, 'hello');

  assert.equal((await client.campaigns.pause(campaign.id)).status, 'paused');
  assert.equal((await client.campaigns.get(campaign.id)).status, 'paused');
  assert.equal((await client.campaigns.update(campaign.id, { description: 'Paused edit' })).description, 'Paused edit');
  assert.equal((await client.campaigns.resume(campaign.id)).status, 'active');
  const conflict = await failure(client.campaigns.update(campaign.id, { name: 'No' }));
  assert.equal(conflict.status, 409);
  assert.equal(conflict.code, 'CONFLICT');
  const activeDelete = await failure(client.campaigns.delete(campaign.id));
  assert.equal(activeDelete.status, 409);
  await client.campaigns.pause(campaign.id);
  assert.equal((await client.campaigns.archive(campaign.id)).status, 'archived');
  assert.equal((await client.campaigns.get(campaign.id)).status, 'archived');

  const archived = await client.campaigns.list({ status: 'archived' });
  assert.deepEqual(archived.map((c) => c.id), [campaign.id]);
  assert.equal(archived[0].stats.sent, 1);

  const cleared = await client.sandbox.deleteMessages();
  assert.equal(cleared.deleted, 1);
  assert.equal((await client.sandbox.listMessages()).meta.total, 0);
  const noMessage = await failure(client.sandbox.getMessage(message.id));
  assert.equal(noMessage.status, 404);
});

test('campaign list, listAll and delete', { timeout: 30000 }, async () => {
  const account = await client.emailAccounts.create({ email: 'lister@example.com', smtp: { host: 'sandbox' } });
  const ids = [];
  for (let i = 0; i < 3; i += 1) {
    ids.push((await client.campaigns.create({ name: `Draft ${i}`, emailAccountId: account.id })).id);
  }
  const page = await client.campaigns.list({ name: 'Draft', sort: 'name', order: 'asc', perPage: 2 });
  assert.deepEqual(page.map((c) => c.name), ['Draft 0', 'Draft 1']);
  assert.deepEqual(page.meta, { page: 1, perPage: 2, total: 3, totalPages: 2 });
  const names = [];
  for await (const c of client.campaigns.listAll({ name: 'Draft', sort: 'name', order: 'desc', perPage: 1 })) names.push(c.name);
  assert.deepEqual(names, ['Draft 2', 'Draft 1', 'Draft 0']);
  assert.deepEqual(await client.campaigns.delete(ids[0]), { id: ids[0], deleted: true });
  const gone = await failure(client.campaigns.get(ids[0]));
  assert.equal(gone.status, 404);
  assert.equal(gone.code, 'NOT_FOUND');
  assert.equal((await client.campaigns.list({ name: 'Draft' })).meta.total, 2);
});
