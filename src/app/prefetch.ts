// The CLI's door to reading the TCP tables ahead for `berth who PORT` (src/core/inspect/select.ts,
// proc/net-prefetch.ts): main.ts starts it before it loads the verb, so that the kernel's walk of
// its connection table runs on the thread pool while Node loads berth's modules.
export { prefetchSockets } from '../core/inspect/select.ts';
