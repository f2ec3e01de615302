import { iterateAll } from '../pagination.js';
import type { Deleted, ListResult, RequestOptions } from '../types/common.js';
import type {
  CreateEmailAccountParams,
  EmailAccount,
  EmailAccountListQuery,
  EmailAccountTestResult,
  UpdateEmailAccountParams,
} from '../types/email-accounts.js';
import { Resource, segment } from './base.js';

/** `/email-accounts`: sending accounts (SMTP, optional IMAP, or the `sandbox` mailbox). */
export class EmailAccounts extends Resource {
  /** `GET /email-accounts`: one page of accounts, with `meta`. */
  async list(query?: EmailAccountListQuery, options?: RequestOptions): Promise<ListResult<EmailAccount>> {
    return this.transport.list<EmailAccount>({ method: 'GET', path: '/email-accounts', query, options });
  }

  /** Every account matching `query`, page after page (100 per page). */
  listAll(
    query?: Omit<EmailAccountListQuery, 'page'>,
    options?: RequestOptions,
  ): AsyncGenerator<EmailAccount, void, undefined> {
    return iterateAll((page, perPage) => this.list({ perPage, ...query, page }, options), query?.perPage);
  }

  /** `POST /email-accounts`. */
  async create(body: CreateEmailAccountParams, options?: RequestOptions): Promise<EmailAccount> {
    return this.transport.data<EmailAccount>({ method: 'POST', path: '/email-accounts', json: body, options });
  }

  /** `GET /email-accounts/{id}`. */
  async get(id: string, options?: RequestOptions): Promise<EmailAccount> {
    return this.transport.data<EmailAccount>({ method: 'GET', path: `/email-accounts/${segment(id)}`, options });
  }

  /** `PUT /email-accounts/{id}`: only the given fields change. */
  async update(id: string, body: UpdateEmailAccountParams, options?: RequestOptions): Promise<EmailAccount> {
    return this.transport.data<EmailAccount>({
      method: 'PUT',
      path: `/email-accounts/${segment(id)}`,
      json: body,
      options,
    });
  }

  /** `DELETE /email-accounts/{id}`. */
  async delete(id: string, options?: RequestOptions): Promise<Deleted> {
    return this.transport.data<Deleted>({ method: 'DELETE', path: `/email-accounts/${segment(id)}`, options });
  }

  /** `POST /email-accounts/{id}/test`: connects (and authenticates) to SMTP and IMAP; names the failed step. */
  async test(id: string, options?: RequestOptions): Promise<EmailAccountTestResult> {
    return this.transport.data<EmailAccountTestResult>({
      method: 'POST',
      path: `/email-accounts/${segment(id)}/test`,
      options,
    });
  }
}
