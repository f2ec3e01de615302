import { iterateAll } from '../pagination.js';
import type {
  Activity,
  ActivityQuery,
  CampaignStats,
  EmailStats,
  Forecast,
  ForecastQuery,
  Preview,
  PreviewQuery,
  TimelineBucket,
  TimelineQuery,
} from '../types/campaign-stats.js';
import type {
  AddCampaignContactsParams,
  AddCampaignContactsResult,
  Campaign,
  CampaignContact,
  CampaignContactsQuery,
  CampaignListQuery,
  CreateCampaignParams,
  RemoveCampaignContactsParams,
  RemoveCampaignContactsResult,
  UpdateCampaignParams,
} from '../types/campaigns.js';
import type { Deleted, ListResult, RequestOptions } from '../types/common.js';
import { Resource, segment } from './base.js';

/** `/campaigns`: CRUD, lifecycle, enrolment, preview, forecast, statistics and activity. */
export class Campaigns extends Resource {
  private path(id: string, rest = ''): string {
    return `/campaigns/${segment(id)}${rest}`;
  }

  /** `GET /campaigns`: one page of campaigns, with `meta`. */
  async list(query?: CampaignListQuery, options?: RequestOptions): Promise<ListResult<Campaign>> {
    return this.transport.list<Campaign>({ method: 'GET', path: '/campaigns', query, options });
  }

  /** Every campaign matching `query`, page after page (100 per page). */
  listAll(query?: Omit<CampaignListQuery, 'page'>, options?: RequestOptions): AsyncGenerator<Campaign, void, undefined> {
    return iterateAll((page, perPage) => this.list({ perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /campaigns`: creates a draft campaign. */
  async create(body: CreateCampaignParams, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'POST', path: '/campaigns', json: body, options });
  }

  /** `GET /campaigns/{id}`. */
  async get(id: string, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'GET', path: this.path(id), options });
  }

  /** `PUT /campaigns/{id}`: only in `draft` or `paused` (else 409 `CONFLICT`). */
  async update(id: string, body: UpdateCampaignParams, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'PUT', path: this.path(id), json: body, options });
  }

  /** `DELETE /campaigns/{id}`: removes it with its history (not while `active`). */
  async delete(id: string, options?: RequestOptions): Promise<Deleted> {
    return this.transport.data<Deleted>({ method: 'DELETE', path: this.path(id), options });
  }

  /** `POST /campaigns/{id}/start`: draft → active (400 naming what is missing). */
  async start(id: string, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'POST', path: this.path(id, '/start'), options });
  }

  /** `POST /campaigns/{id}/pause`: active → paused. */
  async pause(id: string, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'POST', path: this.path(id, '/pause'), options });
  }

  /** `POST /campaigns/{id}/resume`: paused → active. */
  async resume(id: string, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'POST', path: this.path(id, '/resume'), options });
  }

  /** `POST /campaigns/{id}/archive`: completed or paused → archived. */
  async archive(id: string, options?: RequestOptions): Promise<Campaign> {
    return this.transport.data<Campaign>({ method: 'POST', path: this.path(id, '/archive'), options });
  }

  /** `GET /campaigns/{id}/contacts`: one page of enrolled contacts and their progress. */
  async listContacts(id: string, query?: CampaignContactsQuery, options?: RequestOptions): Promise<ListResult<CampaignContact>> {
    return this.transport.list<CampaignContact>({ method: 'GET', path: this.path(id, '/contacts'), query, options });
  }

  /** Every enrolled contact, page after page (100 per page). */
  listContactsAll(
    id: string,
    query?: Omit<CampaignContactsQuery, 'page'>,
    options?: RequestOptions,
  ): AsyncGenerator<CampaignContact, void, undefined> {
    return iterateAll((page, perPage) => this.listContacts(id, { perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /campaigns/{id}/contacts`: enrols by `contactIds`, `groupIds`, `groupId` or `filters`. */
  async addContacts(id: string, body: AddCampaignContactsParams, options?: RequestOptions): Promise<AddCampaignContactsResult> {
    return this.transport.data<AddCampaignContactsResult>({
      method: 'POST',
      path: this.path(id, '/contacts'),
      json: body,
      options,
    });
  }

  /** `DELETE /campaigns/{id}/contacts`: removes enrolled contacts. */
  async removeContacts(
    id: string,
    body: RemoveCampaignContactsParams,
    options?: RequestOptions,
  ): Promise<RemoveCampaignContactsResult> {
    return this.transport.data<RemoveCampaignContactsResult>({
      method: 'DELETE',
      path: this.path(id, '/contacts'),
      json: body,
      options,
    });
  }

  /** `GET /campaigns/{id}/preview`: an email node rendered for a contact (or sample data). */
  async preview(id: string, query?: PreviewQuery, options?: RequestOptions): Promise<Preview> {
    return this.transport.data<Preview>({ method: 'GET', path: this.path(id, '/preview'), query, options });
  }

  /** `GET /campaigns/{id}/forecast`: who gets which email when. */
  async forecast(id: string, query?: ForecastQuery, options?: RequestOptions): Promise<Forecast> {
    return this.transport.data<Forecast>({ method: 'GET', path: this.path(id, '/forecast'), query, options });
  }

  /** `GET /campaigns/{id}/stats`: counters and rates (percentages with one decimal). */
  async getStats(id: string, options?: RequestOptions): Promise<CampaignStats> {
    return this.transport.data<CampaignStats>({ method: 'GET', path: this.path(id, '/stats'), options });
  }

  /** `GET /campaigns/{id}/stats/emails`: one row per email node. */
  async getEmailStats(id: string, options?: RequestOptions): Promise<EmailStats[]> {
    return this.transport.data<EmailStats[]>({ method: 'GET', path: this.path(id, '/stats/emails'), options });
  }

  /** `GET /campaigns/{id}/stats/timeline`: counters per hour, day or week. */
  async getTimeline(id: string, query?: TimelineQuery, options?: RequestOptions): Promise<TimelineBucket[]> {
    return this.transport.data<TimelineBucket[]>({
      method: 'GET',
      path: this.path(id, '/stats/timeline'),
      query,
      options,
    });
  }

  /** `GET /campaigns/{id}/activity`: one page of events. */
  async listActivity(id: string, query?: ActivityQuery, options?: RequestOptions): Promise<ListResult<Activity>> {
    return this.transport.list<Activity>({ method: 'GET', path: this.path(id, '/activity'), query, options });
  }

  /** Every event of the campaign matching `query`, page after page (100 per page). */
  listActivityAll(
    id: string,
    query?: Omit<ActivityQuery, 'page'>,
    options?: RequestOptions,
  ): AsyncGenerator<Activity, void, undefined> {
    return iterateAll((page, perPage) => this.listActivity(id, { perPage, ...query, page }, options), query?.perPage);
  }
}
