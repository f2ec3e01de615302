import { iterateAll } from '../pagination.js';
import type { Deleted, ListResult, RequestOptions } from '../types/common.js';
import type { Contact } from '../types/contacts.js';
import type {
  AddMembersResult,
  ContactIdsParams,
  CreateGroupParams,
  Group,
  GroupContactsQuery,
  GroupListQuery,
  RemoveMembersResult,
  UpdateGroupParams,
} from '../types/groups.js';
import { Resource, segment } from './base.js';

/** `/groups`: CRUD and membership. */
export class Groups extends Resource {
  /** `GET /groups`: one page of groups, with `meta`. */
  async list(query?: GroupListQuery, options?: RequestOptions): Promise<ListResult<Group>> {
    return this.transport.list<Group>({ method: 'GET', path: '/groups', query, options });
  }

  /** Every group matching `query`, page after page (100 per page). */
  listAll(query?: Omit<GroupListQuery, 'page'>, options?: RequestOptions): AsyncGenerator<Group, void, undefined> {
    return iterateAll((page, perPage) => this.list({ perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /groups`. */
  async create(body: CreateGroupParams, options?: RequestOptions): Promise<Group> {
    return this.transport.data<Group>({ method: 'POST', path: '/groups', json: body, options });
  }

  /** `GET /groups/{id}`. */
  async get(id: string, options?: RequestOptions): Promise<Group> {
    return this.transport.data<Group>({ method: 'GET', path: `/groups/${segment(id)}`, options });
  }

  /** `PUT /groups/{id}`: only the given fields change. */
  async update(id: string, body: UpdateGroupParams, options?: RequestOptions): Promise<Group> {
    return this.transport.data<Group>({ method: 'PUT', path: `/groups/${segment(id)}`, json: body, options });
  }

  /** `DELETE /groups/{id}`: the group's contacts are kept. */
  async delete(id: string, options?: RequestOptions): Promise<Deleted> {
    return this.transport.data<Deleted>({ method: 'DELETE', path: `/groups/${segment(id)}`, options });
  }

  /** `GET /groups/{id}/contacts`: one page of the group's contacts. */
  async listContacts(id: string, query?: GroupContactsQuery, options?: RequestOptions): Promise<ListResult<Contact>> {
    return this.transport.list<Contact>({ method: 'GET', path: `/groups/${segment(id)}/contacts`, query, options });
  }

  /** Every contact of the group, page after page (100 per page). */
  listContactsAll(
    id: string,
    query?: Omit<GroupContactsQuery, 'page'>,
    options?: RequestOptions,
  ): AsyncGenerator<Contact, void, undefined> {
    return iterateAll((page, perPage) => this.listContacts(id, { perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /groups/{id}/contacts`: adds contacts (idempotent). */
  async addContacts(id: string, body: ContactIdsParams, options?: RequestOptions): Promise<AddMembersResult> {
    return this.transport.data<AddMembersResult>({
      method: 'POST',
      path: `/groups/${segment(id)}/contacts`,
      json: body,
      options,
    });
  }

  /** `DELETE /groups/{id}/contacts`: removes contacts from the group (they are not deleted). */
  async removeContacts(id: string, body: ContactIdsParams, options?: RequestOptions): Promise<RemoveMembersResult> {
    return this.transport.data<RemoveMembersResult>({
      method: 'DELETE',
      path: `/groups/${segment(id)}/contacts`,
      json: body,
      options,
    });
  }
}
