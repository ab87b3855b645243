// How a service reads in one line, shared by run, stop, restart and ps.
import type { ExitInfo, RunResult, ServiceView } from '../../core/supervisor/api.ts';
import { span } from './time.ts';
import { evictionLine } from '../../app/services.ts';

export function describeExit(exit: ExitInfo | null): string {
  if (!exit) return '-';
  return exit.signal ? exit.signal : exit.code === null ? 'unknown' : `code ${exit.code}`;
}

/**
 * The LAST EXIT column of ps: the service's last exit. While an instance runs (it has an uptime)
 * that exit is its previous instance's, so it is marked `(prev)`: a running server is never
 * shown as if it had just died.
 */
export function describeLastExit(service: Pick<ServiceView, 'lastExit' | 'uptimeMs'>): string {
  const text = describeExit(service.lastExit);
  return service.lastExit !== null && service.uptimeMs !== null ? `${text} (prev)` : text;
}

export function where(service: ServiceView): string {
  return `${service.pid !== null ? `pid ${service.pid}` : 'no process'}${service.port !== null ? ` on :${service.port}` : ''}`;
}

export function uptime(service: ServiceView): string {
  return service.uptimeMs === null ? '-' : span(service.uptimeMs);
}

/** One line per stranger evicted for a start: "evicted pid 4242 (python3 -m http.server) holding :8765, owner agent-b". */
export function evictionLines(result: RunResult): string[] {
  return (result.evicted ?? []).map(evictionLine);
}

/** After a replaced or recreated service: which fields of its spec changed (compose's "Recreating"). */
export function changedText(result: RunResult): string {
  return result.changed && result.changed.length > 0 ? ` (changed: ${result.changed.join(', ')})` : '';
}
