/** The response headers kept on an error: anything with a case-insensitive `get`. */
export interface HeadersLike {
  /** The value of a header, or `null` when the answer did not carry it. */
  get(name: string): string | null;
}

/**
 * Error codes the server sends in its error envelope, plus the three the SDK produces itself:
 * `NETWORK_ERROR` and `TIMEOUT` (status 0, after the retries) and `INVALID_RESPONSE` (an answer
 * that is not the JSON envelope). Other strings are possible: the server may add codes.
 */
export type FluenzrErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMIT_EXCEEDED'
  | 'INTERNAL_ERROR'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'INVALID_RESPONSE'
  | (string & {});

/** What a {@link FluenzrError} is built from. */
export interface FluenzrErrorInit {
  /** HTTP status, or 0 when no answer was received. */
  status: number;
  /** Machine-readable code (`error.code` of the envelope). */
  code: FluenzrErrorCode;
  /** Human-readable message (`error.message` of the envelope). */
  message: string;
  /** `error.details` of the envelope, when the server sent some. */
  details?: Record<string, unknown>;
  /** The answer's headers, when there was an answer. */
  headers?: HeadersLike;
  /** HTTP method of the request that failed. */
  method?: string;
  /** Full URL of the request that failed. */
  url?: string;
  /** The underlying error (network failure, JSON parse error, …). */
  cause?: unknown;
}

const BRAND = Symbol.for('fluenzr.sdk.FluenzrError');

/**
 * Raised by every SDK method for any answer that is not 2xx, and for network failures, timeouts
 * and unreadable answers that survive the retries.
 *
 * `instanceof FluenzrError` also holds for errors raised by the other module format (ESM/CJS)
 * of this package loaded in the same process.
 */
export class FluenzrError extends Error {
  /** HTTP status of the answer; 0 for a network failure or a timeout. */
  readonly status: number;
  /** Machine-readable code, e.g. `NOT_FOUND`, `VALIDATION_ERROR`, `NETWORK_ERROR`. */
  readonly code: FluenzrErrorCode;
  /** `error.details` of the envelope (e.g. `{ field: 'email' }`), or `undefined`. */
  readonly details: Record<string, unknown> | undefined;
  /** Headers of the answer (`Retry-After`, `X-RateLimit-*`, …), when there was one. */
  readonly headers: HeadersLike | undefined;
  /** HTTP method of the failed request. */
  readonly method: string | undefined;
  /** URL of the failed request. */
  readonly url: string | undefined;

  /** Builds an error; SDK users normally only catch them. */
  constructor(init: FluenzrErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'FluenzrError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.headers = init.headers;
    this.method = init.method;
    this.url = init.url;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for errors of this class, whichever copy (ESM or CJS) of the package made them. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A compact JSON form (for logs). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, status: this.status, code: this.code, message: this.message, details: this.details };
  }
}
