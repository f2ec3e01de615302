/**
 * `@fluenzr/sdk`: TypeScript/JavaScript client of the fluenzr `/v1` REST API.
 * @packageDocumentation
 */
export { FluenzrClient, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from './client.js';
export type { FluenzrClientOptions } from './client.js';
export { FluenzrError } from './errors.js';
export type { FluenzrErrorCode, FluenzrErrorInit, HeadersLike } from './errors.js';
export type { FetchInit, FetchLike, FetchResponseLike } from './http.js';
export { verifyWebhookSignature } from './webhook-signature.js';
export type { VerifyWebhookOptions } from './webhook-signature.js';
export { VERSION } from './version.js';
export { Contacts } from './resources/contacts.js';
export { Groups } from './resources/groups.js';
export { Campaigns } from './resources/campaigns.js';
export { EmailAccounts } from './resources/email-accounts.js';
export { Webhooks } from './resources/webhooks.js';
export { Sandbox, PipelineStages } from './resources/sandbox.js';
export type * from './types/common.js';
export type * from './types/contacts.js';
export type * from './types/groups.js';
export type * from './types/campaigns.js';
export type * from './types/campaign-stats.js';
export type * from './types/email-accounts.js';
export type * from './types/webhooks.js';
export type * from './types/misc.js';
