// The supervisor's typed errors: each carries what a user needs to act on it.
import { BerthError, EXIT } from '../errors.ts';
import type { ProcessInfo } from '../inspect/process.ts';
import type { Owner } from '../owner.ts';
import type { PortMismatch } from './port-mismatch.ts';

export interface PortHolder {
  pid: number;
  command: string;
  cwd: string | null;
  user: string;
  startedAt: string;
  owner: Owner | null;
  /** the berth service or lock it is, if berth knows it */
  berth: string | null;
}

export function toPortHolder(p: ProcessInfo, owner: Owner | null, berth: string | null): PortHolder {
  return { pid: p.pid, command: p.command, cwd: p.cwd, user: p.user, startedAt: p.startedAt, owner, berth };
}

/** The service did not become ready within the timeout. */
export class NotReadyError extends BerthError {
  constructor(service: string, timeoutMs: number, logTail: string[], check: string) {
    super('not_ready', `"${service}" did not become ready within ${Math.round(timeoutMs / 1000)}s (waiting for ${check})`, {
      hint: `it is still running; see berth logs ${service}, or stop it: berth stop ${service}`,
      exitCode: EXIT.failure,
      details: { service, timeoutMs, logTail },
    });
  }
}

/**
 * The service's own tree listens on another port than the one berth gave it, and not on that
 * one (or says so in the first lines of its log): the classic unquoted $PORT, expanded to
 * nothing by the caller's shell. Waiting longer would not help; the instance was stopped.
 */
export class PortMismatchError extends BerthError {
  readonly mismatch: PortMismatch;
  constructor(service: string, mismatch: PortMismatch, logTail: string[]) {
    const { expected: port, listening, source, line } = mismatch;
    const where = listening.map((p) => `:${p}`).join(', ');
    const verb = source === 'log' ? 'says it listens on' : 'listens on';
    super('port_mismatch', `"${service}" ${verb} ${where}, not on :${port} ($PORT): quote '$PORT' or pass it via --env`, {
      hint: `berth gives the port as $PORT in the service's environment: write '$PORT' in single quotes (or sh -c '… $PORT') so your shell does not expand it to nothing, or run it with --port-from-listener to accept the port it chose; it was stopped`,
      exitCode: EXIT.failure,
      details: { service, port, listening, source, ...(line !== null ? { line } : {}), logTail },
    });
    this.mismatch = mismatch;
  }
}

/** The service exited while berth waited for it to become ready. */
export class ServiceExitedError extends BerthError {
  constructor(service: string, code: number | null, signal: string | null, logTail: string[]) {
    super('service_exited', `"${service}" exited during start (${signal ? `signal ${signal}` : `exit code ${code}`})`, {
      hint: `see berth logs ${service}; berth ps ${service} shows whether it is being restarted`,
      exitCode: EXIT.failure,
      details: { service, code, signal, logTail },
    });
  }
}

/** `berth beat` from a process that is not in the service's instance tree: it cannot speak for it. */
export class NotInServiceTreeError extends BerthError {
  constructor(name: string, pid: number) {
    super('not_in_tree', `pid ${pid} is not a process of "${name}": only its own instance tree may beat for it`, {
      hint: 'run berth beat from the service\'s own command (berth sets BERTH_SERVICE there)',
      exitCode: EXIT.usage,
      details: { name, pid },
    });
  }
}

export class ServiceNotFoundError extends BerthError {
  constructor(name: string) {
    super('not_found', `no service named "${name}"`, { hint: 'list them with: berth ps --all', exitCode: EXIT.notFound, details: { name } });
  }
}
