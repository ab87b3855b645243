// Server-sent event streams of the daemon: the audit log as it grows, and a service's output.
import type { ServerResponse } from 'node:http';
import { type BerthEvent, listEvents } from '../core/registry/events.ts';
import type { Registry } from '../core/registry/registry.ts';
import type { SupervisorApi } from '../core/supervisor/api.ts';
import { followFile, logPath, tailLines } from '../core/supervisor/logs.ts';
import { parseServiceName } from '../core/project.ts';

// Events the daemon records itself are sent as soon as the supervisor tells; events written by
// other processes (a CLI leasing a port, say) are found by SQLite's data_version, which changes
// only when another connection commits: a cheap pragma, not a read of the events table.
const FOREIGN_WRITES_POLL_MS = 250;

function openStream(res: ServerResponse): (event: string, data: unknown) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  return (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** GET /v1/events/stream?after=ID: every event after ID (default: from now), as it is recorded. */
export function streamEvents(registry: Registry, res: ServerResponse, after: number | undefined, subscribe?: SupervisorApi['subscribe']): void {
  const send = openStream(res);
  const stop = followChanges(registry, { after, subscribe, onEvent: (event) => send('berth', event) });
  res.on('close', stop);
}

/**
 * Calls onEvent for every event recorded after `after` (default: from now), and onService for
 * every change of a service record: the daemon's own at once (the supervisor's subscribe), other
 * processes' within FOREIGN_WRITES_POLL_MS. Returns the function that stops following. Shared by
 * the events stream and the dashboard's change stream.
 */
export function followChanges(registry: Registry, opts: { after: number | undefined; subscribe: SupervisorApi['subscribe'] | undefined; onEvent: (event: BerthEvent) => void; onService?: (name: string) => void }): () => void {
  const { subscribe, onEvent, onService } = opts;
  let last = opts.after ?? (listEvents(registry, { limit: 1 }).at(-1)?.id ?? 0);
  const flush = (): void => {
    for (const event of listEvents(registry, { afterId: last })) {
      onEvent(event);
      last = event.id;
    }
  };
  if (opts.after !== undefined) flush();
  const unsubscribe = subscribe?.((change) => {
    if (change.kind === 'event') flush();
    else onService?.(change.name);
  });
  let version = dataVersion(registry);
  const timer = setInterval(() => {
    const now = dataVersion(registry);
    if (now !== version || !subscribe) flush();
    version = now;
  }, FOREIGN_WRITES_POLL_MS);
  return () => {
    clearInterval(timer);
    unsubscribe?.();
  };
}

function dataVersion(registry: Registry): number {
  return registry.get<{ data_version: number }>('PRAGMA data_version')?.data_version ?? 0;
}

/** GET /v1/logs/NAME?n=100&follow=1: the last n lines, then (with follow) each new line. */
export function streamLogs(home: string, res: ServerResponse, name: string, n: number, follow: boolean): void {
  const path = logPath(home, parseServiceName(name));
  // read before the stream opens: a log berth refuses to read (a link) is then an error answer
  const lines = tailLines(path, n);
  const send = openStream(res);
  for (const line of lines) send('line', line);
  if (!follow) {
    res.end();
    return;
  }
  const stop = followFile(path, (line) => send('line', line));
  res.on('close', stop);
}
