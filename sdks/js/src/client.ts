import { Transport, type FetchLike, type TransportConfig } from './http.js';
import { Campaigns } from './resources/campaigns.js';
import { Contacts } from './resources/contacts.js';
import { EmailAccounts } from './resources/email-accounts.js';
import { Groups } from './resources/groups.js';
import { PipelineStages, Sandbox } from './resources/sandbox.js';
import { Webhooks } from './resources/webhooks.js';
import { VERSION } from './version.js';

/** Base URL used when neither `baseUrl` nor `FLUENZR_BASE_URL` is set. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080/v1';
/** Default number of retries after the first attempt. */
export const DEFAULT_MAX_RETRIES = 3;
/** Default time one attempt may take, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Options of {@link FluenzrClient}. */
export interface FluenzrClientOptions {
  /** API key (`flz_sk_…`); default: the `FLUENZR_API_KEY` environment variable. Required. */
  apiKey?: string;
  /** API base URL including `/v1`; default: `FLUENZR_BASE_URL`, else `http://127.0.0.1:8080/v1`. */
  baseUrl?: string;
  /** Retries after the first attempt for 429, 500/502/503/504, network errors and timeouts (default 3). */
  maxRetries?: number;
  /** Milliseconds one attempt may take before it counts as a timeout (default 30000). */
  timeout?: number;
  /** Fetch implementation (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /** `User-Agent` header (default `fluenzr-sdk-js/<version> node/<version>`). */
  userAgent?: string;
}

function environment(): Record<string, string | undefined> {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env ?? {};
}

function resolveBaseUrl(given: string | undefined): string {
  const raw = (given ?? environment().FLUENZR_BASE_URL ?? DEFAULT_BASE_URL).trim();
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`FluenzrClient: baseUrl ${JSON.stringify(raw)} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`FluenzrClient: baseUrl must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/+$/, '');
}

function defaultUserAgent(): string {
  const proc = (globalThis as { process?: { version?: string } }).process;
  return `fluenzr-sdk-js/${VERSION}${proc?.version ? ` node/${proc.version}` : ''}`;
}

function settle(options: FluenzrClientOptions): TransportConfig {
  const apiKey = options.apiKey ?? environment().FLUENZR_API_KEY;
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new Error(
      'FluenzrClient needs an API key: pass new FluenzrClient({ apiKey: "flz_sk_…" }) or set FLUENZR_API_KEY',
    );
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new Error(`FluenzrClient: maxRetries must be a non-negative integer, got ${String(maxRetries)}`);
  }
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new Error(`FluenzrClient: timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  let fetchImpl = options.fetch;
  if (fetchImpl === undefined) {
    if (typeof globalThis.fetch !== 'function') {
      throw new Error('FluenzrClient: no global fetch (Node >= 18 has one); pass the fetch option');
    }
    fetchImpl = (url, init) => globalThis.fetch(url, init);
  }
  return {
    apiKey: apiKey.trim(),
    baseUrl: resolveBaseUrl(options.baseUrl),
    maxRetries,
    timeout,
    fetch: fetchImpl,
    userAgent: options.userAgent ?? defaultUserAgent(),
  };
}

/**
 * Client of the fluenzr `/v1` API. Every method returns the answer's `data` (lists: an array
 * with `meta`), and rejects with {@link FluenzrError} otherwise.
 *
 * @example
 * const client = new FluenzrClient({ apiKey: process.env.FLUENZR_API_KEY });
 * const contacts = await client.contacts.list();
 */
export class FluenzrClient {
  /** Contacts: CRUD, bulk, search, CSV import/export, tags, groups. */
  readonly contacts: Contacts;
  /** Groups and their members. */
  readonly groups: Groups;
  /** Campaigns: lifecycle, enrolment, preview, forecast, statistics, activity. */
  readonly campaigns: Campaigns;
  /** Sending accounts. */
  readonly emailAccounts: EmailAccounts;
  /** Webhooks, delivery logs, test deliveries. */
  readonly webhooks: Webhooks;
  /** Mail captured from `sandbox` accounts. */
  readonly sandbox: Sandbox;
  /** Pipeline stages. */
  readonly pipelineStages: PipelineStages;
  /** The base URL in use (no trailing slash). */
  readonly baseUrl: string;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Milliseconds one attempt may take. */
  readonly timeout: number;

  /** Builds a client; throws an `Error` when no API key is given nor set in `FLUENZR_API_KEY`. */
  constructor(options: FluenzrClientOptions = {}) {
    const config = settle(options ?? {});
    const transport = new Transport(config);
    this.baseUrl = config.baseUrl;
    this.maxRetries = config.maxRetries;
    this.timeout = config.timeout;
    this.contacts = new Contacts(transport);
    this.groups = new Groups(transport);
    this.campaigns = new Campaigns(transport);
    this.emailAccounts = new EmailAccounts(transport);
    this.webhooks = new Webhooks(transport);
    this.sandbox = new Sandbox(transport);
    this.pipelineStages = new PipelineStages(transport);
  }
}
