// Contacts over HTTP against the real server: CRUD, tags, groups, bulk, search, CSV, pagination.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FluenzrClient, FluenzrError } from '@fluenzr/sdk';
import { rejection, startServer } from './helpers/server.mjs';

let server;
let client;

before(async () => {
  server = await startServer();
  client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(async () => server?.stop());

/** Asserts that `promise` rejects with a FluenzrError of this status and code; returns it. */
async function rejectsWith(promise, status, code) {
  const error = await rejection(promise);
  assert.ok(error instanceof FluenzrError, `not a FluenzrError: ${error}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  return error;
}

test('create, get, update, delete a contact; state read back', { timeout: 30000 }, async () => {
  const stages = await client.pipelineStages.list();
  assert.deepEqual(stages.map((s) => s.name), ['Lead', 'Contacted', 'Interested', 'Meeting', 'Won', 'Lost']);
  const lead = stages[0];
  const group = await client.groups.create({ name: 'Crud group', color: '#3b82f6' });
  const created = await client.contacts.create({
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    company: 'Analytical Engines',
    tags: ['vip'],
    customFields: { plan: 'gold', seats: 2, trial: false },
    groupIds: [group.id],
    pipelineStageId: lead.id,
  });
  assert.match(created.id, /^con_[A-Za-z0-9]{20}$/);
  assert.equal(created.email, 'ada@example.com');
  assert.equal(created.status, 'active');
  assert.deepEqual(created.tags, ['vip']);
  assert.deepEqual(created.customFields, { plan: 'gold', seats: 2, trial: false });
  assert.deepEqual(created.groups, [{ id: group.id, name: 'Crud group' }]);
  assert.deepEqual(created.pipelineStage, { id: lead.id, name: 'Lead' });

  const fetched = await client.contacts.get(created.id);
  assert.deepEqual(fetched, created);

  const updated = await client.contacts.update(created.id, {
    jobTitle: 'Countess',
    customFields: { plan: null, seats: 3 },
  });
  assert.equal(updated.jobTitle, 'Countess');
  assert.equal(updated.firstName, 'Ada', 'fields not given stay');
  const reread = await client.contacts.get(created.id);
  assert.equal(reread.jobTitle, 'Countess');
  assert.deepEqual(reread.customFields, { seats: 3, trial: false });

  const deleted = await client.contacts.delete(created.id);
  assert.deepEqual(deleted, { id: created.id, deleted: true });
  const error = await rejectsWith(client.contacts.get(created.id), 404, 'NOT_FOUND');
  assert.match(error.message, /not found/i);
  assert.equal((await client.groups.get(group.id)).contactCount, 0);
});

test('tags and groups added then visible, removed then gone', { timeout: 30000 }, async () => {
  const contact = await client.contacts.create({ email: 'tags@example.com' });
  const [g1, g2] = await Promise.all([
    client.groups.create({ name: 'Tag group one' }),
    client.groups.create({ name: 'Tag group two' }),
  ]);
  const tagged = await client.contacts.addTags(contact.id, { tags: ['alpha', 'beta'] });
  assert.deepEqual([...tagged.tags].sort(), ['alpha', 'beta']);
  const grouped = await client.contacts.addToGroups(contact.id, { groupIds: [g1.id, g2.id] });
  assert.deepEqual(grouped.groups.map((g) => g.id).sort(), [g1.id, g2.id].sort());

  let seen = await client.contacts.get(contact.id);
  assert.deepEqual([...seen.tags].sort(), ['alpha', 'beta']);
  assert.equal(seen.groups.length, 2);
  const members = await client.groups.listContacts(g1.id);
  assert.deepEqual(members.map((c) => c.id), [contact.id]);
  const byTag = await client.contacts.list({ tag: 'alpha' });
  assert.deepEqual(byTag.map((c) => c.id), [contact.id]);
  assert.equal(byTag.meta.total, 1);

  await client.contacts.removeTags(contact.id, { tags: ['alpha'] });
  await client.contacts.removeFromGroups(contact.id, { groupIds: [g1.id] });
  seen = await client.contacts.get(contact.id);
  assert.deepEqual(seen.tags, ['beta']);
  assert.deepEqual(seen.groups, [{ id: g2.id, name: 'Tag group two' }]);
  assert.equal((await client.groups.get(g1.id)).contactCount, 0);
  assert.equal((await client.contacts.list({ tag: 'alpha' })).meta.total, 0);
});

test('bulk create, pagination meta, listAll yields every id exactly once', { timeout: 60000 }, async () => {
  const rows = Array.from({ length: 150 }, (_, i) => ({
    email: `page${String(i).padStart(3, '0')}@paging.example.com`,
    firstName: `P${i}`,
    tags: ['paging'],
  }));
  const result = await client.contacts.bulk({ contacts: [...rows, { email: 'not-an-email' }], onDuplicate: 'skip' });
  assert.equal(result.created, 150);
  assert.equal(result.updated, 0);
  assert.equal(result.errorCount, 1);
  assert.equal(result.errors[0].index, 150);
  assert.equal(result.errors[0].code, 'VALIDATION_ERROR');

  const again = await client.contacts.bulk({ contacts: rows.slice(0, 3) });
  assert.equal(again.created, 0);
  assert.equal(again.skipped, 3);

  const first = await client.contacts.list({ tag: 'paging', perPage: 40 });
  assert.ok(Array.isArray(first));
  assert.equal(first.length, 40);
  assert.deepEqual(first.meta, { page: 1, perPage: 40, total: 150, totalPages: 4 });
  const last = await client.contacts.list({ tag: 'paging', perPage: 40, page: 4 });
  assert.equal(last.length, 30);
  assert.equal(last.meta.page, 4);
  assert.equal(JSON.stringify(first).startsWith('[{'), true, 'meta is not serialised into the array');

  const pages = [];
  for (let page = 1; page <= 4; page += 1) pages.push(...(await client.contacts.list({ tag: 'paging', perPage: 40, page })));
  assert.equal(new Set(pages.map((c) => c.id)).size, 150, 'pages of 40 cover every contact once');

  const ids = [];
  for await (const contact of client.contacts.listAll({ tag: 'paging' })) ids.push(contact.id);
  assert.equal(ids.length, 150);
  assert.equal(new Set(ids).size, 150);
  const emails = new Set();
  for await (const contact of client.contacts.listAll({ tag: 'paging', sort: 'email', order: 'asc', perPage: 7 })) {
    emails.add(contact.email);
  }
  assert.deepEqual([...emails], rows.map((r) => r.email));
});

test('search and searchAll', { timeout: 30000 }, async () => {
  const group = await client.groups.create({ name: 'Search group' });
  await client.contacts.bulk({
    contacts: [
      { email: 'grace@search.example.com', firstName: 'Grace', company: 'Navy Compilers', tags: ['cobol'] },
      { email: 'alan@search.example.com', firstName: 'Alan', company: 'Bletchley', tags: ['cobol'] },
      { email: 'edsger@search.example.com', firstName: 'Edsger', company: 'Eindhoven', status: 'unsubscribed' },
    ],
    groupIds: [group.id],
  });
  const found = await client.contacts.search({ query: 'compilers' });
  assert.deepEqual(found.map((c) => c.email), ['grace@search.example.com']);
  assert.equal(found.meta.total, 1);

  const filtered = await client.contacts.search(
    { filters: { tags: ['cobol'], groups: [group.id], status: 'active' }, sort: { field: 'email', order: 'asc' } },
    { perPage: 1, page: 2 },
  );
  assert.equal(filtered.meta.total, 2);
  assert.equal(filtered.meta.perPage, 1);
  assert.deepEqual(filtered.map((c) => c.email), ['grace@search.example.com']);

  const all = [];
  for await (const c of client.contacts.searchAll({ filters: { groups: [group.id] }, sort: { field: 'email' } })) all.push(c.email);
  assert.deepEqual(all.sort(), ['alan@search.example.com', 'edsger@search.example.com', 'grace@search.example.com']);
});

test('CSV import then export contains the rows', { timeout: 30000 }, async () => {
  const group = await client.groups.create({ name: 'Imported' });
  const csv = [
    'email,First Name,lastName,company,tags,favouriteColour',
    'imp1@csv.example.com,Imp,One,"Acme, Inc.",csv;first,blue',
    'imp2@csv.example.com,Imp,Two,=SUM(A1),csv,green',
    'broken-row,x,y,z,csv,red',
  ].join('\r\n');
  const result = await client.contacts.import(csv, { onDuplicate: 'update', groupIds: [group.id] });
  assert.equal(result.created, 2);
  assert.equal(result.errorCount, 1);
  assert.equal(result.errors[0].email, 'broken-row');

  const imported = await client.groups.listContacts(group.id, { sort: 'email', order: 'asc' });
  assert.deepEqual(imported.map((c) => c.email), ['imp1@csv.example.com', 'imp2@csv.example.com']);
  assert.equal(imported[0].company, 'Acme, Inc.');
  assert.deepEqual(imported[0].customFields, { favouriteColour: 'blue' });
  assert.deepEqual([...imported[0].tags].sort(), ['csv', 'first']);

  const exported = await client.contacts.export({ tag: 'csv', sort: 'email', order: 'asc' });
  const lines = exported.trim().split('\r\n');
  assert.equal(lines.length, 3, exported);
  assert.match(lines[0], /^id,email,firstName,lastName,company/);
  assert.match(lines[1], /^con_[A-Za-z0-9]{20},imp1@csv\.example\.com,Imp,One,"Acme, Inc\.",/);
  assert.match(lines[2], /,imp2@csv\.example\.com,Imp,Two,'=SUM\(A1\),/);

  const reimport = await client.contacts.import(exported, { onDuplicate: 'skip' });
  assert.equal(reimport.skipped, 2);
  assert.equal(reimport.created, 0);
  const uint8 = await client.contacts.import(new TextEncoder().encode('email\nbytes@csv.example.com\n'));
  assert.equal(uint8.created, 1);
  assert.equal((await client.contacts.list({ email: 'bytes@csv' })).meta.total, 1);
});
