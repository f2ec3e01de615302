import type { PageQuery } from './common.js';

/** A name/value header line. */
export interface Header {
  /** Header name. */
  name: string;
  /** Header value. */
  value: string;
}

/** Query of `campaigns.preview()`. */
export type PreviewQuery = {
  /** The email node (default: the first email of the workflow). */
  nodeId?: string;
  /** The contact to render for (default: sample data). */
  contactId?: string;
};

/** An email rendered exactly as it would be sent. */
export interface Preview {
  /** The email node. */
  nodeId: string;
  /** Position of the email in the sequence (1-based). */
  emailNumber: number;
  /** The contact rendered for, or `null` for sample data. */
  contactId: string | null;
  /** False when this contact could not be sent this email. */
  sendable: boolean;
  /** Why it is not sendable. */
  reason: string | null;
  /** Rendered subject. */
  subject: string | null;
  /** Rendered HTML part. */
  html: string | null;
  /** Rendered plain-text part. */
  text: string | null;
  /** Message headers. */
  headers: Header[];
}

/** Query of `campaigns.forecast()`. */
export type ForecastQuery = {
  /** Most planned messages returned (default 100, at most 1000). */
  limit?: number;
};

/** One planned message. */
export interface ForecastItem {
  /** Contact id. */
  contactId: string;
  /** Contact email. */
  email: string;
  /** Email node. */
  nodeId: string;
  /** Position of the email in the sequence. */
  emailNumber: number;
  /** When it is planned (RFC 3339). */
  scheduledAt: string;
}

/** Who gets which email when. */
export interface Forecast {
  /** When the plan was computed. */
  generatedAt: string;
  /** What the plan assumes. */
  assumptions: string;
  /** Planned messages, earliest first. */
  items: ForecastItem[];
  /** True when `limit` cut the list. */
  truncated: boolean;
}

/** A campaign's statistics; rates are percentages with one decimal. */
export interface CampaignStats {
  /** Contacts enrolled. */
  totalContacts: number;
  /** Messages handed to the SMTP server. */
  sent: number;
  /** `sent − bounced`. */
  delivered: number;
  /** Unique contacts who opened. */
  opened: number;
  /** `opened` over `delivered`, in %. */
  openRate: number;
  /** Unique contacts who clicked. */
  clicked: number;
  /** `clicked` over `delivered`, in %. */
  clickRate: number;
  /** Replies. */
  replied: number;
  /** `replied` over `delivered`, in %. */
  replyRate: number;
  /** Bounces. */
  bounced: number;
  /** `bounced` over `sent`, in %. */
  bounceRate: number;
  /** Unsubscribes. */
  unsubscribed: number;
  /** `unsubscribed` over `delivered`, in %. */
  unsubscribeRate: number;
  /** Messages whose outcome is unknown. */
  uncertain: number;
  /** Messages that failed. */
  failed: number;
  /** Contacts still pending or in progress. */
  pending: number;
}

/** Statistics of one email node. */
export interface EmailStats {
  /** Email node id. */
  nodeId: string;
  /** Position of the email in the sequence. */
  emailNumber: number;
  /** Subject template. */
  subject: string;
  /** Messages sent. */
  sent: number;
  /** Unique opens. */
  opened: number;
  /** Open rate, in %. */
  openRate: number;
  /** Unique clicks. */
  clicked: number;
  /** Click rate, in %. */
  clickRate: number;
  /** Replies. */
  replied: number;
  /** Reply rate, in %. */
  replyRate: number;
}

/** Query of `campaigns.getTimeline()`. */
export type TimelineQuery = {
  /** Start (RFC 3339 or `YYYY-MM-DD`); default `to` minus 30 days. */
  from?: string | Date;
  /** End, exclusive; default now. */
  to?: string | Date;
  /** Bucket width (default `day`). */
  interval?: 'hour' | 'day' | 'week';
};

/** One bucket of the timeline. */
export interface TimelineBucket {
  /** Bucket start (RFC 3339). */
  date: string;
  /** Messages sent. */
  sent: number;
  /** Opens. */
  opened: number;
  /** Clicks. */
  clicked: number;
  /** Replies. */
  replied: number;
  /** Bounces. */
  bounced: number;
}

/** A campaign event type. */
export type ActivityType =
  | 'sent'
  | 'opened'
  | 'clicked'
  | 'replied'
  | 'bounced'
  | 'unsubscribed'
  | 'failed'
  | 'uncertain'
  | 'skipped';

/** One campaign event. */
export interface Activity {
  /** Event id (`evt_…`). */
  id: string;
  /** Event type. */
  type: ActivityType;
  /** Contact id. */
  contactId: string | null;
  /** Contact email. */
  contactEmail: string | null;
  /** Email node. */
  emailNodeId: string | null;
  /** When it happened (RFC 3339). */
  timestamp: string;
  /** Event details (e.g. `subject`, `linkUrl`). */
  metadata: Record<string, unknown>;
}

/** Query of `campaigns.listActivity()`. */
export type ActivityQuery = PageQuery & {
  /** Only events of this type. */
  type?: ActivityType;
  /** Only events of this contact. */
  contactId?: string;
  /** From this time (inclusive). */
  from?: string | Date;
  /** Until this time (exclusive). */
  to?: string | Date;
};
