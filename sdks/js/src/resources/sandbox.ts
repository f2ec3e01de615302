import { iterateAll } from '../pagination.js';
import type { ListResult, PageQuery, RequestOptions } from '../types/common.js';
import type { PipelineStage, SandboxClearResult, SandboxMessage, SandboxMessageSummary } from '../types/misc.js';
import { Resource, segment } from './base.js';

/** `/sandbox/messages`: mail captured from `sandbox` email accounts. */
export class Sandbox extends Resource {
  /** `GET /sandbox/messages`: one page of captured messages, newest first. */
  async listMessages(query?: PageQuery, options?: RequestOptions): Promise<ListResult<SandboxMessageSummary>> {
    return this.transport.list<SandboxMessageSummary>({ method: 'GET', path: '/sandbox/messages', query, options });
  }

  /** Every captured message, page after page (100 per page). */
  listMessagesAll(
    query?: Omit<PageQuery, 'page'>,
    options?: RequestOptions,
  ): AsyncGenerator<SandboxMessageSummary, void, undefined> {
    return iterateAll((page, perPage) => this.listMessages({ perPage, ...query, page }, options), query?.perPage);
  }

  /** `GET /sandbox/messages/{id}`: one message with headers, HTML, text and raw source. */
  async getMessage(id: string, options?: RequestOptions): Promise<SandboxMessage> {
    return this.transport.data<SandboxMessage>({ method: 'GET', path: `/sandbox/messages/${segment(id)}`, options });
  }

  /** `DELETE /sandbox/messages`: deletes every captured message. */
  async deleteMessages(options?: RequestOptions): Promise<SandboxClearResult> {
    return this.transport.data<SandboxClearResult>({ method: 'DELETE', path: '/sandbox/messages', options });
  }
}

/** `/pipeline-stages`: the workspace's stages (Lead, Contacted, …), used by `pipelineStageId`. */
export class PipelineStages extends Resource {
  /** `GET /pipeline-stages`: every stage, in pipeline order. */
  async list(options?: RequestOptions): Promise<PipelineStage[]> {
    return this.transport.data<PipelineStage[]>({ method: 'GET', path: '/pipeline-stages', options });
  }
}
