// Linux's TCP tables cost milliseconds of kernel time to read however few sockets there are (the
// kernel walks its whole connection hash: ~4.5 ms each for tcp and tcp6 on our 24 GiB CI machine),
// and `berth who PORT` and `berth port NAME` need both. So the CLI starts reading them on the
// thread pool at its first line, while Node loads berth's modules, and the proc backend takes the
// texts when it asks (net.ts), instead of reading them again. Nothing here imports berth's other
// modules: it is loaded before them. A text is taken once, and only within TAKE_WITHIN_MS of its
// reading: a long-lived process (the daemon, MCP) never prefetches, and a late question reads anew.
// Each table is read in one job on the thread pool (seq-file.ts): node:fs's readFile would take
// four round trips through the main thread, which is busy loading modules.
import { readSeqFileAsync } from './seq-file.ts';

/** The tables worth reading ahead: the costly ones (udp and udp6 cost microseconds). */
export const PREFETCHED = ['net/tcp', 'net/tcp6'] as const;
const TAKE_WITHIN_MS = 1000;

// Kept on globalThis under a registered symbol: main.ts (the shared bundle) starts the reads and
// the fast path's own bundle (hot.ts) takes them, each with its copy of this module.
const READY = Symbol.for('berth.net-prefetch');
const ready: Map<string, { text: string; at: number }> = ((globalThis as Record<symbol, unknown>)[READY] ??= new Map()) as Map<string, { text: string; at: number }>;

/** Starts reading the TCP tables; resolves (never rejects) once both are read or have failed. */
export function prefetchNetTables(): Promise<void> {
  return Promise.all(
    PREFETCHED.map((name) =>
      readSeqFileAsync(`/proc/${name}`).then((text) => {
        if (text !== undefined) ready.set(name, { text, at: Date.now() });
      }),
    ),
  ).then(() => undefined);
}

/** The table read ahead, once, if it is fresh; else undefined (the caller reads it itself). */
export function takePrefetched(name: string): string | undefined {
  const entry = ready.get(name);
  if (entry === undefined) return undefined;
  ready.delete(name);
  return Date.now() - entry.at <= TAKE_WITHIN_MS ? entry.text : undefined;
}
