// Type-checked (tsc --noEmit), not run: the API page's snippet and examples against the package's
// declarations, plus lines that must NOT compile (@ts-expect-error), so loose typings fail the check.
import {
  FluenzrClient,
  FluenzrError,
  verifyWebhookSignature,
  type Campaign,
  type CampaignStats,
  type Contact,
  type ListResult,
  type PageMeta,
  type WebhookPayload,
} from '@fluenzr/sdk';

declare const myCRM: {
  getNewContacts(): Promise<Array<{ email: string; first_name: string; last_name: string; company: string }>>;
};

const client = new FluenzrClient({
  apiKey: 'your-api-key'
});

const contacts = await client.contacts.list();
const firstEmail: string | undefined = contacts[0]?.email;
const meta: PageMeta = contacts.meta;

const fluenzr = new FluenzrClient({ apiKey: process.env.FLUENZR_API_KEY ?? '', baseUrl: 'http://127.0.0.1:8080/v1' });

// Sync a CRM
{
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
}

// Automate a campaign
{
  // Create a campaign via API
  const campaign = await fluenzr.campaigns.create({
    name: 'Automated Q1 2025',
    emailAccountId: 'acc_123',
    settings: { sendDays: ['monday', 'friday'], sendHoursStart: 9, sendHoursEnd: 17, timezone: 'Europe/Paris' },
    workflow: {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'hello', type: 'email', data: { subject: 'Hi {{firstName|there}}', body: '<p>Hello</p>' } },
        { id: 'end', type: 'end' },
      ],
      edges: [{ from: 'start', to: 'hello' }, { from: 'hello', to: 'end' }],
    },
  });

  // Add contacts
  await fluenzr.campaigns.addContacts(campaign.id, {
    groupId: 'grp_456'
  });

  // Start
  await fluenzr.campaigns.start(campaign.id);
}

// Export statistics
{
  // Get stats for all campaigns
  const campaigns = await fluenzr.campaigns.list();

  for (const campaign of campaigns) {
    const stats = await fluenzr.campaigns.getStats(campaign.id);
    console.log(`${campaign.name}: ${stats.openRate}% opens, ${stats.replyRate}% replies`);
  }
}

// Pagination, errors, webhooks.
for await (const contact of fluenzr.contacts.listAll({ tag: 'vip' })) {
  const c: Contact = contact;
  console.log(c.email, c.customFields['plan']);
}
const page: ListResult<Campaign> = await fluenzr.campaigns.list({ status: 'active', perPage: 50 });
const stats: CampaignStats = await fluenzr.campaigns.getStats(page[0]?.id ?? 'cmp_x');
const csv: string = await fluenzr.contacts.export({ tag: 'vip' });
try {
  await fluenzr.contacts.get('con_missing', { timeout: 5000, signal: AbortSignal.timeout(10000) });
} catch (error) {
  if (error instanceof FluenzrError) {
    const status: number = error.status;
    console.log(status, error.code, error.message, error.details?.['field']);
  }
}
const ok: boolean = verifyWebhookSignature(Buffer.from('{}'), 'sha256=00', '1700000000', 'whsec_x', { toleranceSeconds: 60 });
declare const headers: Record<string, string | string[] | undefined>;
verifyWebhookSignature('{}', headers['x-fluenzr-signature'], headers['x-fluenzr-timestamp'], 'whsec_x');
const payload = JSON.parse('{}') as WebhookPayload;
console.log(firstEmail, meta.total, stats.bounceRate, csv.length, ok, payload.type);

// Things that must not compile.
// @ts-expect-error email is required
await fluenzr.contacts.create({ firstName: 'No email' });
// @ts-expect-error no such method
await fluenzr.contacts.nope();
// @ts-expect-error unknown campaign status
await fluenzr.campaigns.list({ status: 'running' });
// @ts-expect-error enrolment needs one of contactIds, groupIds, groupId or filters
await fluenzr.campaigns.addContacts('cmp_1', { group: 'grp_456' });
// @ts-expect-error openRate is a number
const wrong: string = stats.openRate;
// @ts-expect-error meta is not writable as a string
const notMeta: string = page.meta;
// @ts-expect-error webhooks need events
await fluenzr.webhooks.create({ url: 'https://example.com/hook' });
console.log(wrong, notMeta);
