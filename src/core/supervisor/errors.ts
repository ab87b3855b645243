// The supervisor's typed errors: each carries what a user needs to act on it.
import { BerthError, EXIT } from '../errors.ts';
import type { ProcessInfo } from '../inspect/process.ts';
import type { Owner } from '../owner.ts';
import type { ElsewhereHint, PortMismatch } from './port-mismatch.ts';
import { NOTIFY_HEALTH } from './spec.ts';

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

/**
 * What a `health: notify` service that never said READY=1 is told: who must send it, and how (the
 * advice is about the service's own command, so it is the same through every door).
 */
export const NOTIFY_READY_ADVICE = 'a process of it must send READY=1: `berth beat --ready` from a shell service, or sd_notify READY=1 to the datagram socket in $NOTIFY_SOCKET';

/** The service did not become ready within the timeout (with where it listens instead, if it does or says so). */
export class NotReadyError extends BerthError {
  /** check: the health check waited for; "notify" (health: notify) is a READY=1 that never came */
  constructor(service: string, timeoutMs: number, logTail: string[], check: string, elsewhere: ElsewhereHint | null = null) {
    const where = elsewhere?.ports.map((p) => `:${p}`).join(', ');
    const instead = elsewhere === null ? '' : elsewhere.source === 'listener' ? `; it listens on ${where} instead` : `; its log says it listens on ${where}`;
    const notify = check === NOTIFY_HEALTH;
    const waiting = notify ? 'waiting for READY=1 (health: notify): none arrived from its process tree' : `waiting for ${check}`;
    const still = `it is still running; see berth logs ${service}, or stop it: berth stop ${service}`;
    super('not_ready', `"${service}" did not become ready within ${Math.round(timeoutMs / 1000)}s (${waiting})${instead}`, {
      hint: notify ? `${NOTIFY_READY_ADVICE}; ${still}` : still,
      exitCode: EXIT.failure,
      details: { service, timeoutMs, logTail, ...(elsewhere !== null ? { listening: elsewhere.ports, source: elsewhere.source, ...(elsewhere.line !== null ? { line: elsewhere.line } : {}) } : {}) },
    });
  }
}

/** The CLI user's fix for an unquoted $PORT; through MCP there is no shell (app/errors.ts renders it). */
export const QUOTE_PORT_ADVICE = "write '$PORT' in single quotes (or sh -c '… $PORT') so your shell does not expand it to nothing";

/** Whether an argument of the command names the port as a number of its own (`46381`, `--port=46381`, `:46381`). */
function namesPort(argv: readonly string[], port: number): boolean {
  const literal = new RegExp(`(?:^|\\D)${port}(?:\\D|$)`);
  return argv.some((arg) => literal.test(arg));
}

/**
 * The service's own tree listens on another port than the one berth gave it, and not on that
 * one: the classic unquoted $PORT, expanded to nothing by the caller's shell, or a port written
 * into the command. Waiting longer would not help; the instance was stopped. The message says
 * which of the two it is, from the command as recorded (with $PORT unexpanded).
 */
export class PortMismatchError extends BerthError {
  readonly mismatch: PortMismatch;
  constructor(service: string, mismatch: PortMismatch, argv: readonly string[], logTail: string[]) {
    const { expected: port, listening, line } = mismatch;
    const where = listening.map((p) => `:${p}`).join(', ');
    const literal = listening.find((p) => namesPort(argv, p));
    const passesPort = argv.some((arg) => /\$\{?PORT\b/.test(arg));
    const accept = 'or run it with --port-from-listener to accept the port it chose; it was stopped';
    const [why, hint] =
      literal !== undefined
        ? [`the command names port ${literal}: use $PORT (quoted) instead, or --port-from-listener`, `berth gives the port as $PORT: put $PORT where the command says ${literal}, ${accept}`]
        : passesPort
          ? ['the command passes $PORT, but the program listens elsewhere', `check how the program takes its port (an option, or an environment variable such as PORT), ${accept}`]
          : [`quote '$PORT' or pass it via --env`, `berth gives the port as $PORT in the service's environment: ${QUOTE_PORT_ADVICE}, ${accept}`];
    super('port_mismatch', `"${service}" listens on ${where}, not on :${port} ($PORT): ${why}`, {
      hint,
      exitCode: EXIT.failure,
      details: { service, port, listening, source: 'listener', ...(line !== null ? { line } : {}), logTail },
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
