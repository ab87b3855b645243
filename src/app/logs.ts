// `logs NAME`: a service's output, read straight from its log file (no daemon needed). An unknown
// name is not_found through every door, so that a typo never looks like a quiet service.
import { lstatOrUndefined } from '../core/private-fs.ts';
import { followFile, logPath, tailLines } from '../core/supervisor/logs.ts';
import { ServiceNotFoundError } from '../core/supervisor/errors.ts';
import { loadService, loadServices } from '../core/supervisor/store.ts';
import { parseCount } from '../core/validate.ts';
import { type NameContext, nameToFind } from './names.ts';
import type { Session } from './session.ts';

/** The most lines one call returns. */
export const MAX_LOG_LINES = 1_000_000;
export const DEFAULT_LOG_LINES = 100;

export interface LogsResult {
  name: string;
  path: string;
  lines: string[];
}

/** The last `lines` lines of NAME's log; not_found when berth knows no service and no log by that name. */
export async function readLogs(session: Session, nameText: string, lines: string | number = DEFAULT_LOG_LINES, ctx: NameContext = {}): Promise<LogsResult> {
  const n = parseCount(String(lines), 'lines', { max: MAX_LOG_LINES, code: 'invalid_lines' });
  const registry = session.existingRegistry();
  const name = await nameToFind(session, nameText, registry ? loadServices(registry).map((r) => r.spec.name) : [], ctx);
  const path = logPath(session.home, name);
  // read first: a logs/ or log that is a link is refused, not taken for a missing log
  const tail = tailLines(path, n);
  if (lstatOrUndefined(path) === undefined && !(registry && loadService(registry, name))) throw new ServiceNotFoundError(name);
  return { name, path, lines: tail };
}

/** Calls onLine for every line appended to the log; returns the function that stops following. */
export function followLogs(path: string, onLine: (line: string) => void): () => void {
  return followFile(path, onLine);
}
