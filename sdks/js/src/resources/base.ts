import type { Transport } from '../http.js';

/** Encodes one path segment (an id), refusing an empty or non-string id early. */
export function segment(id: string): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new TypeError(`Expected a non-empty id string, got ${JSON.stringify(id)}`);
  }
  return encodeURIComponent(id);
}

/** Common base of the resource classes: holds the client's transport. */
export abstract class Resource {
  /** Built by {@link FluenzrClient}; not meant to be constructed directly. */
  constructor(protected readonly transport: Transport) {}
}
