// The API page's SDK snippet and its three usage examples, copied as written, run against the real
// server; only the key, the ids ('acc_123', 'grp_456') and the `// ...` of the campaign are filled in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FluenzrClient } from '@fluenzr/sdk';
import { OPEN_WINDOW, TWO_STEP_WORKFLOW, startServer, waitFor } from './helpers/server.mjs';

let server;
let fluenzr;
let account;
let crmGroup;
let automated;

const myCRM = {
  /** The CRM's new contacts, in the CRM's own field names. */
  async getNewContacts() {
    return [
      { email: 'ada@crm.example.com', first_name: 'Ada', last_name: 'Lovelace', company: 'Analytical Engines' },
      { email: 'grace@crm.example.com', first_name: 'Grace', last_name: 'Hopper', company: 'Navy' },
      { email: 'alan@crm.example.com', first_name: 'Alan', last_name: 'Turing', company: 'Bletchley Park' },
    ];
  },
};

before(async () => {
  server = await startServer();
  fluenzr = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  account = await fluenzr.emailAccounts.create({ email: 'sales@example.com', displayName: 'Sales', smtp: { host: 'sandbox' } });
  crmGroup = await fluenzr.groups.create({ name: 'From the CRM' });
});
after(async () => server?.stop());

test('SDK snippet: new FluenzrClient({ apiKey }) and client.contacts.list()', { timeout: 15000 }, async () => {
  await fluenzr.contacts.create({ email: 'snippet@example.com' });
  process.env.FLUENZR_BASE_URL = server.baseUrl; // the snippet sets only the key; the server's URL comes from the environment

  const client = new FluenzrClient({
    apiKey: server.apiKey
  });

  const contacts = await client.contacts.list();

  assert.ok(Array.isArray(contacts));
  assert.deepEqual(contacts.map((c) => c.email), ['snippet@example.com']);
  assert.deepEqual(contacts.meta, { page: 1, perPage: 20, total: 1, totalPages: 1 });
  delete process.env.FLUENZR_BASE_URL;
});

test('Sync a CRM', { timeout: 15000 }, async () => {
  // Get new contacts from your CRM
  const crmContacts = await myCRM.getNewContacts();

  // Create them in FluenzR
  for (const contact of crmContacts) {
    await fluenzr.contacts.create({
      email: contact.email,
      firstName: contact.first_name,
      lastName: contact.last_name,
      company: contact.company
    });
  }

  const synced = await fluenzr.contacts.list({ email: '@crm.example.com', sort: 'email', order: 'asc' });
  assert.deepEqual(
    synced.map((c) => [c.email, c.firstName, c.lastName, c.company]),
    [
      ['ada@crm.example.com', 'Ada', 'Lovelace', 'Analytical Engines'],
      ['alan@crm.example.com', 'Alan', 'Turing', 'Bletchley Park'],
      ['grace@crm.example.com', 'Grace', 'Hopper', 'Navy'],
    ],
  );
  const added = await fluenzr.groups.addContacts(crmGroup.id, { contactIds: synced.map((c) => c.id) });
  assert.equal(added.added, 3);
});

test('Automate a campaign', { timeout: 30000 }, async () => {
  // Create a campaign via API
  const campaign = await fluenzr.campaigns.create({
    name: 'Automated Q1 2025',
    emailAccountId: account.id,
    settings: OPEN_WINDOW,
    workflow: TWO_STEP_WORKFLOW,
  });

  // Add contacts
  await fluenzr.campaigns.addContacts(campaign.id, {
    groupId: crmGroup.id
  });

  // Start
  await fluenzr.campaigns.start(campaign.id);

  automated = campaign;
  assert.equal((await fluenzr.campaigns.get(campaign.id)).status, 'active');
  const mail = await waitFor(async () => {
    const page = await fluenzr.sandbox.listMessages();
    return page.length === 3 && page;
  }, { what: 'three campaign emails in the sandbox' });
  assert.deepEqual(mail.map((m) => m.to).sort(), ['ada@crm.example.com', 'alan@crm.example.com', 'grace@crm.example.com']);
  assert.deepEqual(mail.map((m) => m.subject).sort(), ['Hi Ada', 'Hi Alan', 'Hi Grace']);
  const enrolled = await fluenzr.campaigns.listContacts(campaign.id);
  assert.equal(enrolled.meta.total, 3);
  assert.ok(enrolled.every((c) => c.emailsSent === 1 && c.lastEmailNodeId === 'hello'));
});

test('Export statistics', { timeout: 30000 }, async (t) => {
  // Ada opens her email: the tracking pixel of the message she received is loaded once.
  const mail = await fluenzr.sandbox.listMessages();
  const toAda = await fluenzr.sandbox.getMessage(mail.find((m) => m.to === 'ada@crm.example.com').id);
  const pixel = /<img src="([^"]+\/t\/o\/[^"]+)"/.exec(toAda.html)[1];
  assert.equal((await fetch(pixel)).status, 200);
  await waitFor(async () => (await fluenzr.campaigns.getStats(automated.id)).opened === 1, { what: 'the open to count' });
  await fluenzr.campaigns.create({ name: 'Draft for later', emailAccountId: account.id });

  const printed = [];
  t.mock.method(console, 'log', (line) => printed.push(line));

  // Get stats for all campaigns
  const campaigns = await fluenzr.campaigns.list();

  for (const campaign of campaigns) {
    const stats = await fluenzr.campaigns.getStats(campaign.id);
    console.log(`${campaign.name}: ${stats.openRate}% opens, ${stats.replyRate}% replies`);
  }

  t.mock.restoreAll();
  assert.deepEqual(printed.sort(), ['Automated Q1 2025: 33.3% opens, 0% replies', 'Draft for later: 0% opens, 0% replies']);
});
