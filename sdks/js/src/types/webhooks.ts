import type { PageQuery, SortedPageQuery } from './common.js';

/** Events a webhook can subscribe to. */
export type WebhookEventType =
  | 'contact.created'
  | 'contact.updated'
  | 'contact.deleted'
  | 'campaign.started'
  | 'campaign.paused'
  | 'campaign.completed'
  | 'email.sent'
  | 'email.delivered'
  | 'email.opened'
  | 'email.clicked'
  | 'email.replied'
  | 'email.bounced'
  | 'email.unsubscribed';

/** Whether a webhook receives deliveries. */
export type WebhookStatus = 'active' | 'disabled' | 'failed';

/** A webhook (`whk_…`). */
export interface Webhook {
  /** Webhook id (`whk_…`). */
  id: string;
  /** Receiving URL. */
  url: string;
  /** Subscribed events, or `["*"]`. */
  events: string[];
  /** Status. */
  status: WebhookStatus;
  /** Description. */
  description: string | null;
  /** Creation time (RFC 3339). */
  createdAt: string;
  /** Last update time (RFC 3339). */
  updatedAt: string;
}

/** A webhook just created: the only time its signing `secret` is returned. */
export interface CreatedWebhook extends Webhook {
  /** Signing secret (`whsec_…`); keep it to verify deliveries. */
  secret: string;
}

/** Body of `webhooks.create()`. */
export interface CreateWebhookParams {
  /** http(s) URL receiving the deliveries. */
  url: string;
  /** Events to receive, or `['*']` for all. */
  events: WebhookEventType[] | ['*'];
  /** Description. */
  description?: string | null;
  /** Signing secret (default: generated). */
  secret?: string | null;
}

/** Body of `webhooks.update()`: only the given fields change. */
export interface UpdateWebhookParams {
  /** Receiving URL. */
  url?: string | null;
  /** Events. */
  events?: WebhookEventType[] | ['*'] | null;
  /** `active` or `disabled`. */
  status?: 'active' | 'disabled' | null;
  /** Description. */
  description?: string | null;
  /** New signing secret. */
  secret?: string | null;
}

/** Query of `webhooks.list()`. */
export type WebhookListQuery = SortedPageQuery<'createdAt' | 'updatedAt' | 'url'> & {
  /** Status. */
  status?: WebhookStatus;
};

/** State of a delivery attempt. */
export type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'failed';

/** One delivery attempt of an event to a webhook. */
export interface WebhookLog {
  /** Log id (`log_…`). */
  id: string;
  /** Event id (`evt_…`), the same across attempts. */
  eventId: string;
  /** Event type (e.g. `contact.created`, `webhook.test`). */
  eventType: string;
  /** Delivery state. */
  status: DeliveryStatus;
  /** HTTP status the receiver answered. */
  statusCode: number | null;
  /** Receiver's response time in ms. */
  responseTime: number | null;
  /** Attempt number (1-based). */
  attempt: number;
  /** Failure, if any. */
  error: string | null;
  /** When the attempt was made (RFC 3339). */
  timestamp: string;
}

/** Query of `webhooks.listLogs()`. */
export type WebhookLogListQuery = PageQuery & {
  /** Delivery state. */
  status?: DeliveryStatus;
};

/** The JSON body of a delivery, as a receiver sees it. */
export interface WebhookPayload<T = Record<string, unknown>> {
  /** Event id (`evt_…`). */
  id: string;
  /** Event type. */
  type: WebhookEventType | 'webhook.test' | (string & {});
  /** When the event happened (RFC 3339). */
  timestamp: string;
  /** Event data. */
  data: T;
}
