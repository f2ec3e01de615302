import type { ListResult, PageMeta } from './types/common.js';

/** Items per page that `listAll()`-style iterators ask for. */
export const ALL_PAGES_PER_PAGE = 100;

/** Makes a {@link ListResult}: the items array with `meta` attached as a non-enumerable property. */
export function toListResult<T>(items: T[], meta: PageMeta): ListResult<T> {
  Object.defineProperty(items, 'meta', { value: meta, enumerable: false, writable: true, configurable: true });
  return items as ListResult<T>;
}

/**
 * Walks every page: calls `fetchPage(page, perPage)` from page 1 until the last page (by
 * `meta.totalPages`) or an empty page, yielding each item.
 */
export async function* iterateAll<T>(
  fetchPage: (page: number, perPage: number) => Promise<ListResult<T>>,
  perPage: number = ALL_PAGES_PER_PAGE,
): AsyncGenerator<T, void, undefined> {
  for (let page = 1; ; page += 1) {
    const result = await fetchPage(page, perPage);
    for (const item of result) yield item;
    const totalPages = result.meta?.totalPages;
    if (result.length === 0 || typeof totalPages !== 'number' || page >= totalPages) return;
  }
}
