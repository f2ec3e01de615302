// Type-checked (tsc --noEmit) with the DOM library, whose `fetch` is what most TypeScript projects
// see: the platform's fetch must be accepted as the `fetch` option, as the README's Configuration
// example passes it (`fetch: globalThis.fetch`).
import { FluenzrClient, type FetchLike } from '@fluenzr/sdk';

const platformFetch: FetchLike = globalThis.fetch;

export const clients = [
  new FluenzrClient({ apiKey: 'flz_sk_example', fetch: globalThis.fetch }),
  new FluenzrClient({ apiKey: 'flz_sk_example', fetch: platformFetch }),
  new FluenzrClient({
    apiKey: 'flz_sk_example',
    // A wrapper that observes requests and hands them on to the platform's fetch unchanged.
    fetch: (url, init) => globalThis.fetch(url, init),
  }),
];
