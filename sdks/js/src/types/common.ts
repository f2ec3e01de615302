/** Pagination block of a list answer (`meta`). */
export interface PageMeta {
  /** The page returned (1-based). */
  page: number;
  /** Items per page asked for. */
  perPage: number;
  /** Items matching the query, across all pages. */
  total: number;
  /** Number of pages at this `perPage`. */
  totalPages: number;
}

/**
 * One page of a list: an ordinary array of the page's items that also carries `meta`
 * (a non-enumerable property, so the array still compares and serialises as the items alone).
 */
export type ListResult<T> = T[] & { meta: PageMeta };

/** Per-request options, accepted as the optional last argument of every method. */
export interface RequestOptions {
  /** `Idempotency-Key` for a POST (default: a new random UUID per call, reused on its retries). */
  idempotencyKey?: string;
  /** Cancels the request (and its retries); the method then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds one attempt may take, overriding the client's `timeout`. */
  timeout?: number;
}

/** Sort direction. */
export type SortOrder = 'asc' | 'desc';

/** Paging parameters of every list. */
export type PageQuery = {
  /** Page number, from 1 (default 1). */
  page?: number;
  /** Items per page, 1 to 100 (default 20). */
  perPage?: number;
};

/** Paging and sorting parameters; `S` is the resource's sortable fields. */
export type SortedPageQuery<S extends string> = PageQuery & {
  /** Sort field (default `createdAt`). */
  sort?: S;
  /** Sort direction (default `desc`). */
  order?: SortOrder;
};

/** Answer of every `DELETE /resource/{id}`. */
export interface Deleted {
  /** The id that was deleted. */
  id: string;
  /** Always `true`. */
  deleted: true;
}
