// Node's http module, loaded through require rather than an ESM import. An ESM import of a
// builtin builds its namespace from every export, and node:http's exports include lazy getters
// (WebSocket, CloseEvent…) that load undici and http2 to answer them: on Node 22 that is ~9 MiB
// of resident memory in an idle daemon, for classes berth never uses (measured in
// docs/benchmarks.md, "The daemon's memory"). The CLI's client speaks HTTP over node:net
// instead (src/client/exchange.ts): even required, node:http costs a call ~13 ms to load.
// require() returns the module object and leaves the getters untouched.
import type * as Http from 'node:http';
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** node:http, without undici and http2. */
export function nodeHttp(): typeof Http {
  return load('node:http') as typeof Http;
}
