import { randomUUID } from 'node:crypto';
import { FluenzrError, type HeadersLike } from './errors.js';
import { toListResult } from './pagination.js';
import type { ListResult, PageMeta, RequestOptions } from './types/common.js';

/** The request a {@link FetchLike} receives. */
export interface FetchInit {
  /** HTTP method. */
  method: string;
  /** Request headers. */
  headers: Record<string, string>;
  /**
   * Request body: JSON text, or the CSV of an import (text, or an `ArrayBuffer` when the CSV was
   * given as bytes). Both are `BodyInit` values, so the platform's `fetch` type-checks as a
   * {@link FetchLike}.
   */
  body?: string | ArrayBuffer;
  /** Aborts the request (timeout or caller's signal). */
  signal: AbortSignal;
}

/** The part of a fetch `Response` the SDK uses. */
export interface FetchResponseLike {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: HeadersLike;
  /** Reads the body as text. */
  text(): Promise<string>;
}

/** A fetch implementation (`globalThis.fetch` by default; a wrapper may observe or alter requests). */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

/** Settled configuration of a client's transport. */
export interface TransportConfig {
  /** API key sent as `Authorization: Bearer …`. */
  apiKey: string;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8080/v1`. */
  baseUrl: string;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Milliseconds one attempt may take. */
  timeout: number;
  /** Fetch implementation. */
  fetch: FetchLike;
  /** `User-Agent` header. */
  userAgent: string;
}

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One API call, as the resources describe it. */
export interface Call {
  /** HTTP method. */
  method: Method;
  /** Path under the base URL, starting with `/`. */
  path: string;
  /** Query parameters; `undefined`/`null` are left out, arrays are comma-joined, dates ISO-formatted. */
  query?: object | undefined;
  /** JSON body. */
  json?: unknown;
  /** Raw body with its content type (CSV import). */
  raw?: { body: string | Uint8Array; contentType: string };
  /** Per-request options. */
  options?: RequestOptions | undefined;
}

const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8000;

/** Exponential backoff for retry `attempt` (0-based): 0.5 s, 1 s, 2 s, … capped at 8 s, ±25 % jitter. */
export function backoffDelay(attempt: number): number {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Milliseconds a `Retry-After` header asks to wait (seconds or an HTTP date), or `undefined`. */
export function retryAfterDelay(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A fresh `ArrayBuffer` holding exactly the given bytes (a view may cover part of a larger buffer). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPageMeta(value: unknown): value is PageMeta {
  return (
    isObject(value) &&
    ['page', 'perPage', 'total', 'totalPages'].every((key) => typeof value[key] === 'number')
  );
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Formats one query value, or returns `undefined` to leave it out. */
function queryValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => queryValue(item) ?? '').join(',');
  return String(value);
}

/** An answer that came back, with its body read. */
interface Answer {
  response: FetchResponseLike;
  body: string;
  url: string;
  method: Method;
}

/**
 * Sends requests: authentication, JSON encoding, timeouts, retries with backoff, `Retry-After`,
 * idempotency keys on POST, and translation of answers into data or {@link FluenzrError}.
 */
export class Transport {
  /** Builds a transport from a settled configuration. */
  constructor(readonly config: TransportConfig) {}

  /** Sends a call whose answer is the JSON envelope and returns its `data`. */
  async data<T>(call: Call): Promise<T> {
    const envelope = await this.envelope(call);
    return envelope.data as T;
  }

  /** Sends a list call and returns its items with `meta` attached. */
  async list<T>(call: Call): Promise<ListResult<T>> {
    const envelope = await this.envelope(call);
    if (!Array.isArray(envelope.data) || !isPageMeta(envelope.meta)) {
      throw this.invalid(envelope.answer, 'a list answer without an array `data` and a `meta` block');
    }
    return toListResult(envelope.data as T[], envelope.meta);
  }

  /** Sends a call whose successful answer is text (CSV export) and returns it. */
  async text(call: Call): Promise<string> {
    const answer = await this.execute(call, 'text/csv, application/json');
    return answer.body;
  }

  private async envelope(call: Call): Promise<{ data: unknown; meta: unknown; answer: Answer }> {
    const answer = await this.execute(call, 'application/json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch (error) {
      throw this.invalid(answer, 'a body that is not JSON', error);
    }
    if (!isObject(parsed) || parsed.success !== true || !('data' in parsed)) {
      throw this.invalid(answer, 'JSON that is not the success envelope');
    }
    return { data: parsed.data, meta: parsed.meta, answer };
  }

  private invalid(answer: Answer, what: string, cause?: unknown): FluenzrError {
    return new FluenzrError({
      status: answer.response.status,
      code: 'INVALID_RESPONSE',
      message: `${answer.method} ${answer.url} answered HTTP ${answer.response.status} with ${what}: ${snippet(answer.body)}`,
      headers: answer.response.headers,
      method: answer.method,
      url: answer.url,
      cause,
    });
  }

  /** The error for a non-2xx answer: the envelope's error, or `INVALID_RESPONSE`. */
  private answerError(answer: Answer): FluenzrError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      parsed = undefined;
    }
    const error = isObject(parsed) && parsed.success === false ? parsed.error : undefined;
    if (!isObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') {
      return this.invalid(answer, 'a body that is not the error envelope');
    }
    return new FluenzrError({
      status: answer.response.status,
      code: error.code,
      message: error.message,
      details: isObject(error.details) ? error.details : undefined,
      headers: answer.response.headers,
      method: answer.method,
      url: answer.url,
    });
  }

  /** The full URL of a call. */
  url(path: string, query?: object): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      const text = queryValue(value);
      if (text !== undefined) params.append(key, text);
    }
    const search = params.toString();
    return `${this.config.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  /** Runs the attempts of one call until a 2xx answer, a final error, or the retries run out. */
  private async execute(call: Call, accept: string): Promise<Answer> {
    const url = this.url(call.path, call.query);
    const options = call.options ?? {};
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.config.apiKey}`,
      Accept: accept,
      'User-Agent': this.config.userAgent,
    };
    let body: string | ArrayBuffer | undefined;
    if (call.raw) {
      body = typeof call.raw.body === 'string' ? call.raw.body : toArrayBuffer(call.raw.body);
      headers['Content-Type'] = call.raw.contentType;
    } else if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['Content-Type'] = 'application/json';
    }
    if (call.method === 'POST') headers['Idempotency-Key'] = options.idempotencyKey ?? randomUUID();
    const timeout = options.timeout ?? this.config.timeout;
    for (let attempt = 0; ; attempt += 1) {
      let failure: FluenzrError;
      let delay: number | undefined;
      try {
        const answer = await this.attempt(call.method, url, headers, body, timeout, options.signal);
        const status = answer.response.status;
        if (status >= 200 && status < 300) return answer;
        failure = this.answerError(answer);
        if (status === 429) {
          delay = retryAfterDelay(answer.response.headers.get('retry-after')) ?? backoffDelay(attempt);
        } else if (RETRYABLE_STATUSES.has(status)) {
          delay = backoffDelay(attempt);
        }
      } catch (error) {
        if (!(error instanceof FluenzrError)) throw error;
        failure = error;
        delay = backoffDelay(attempt);
      }
      if (delay === undefined || attempt >= this.config.maxRetries) throw failure;
      await sleep(delay, options.signal);
    }
  }

  /** One attempt: fetch and read the body under the timeout. Network failures become FluenzrError. */
  private async attempt(
    method: Method,
    url: string,
    headers: Record<string, string>,
    body: string | ArrayBuffer | undefined,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    if (signal?.aborted) throw signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      Number.isFinite(timeout) && timeout > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`timed out after ${timeout} ms`));
          }, timeout)
        : undefined;
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const init: FetchInit = { method, headers: { ...headers }, signal: controller.signal };
      if (body !== undefined) init.body = body;
      const response = await this.config.fetch(url, init);
      const text = await response.text();
      return { response, body: text, url, method };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw new FluenzrError({
          status: 0,
          code: 'TIMEOUT',
          message: `${method} ${url} timed out after ${timeout} ms`,
          method,
          url,
          cause: error,
        });
      }
      throw new FluenzrError({
        status: 0,
        code: 'NETWORK_ERROR',
        message: `${method} ${url} failed: ${describeCause(error)}`,
        method,
        url,
        cause: error,
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
