// The supervisor's typed errors: each carries what a user needs to act on it.
import { BerthError, EXIT } from '../errors.ts';
import type { ProcessInfo } from '../inspect/process.ts';
import type { Owner } from '../owner.ts';

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

export class ServiceNotFoundError extends BerthError {
  constructor(name: string) {
    super('not_found', `no service named "${name}"`, { hint: 'list them with: berth ps --all', exitCode: EXIT.notFound, details: { name } });
  }
}
