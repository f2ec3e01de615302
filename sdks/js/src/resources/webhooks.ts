import { iterateAll } from '../pagination.js';
import type { Deleted, ListResult, RequestOptions } from '../types/common.js';
import type {
  CreatedWebhook,
  CreateWebhookParams,
  UpdateWebhookParams,
  Webhook,
  WebhookListQuery,
  WebhookLog,
  WebhookLogListQuery,
} from '../types/webhooks.js';
import { Resource, segment } from './base.js';

/** `/webhooks`: subscriptions, delivery logs and test deliveries. */
export class Webhooks extends Resource {
  /** `GET /webhooks`: one page of webhooks, with `meta`. */
  async list(query?: WebhookListQuery, options?: RequestOptions): Promise<ListResult<Webhook>> {
    return this.transport.list<Webhook>({ method: 'GET', path: '/webhooks', query, options });
  }

  /** Every webhook matching `query`, page after page (100 per page). */
  listAll(query?: Omit<WebhookListQuery, 'page'>, options?: RequestOptions): AsyncGenerator<Webhook, void, undefined> {
    return iterateAll((page, perPage) => this.list({ perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /webhooks`: the answer carries the signing `secret`, returned only here. */
  async create(body: CreateWebhookParams, options?: RequestOptions): Promise<CreatedWebhook> {
    return this.transport.data<CreatedWebhook>({ method: 'POST', path: '/webhooks', json: body, options });
  }

  /** `GET /webhooks/{id}`. */
  async get(id: string, options?: RequestOptions): Promise<Webhook> {
    return this.transport.data<Webhook>({ method: 'GET', path: `/webhooks/${segment(id)}`, options });
  }

  /** `PUT /webhooks/{id}`: may change `url`, `events`, `status`, `description`, `secret`. */
  async update(id: string, body: UpdateWebhookParams, options?: RequestOptions): Promise<Webhook> {
    return this.transport.data<Webhook>({ method: 'PUT', path: `/webhooks/${segment(id)}`, json: body, options });
  }

  /** `DELETE /webhooks/{id}`. */
  async delete(id: string, options?: RequestOptions): Promise<Deleted> {
    return this.transport.data<Deleted>({ method: 'DELETE', path: `/webhooks/${segment(id)}`, options });
  }

  /** `GET /webhooks/{id}/logs`: one page of delivery attempts. */
  async listLogs(id: string, query?: WebhookLogListQuery, options?: RequestOptions): Promise<ListResult<WebhookLog>> {
    return this.transport.list<WebhookLog>({ method: 'GET', path: `/webhooks/${segment(id)}/logs`, query, options });
  }

  /** Every delivery attempt of the webhook, page after page (100 per page). */
  listLogsAll(
    id: string,
    query?: Omit<WebhookLogListQuery, 'page'>,
    options?: RequestOptions,
  ): AsyncGenerator<WebhookLog, void, undefined> {
    return iterateAll((page, perPage) => this.listLogs(id, { perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /webhooks/{id}/test`: sends a signed `webhook.test` event now; returns its delivery log entry. */
  async test(id: string, options?: RequestOptions): Promise<WebhookLog> {
    return this.transport.data<WebhookLog>({ method: 'POST', path: `/webhooks/${segment(id)}/test`, options });
  }
}
