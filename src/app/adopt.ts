// `berth adopt NAME (--pid N | --port P | --pidfile FILE)`: a running process berth did not
// start, put under a name. Here, on the caller's side, the source is resolved to a live
// identity (a pidfile relative to the caller's directory; a stale one is refused before the
// daemon is asked); the daemon, the single writer, checks it again, reads the process from /proc
// and records it (src/core/supervisor/adopt.ts). The CLI and the MCP tool both call adoptProcess.
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { type AdoptSource, resolveTarget } from '../core/adopt/target.ts';
import type { AdoptResult } from '../core/supervisor/api.ts';
import { checkHealthSpec, parseRestart } from '../core/supervisor/spec.ts';
import { parsePort } from '../core/validate.ts';
import { nameToCreate } from './names.ts';
import type { Session } from './session.ts';

export interface AdoptInput {
  /** as typed: api (the current project's) or shop/api */
  name: string;
  project?: string;
  pid?: string | number;
  port?: string | number;
  pidfile?: string;
  /** always | on-failure | never (default never: berth restarts an adopted process only when asked) */
  restart?: string;
  health?: string;
  purpose?: string;
}

/** The adopt document: what was adopted, how it was found, and what the user must know once. */
export interface AdoptDocument extends AdoptResult {
  warnings: string[];
}

const SOURCE_USAGE = 'berth adopt NAME --pid N | --port P | --pidfile FILE';

/** Which of --pid, --port, --pidfile was given (exactly one). */
export function adoptSource(input: AdoptInput, baseDir = process.cwd()): AdoptSource {
  const given = [input.pid, input.port, input.pidfile].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --pid, --port and --pidfile', SOURCE_USAGE);
  if (input.pid !== undefined) {
    const pid = Number(input.pid);
    if (!(Number.isSafeInteger(pid) && pid > 0 && /^\d+$/.test(String(input.pid)))) throw new UsageError(`invalid --pid ${JSON.stringify(input.pid)}: a process id`, SOURCE_USAGE, 'invalid_pid');
    return { kind: 'pid', pid };
  }
  if (input.port !== undefined) return { kind: 'port', port: parsePort(input.port) };
  return { kind: 'pidfile', path: resolve(baseDir, input.pidfile!) };
}

/** The warning every adoption carries: berth never had the process's output. */
export function outputWarning(name: string): string {
  return `${name} was started without berth, so berth does not have its output so far; from its first restart by berth on, its output goes to berth's log (berth logs ${name})`;
}

/** Adopts the process a pid, port or pidfile names under NAME; owned by the caller, kept when its session ends. */
export async function adoptProcess(session: Session, input: AdoptInput, baseDir?: string): Promise<AdoptDocument> {
  const source = adoptSource(input, baseDir);
  const restart = parseRestart(input.restart ?? 'never');
  // the syntax now; whether $PORT has a port to stand for is checked by the daemon, which finds the port
  if (input.health !== undefined) checkHealthSpec(input.health, true);
  const name = await nameToCreate(session, input.name, { project: input.project, cwd: baseDir });
  const target = resolveTarget(source);
  const result = await (await session.client()).adopt({
    name,
    identity: target.identity,
    source: target.source,
    restart,
    health: input.health ?? null,
    purpose: input.purpose ?? null,
    ...session.requester(),
  });
  // said once, when adopting: an already_adopted answer changes nothing the user must know
  return { ...result, warnings: result.outcome === 'adopted' ? [outputWarning(result.service.fullName)] : [] };
}
