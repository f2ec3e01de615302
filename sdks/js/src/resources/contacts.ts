import { iterateAll } from '../pagination.js';
import type { Deleted, ListResult, PageQuery, RequestOptions } from '../types/common.js';
import type {
  BulkContactsParams,
  BulkResult,
  Contact,
  ContactExportQuery,
  ContactListQuery,
  CreateContactParams,
  GroupIdsParams,
  ImportContactsQuery,
  SearchContactsParams,
  TagsParams,
  UpdateContactParams,
} from '../types/contacts.js';
import { Resource, segment } from './base.js';

/** `/contacts`: CRUD, bulk create, search, CSV import and export, tags and groups. */
export class Contacts extends Resource {
  /** `GET /contacts`: one page of contacts, with `meta`. */
  async list(query?: ContactListQuery, options?: RequestOptions): Promise<ListResult<Contact>> {
    return this.transport.list<Contact>({ method: 'GET', path: '/contacts', query, options });
  }

  /** Every contact matching `query`, page after page (100 per page). */
  listAll(query?: Omit<ContactListQuery, 'page'>, options?: RequestOptions): AsyncGenerator<Contact, void, undefined> {
    return iterateAll((page, perPage) => this.list({ perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /contacts`: creates a contact (409 `CONFLICT` when the email exists). */
  async create(body: CreateContactParams, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'POST', path: '/contacts', json: body, options });
  }

  /** `GET /contacts/{id}`. */
  async get(id: string, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'GET', path: `/contacts/${segment(id)}`, options });
  }

  /** `PUT /contacts/{id}`: partial update; only the given fields change. */
  async update(id: string, body: UpdateContactParams, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'PUT', path: `/contacts/${segment(id)}`, json: body, options });
  }

  /** `DELETE /contacts/{id}`. */
  async delete(id: string, options?: RequestOptions): Promise<Deleted> {
    return this.transport.data<Deleted>({ method: 'DELETE', path: `/contacts/${segment(id)}`, options });
  }

  /** `POST /contacts/bulk`: up to 1000 contacts; bad rows are reported, never fail the others. */
  async bulk(body: BulkContactsParams, options?: RequestOptions): Promise<BulkResult> {
    return this.transport.data<BulkResult>({ method: 'POST', path: '/contacts/bulk', json: body, options });
  }

  /** `POST /contacts/search`: one page of matches, with `meta`. */
  async search(body: SearchContactsParams = {}, query?: PageQuery, options?: RequestOptions): Promise<ListResult<Contact>> {
    return this.transport.list<Contact>({ method: 'POST', path: '/contacts/search', json: body, query, options });
  }

  /** Every match of a search, page after page (100 per page). */
  searchAll(body: SearchContactsParams = {}, options?: RequestOptions): AsyncGenerator<Contact, void, undefined> {
    const { page: _page, perPage, ...rest } = body;
    return iterateAll((page, size) => this.search(rest, { page, perPage: size }, options), perPage ?? undefined);
  }

  /** `POST /contacts/import`: imports a CSV text (header row with an email column). */
  async import(csv: string | Uint8Array, query?: ImportContactsQuery, options?: RequestOptions): Promise<BulkResult> {
    return this.transport.data<BulkResult>({
      method: 'POST',
      path: '/contacts/import',
      query,
      raw: { body: csv, contentType: 'text/csv' },
      options,
    });
  }

  /** `GET /contacts/export`: the filtered contacts as CSV text (RFC 4180, CRLF line ends). */
  async export(query?: ContactExportQuery, options?: RequestOptions): Promise<string> {
    return this.transport.text({ method: 'GET', path: '/contacts/export', query, options });
  }

  /** `POST /contacts/{id}/groups`: adds the contact to groups; returns the contact. */
  async addToGroups(id: string, body: GroupIdsParams, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'POST', path: `/contacts/${segment(id)}/groups`, json: body, options });
  }

  /** `DELETE /contacts/{id}/groups`: removes the contact from groups; returns the contact. */
  async removeFromGroups(id: string, body: GroupIdsParams, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'DELETE', path: `/contacts/${segment(id)}/groups`, json: body, options });
  }

  /** `POST /contacts/{id}/tags`: adds tags; returns the contact. */
  async addTags(id: string, body: TagsParams, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'POST', path: `/contacts/${segment(id)}/tags`, json: body, options });
  }

  /** `DELETE /contacts/{id}/tags`: removes tags; returns the contact. */
  async removeTags(id: string, body: TagsParams, options?: RequestOptions): Promise<Contact> {
    return this.transport.data<Contact>({ method: 'DELETE', path: `/contacts/${segment(id)}/tags`, json: body, options });
  }
}
