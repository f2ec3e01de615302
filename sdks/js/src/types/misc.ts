import type { Header } from './campaign-stats.js';

/** A captured sandbox message, as listed. */
export interface SandboxMessageSummary {
  /** Message id (`msg_…`). */
  id: string;
  /** The `Message-ID` header (without angle brackets). */
  messageId: string;
  /** Sender address. */
  from: string;
  /** Recipient address. */
  to: string;
  /** Subject. */
  subject: string;
  /** When it was captured (RFC 3339). */
  createdAt: string;
}

/** A captured sandbox message in full. */
export interface SandboxMessage extends SandboxMessageSummary {
  /** Every header. */
  headers: Header[];
  /** HTML part. */
  html: string;
  /** Plain-text part. */
  text: string;
  /** The raw RFC 5322 message. */
  raw: string;
}

/** Result of `sandbox.deleteMessages()`. */
export interface SandboxClearResult {
  /** Messages deleted. */
  deleted: number;
}

/** A pipeline stage (`stg_…`). */
export interface PipelineStage {
  /** Stage id (`stg_…`). */
  id: string;
  /** Name. */
  name: string;
  /** Order in the pipeline. */
  position: number;
  /** Creation time (RFC 3339). */
  createdAt: string;
}
