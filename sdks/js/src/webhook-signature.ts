import { createHmac, timingSafeEqual } from 'node:crypto';

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookOptions {
  /** Largest accepted distance, in seconds, between the timestamp and now (default 300). */
  toleranceSeconds?: number;
  /** The current time, as a `Date` or milliseconds since the epoch (default: `Date.now()`). */
  now?: Date | number;
}

/** Header values as Node's `req.headers` gives them. */
type HeaderValue = string | readonly string[] | null | undefined;

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

function firstValue(value: HeaderValue | number): string | number | undefined {
  if (Array.isArray(value)) return value.length === 1 ? (value[0] as string) : undefined;
  return (value ?? undefined) as string | number | undefined;
}

/** The timestamp as signed (its text) and as a number of seconds, or `undefined` when malformed. */
function parseTimestamp(value: string | number | undefined): { text: string; seconds: number } | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? { text: String(value), seconds: value } : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return /^\d{1,15}$/.test(text) ? { text, seconds: Number(text) } : undefined;
}

function bodyBytes(rawBody: unknown): Uint8Array | undefined {
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  if (rawBody instanceof Uint8Array) return rawBody;
  return undefined;
}

/**
 * Checks a webhook delivery: `signature` is the `X-FluenzR-Signature` header
 * (`sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`), `timestamp` the
 * `X-FluenzR-Timestamp` header (Unix seconds), `rawBody` the exact bytes received (verify before
 * parsing the JSON). Compares in constant time.
 *
 * Returns `true` only for a well-formed signature that matches and a timestamp within
 * `toleranceSeconds` of now; `false` for anything else (malformed or missing input included).
 */
export function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  signature: HeaderValue,
  timestamp: HeaderValue | number,
  secret: string,
  options: VerifyWebhookOptions = {},
): boolean {
  try {
    const body = bodyBytes(rawBody);
    const signed = firstValue(signature);
    const stamp = parseTimestamp(firstValue(timestamp));
    if (body === undefined || typeof signed !== 'string' || stamp === undefined) return false;
    if (typeof secret !== 'string' || secret.length === 0) return false;
    const match = SIGNATURE_PATTERN.exec(signed.trim());
    if (!match) return false;
    const tolerance = options.toleranceSeconds ?? 300;
    if (typeof tolerance !== 'number' || !(tolerance >= 0)) return false;
    const nowMs = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
    if (!Number.isFinite(nowMs)) return false;
    if (Math.abs(nowMs / 1000 - stamp.seconds) > tolerance) return false;
    const expected = createHmac('sha256', secret).update(`${stamp.text}.`).update(body).digest();
    const given = Buffer.from(match[1] as string, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  } catch {
    return false;
  }
}
