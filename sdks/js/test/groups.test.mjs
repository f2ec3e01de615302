// Groups over HTTP against the real server: CRUD and membership.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FluenzrClient, FluenzrError } from '@fluenzr/sdk';
import { startServer } from './helpers/server.mjs';

let server;
let client;

before(async () => {
  server = await startServer();
  client = new FluenzrClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
after(async () => server?.stop());

test('group CRUD, list filters and listAll', { timeout: 30000 }, async () => {
  const leads = await client.groups.create({ name: 'Leads', description: 'Inbound', color: '#3b82f6' });
  assert.match(leads.id, /^grp_[A-Za-z0-9]{20}$/);
  assert.equal(leads.type, 'static');
  assert.equal(leads.contactCount, 0);
  const dynamic = await client.groups.create({ name: 'Dynamic leads', type: 'dynamic' });
  assert.equal(dynamic.type, 'dynamic');

  assert.deepEqual(await client.groups.get(leads.id), leads);
  const renamed = await client.groups.update(leads.id, { name: 'Warm leads', color: '#ef4444' });
  assert.equal(renamed.name, 'Warm leads');
  assert.equal(renamed.description, 'Inbound');
  assert.equal((await client.groups.get(leads.id)).color, '#ef4444');

  const byType = await client.groups.list({ type: 'dynamic' });
  assert.deepEqual(byType.map((g) => g.id), [dynamic.id]);
  assert.deepEqual(byType.meta, { page: 1, perPage: 20, total: 1, totalPages: 1 });
  const byName = await client.groups.list({ name: 'warm' });
  assert.deepEqual(byName.map((g) => g.name), ['Warm leads']);

  for (let i = 0; i < 5; i += 1) await client.groups.create({ name: `Extra ${i}` });
  const names = [];
  for await (const group of client.groups.listAll({ sort: 'name', order: 'asc', perPage: 2 })) names.push(group.name);
  assert.deepEqual(names, ['Dynamic leads', 'Extra 0', 'Extra 1', 'Extra 2', 'Extra 3', 'Extra 4', 'Warm leads']);

  const duplicate = await client.groups.create({ name: 'Warm leads' }).catch((e) => e);
  assert.ok(duplicate instanceof FluenzrError);
  assert.equal(duplicate.status, 409);
  assert.equal(duplicate.code, 'CONFLICT');

  assert.deepEqual(await client.groups.delete(dynamic.id), { id: dynamic.id, deleted: true });
  const gone = await client.groups.get(dynamic.id).catch((e) => e);
  assert.equal(gone.status, 404);
  assert.equal(gone.code, 'NOT_FOUND');
});

test('members: add, list, listContactsAll, remove; deleting a group keeps its contacts', { timeout: 30000 }, async () => {
  const group = await client.groups.create({ name: 'Members' });
  const bulk = await client.contacts.bulk({
    contacts: Array.from({ length: 5 }, (_, i) => ({ email: `member${i}@groups.example.com` })),
  });
  assert.equal(bulk.created, 5);
  const contacts = await client.contacts.list({ email: '@groups.example.com', sort: 'email', order: 'asc' });
  const ids = contacts.map((c) => c.id);

  const added = await client.groups.addContacts(group.id, { contactIds: ids });
  assert.deepEqual(added, { added: 5, skipped: 0, errors: [] });
  const again = await client.groups.addContacts(group.id, { contactIds: [ids[0], 'con_00000000000000000000'] });
  assert.equal(again.added, 0);
  assert.equal(again.skipped, 1);
  assert.deepEqual(again.errors.map((e) => [e.contactId, e.code]), [['con_00000000000000000000', 'NOT_FOUND']]);
  assert.equal((await client.groups.get(group.id)).contactCount, 5);

  const page = await client.groups.listContacts(group.id, { perPage: 2, sort: 'email', order: 'asc' });
  assert.deepEqual(page.map((c) => c.id), ids.slice(0, 2));
  assert.equal(page.meta.total, 5);
  const all = [];
  for await (const c of client.groups.listContactsAll(group.id, { perPage: 2 })) all.push(c.id);
  assert.deepEqual(all.sort(), [...ids].sort());

  const removed = await client.groups.removeContacts(group.id, { contactIds: ids.slice(0, 2) });
  assert.equal(removed.removed, 2);
  assert.equal((await client.groups.get(group.id)).contactCount, 3);
  const member = await client.contacts.get(ids[0]);
  assert.deepEqual(member.groups, []);

  await client.groups.delete(group.id);
  assert.equal((await client.contacts.get(ids[4])).email, 'member4@groups.example.com');
  assert.equal((await client.contacts.list({ email: '@groups.example.com' })).meta.total, 5);
});
