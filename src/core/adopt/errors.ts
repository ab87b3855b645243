// Why `berth adopt` refuses, as typed errors with stable codes (docs/json.md): a pidfile that
// names a process that is not the one that wrote it, a process berth must not take, a name
// that is taken, a port nobody of this user listens on. Each carries its facts as details, so
// a caller switches on code and reason, never on the message.
import { BerthError, EXIT } from '../errors.ts';

/**
 * Why a pidfile is stale: its pid is gone, the process with that pid started after the file was
 * written (pid reuse), or the file says it was written in the future (its age proves nothing).
 */
export type StaleReason = 'gone' | 'started_after_file' | 'mtime_in_future';

/** A pidfile whose process is not the one that wrote it: never acted on. */
export class PidfileStaleError extends BerthError {
  constructor(pidfile: string, pid: number, reason: StaleReason, facts: { writtenAt?: string; startedAt?: string } = {}) {
    const why =
      reason === 'gone'
        ? `no process has pid ${pid}`
        : reason === 'mtime_in_future'
          ? `it was last written in the future (${facts.writtenAt}), so its age proves nothing about pid ${pid}`
          : `pid ${pid} started at ${facts.startedAt}, after the file was last written (${facts.writtenAt}): the pid was reused by another process`;
    // a reused pid is an unrelated process: --pid would adopt exactly that, so only --port is offered
    const hint = reason === 'gone' ? 'nothing was adopted; start the server again, or adopt it by --port or --pid' : 'nothing was adopted; start the server again, or adopt it by the port it listens on (--port)';
    super('pidfile_stale', `the pidfile ${pidfile} is stale: ${why}`, {
      hint,
      exitCode: EXIT.notFound,
      details: { pidfile, pid, reason, ...facts },
    });
  }
}

/** A pidfile that does not hold one pid. */
export class InvalidPidfileError extends BerthError {
  constructor(pidfile: string, why: string, reason: 'not_a_pid' | 'too_large' | 'other_owner' = 'not_a_pid') {
    const hint = reason === 'other_owner' ? 'berth trusts only a pidfile (and a symlink to it) owned by you or root: adopt by --port or --pid' : 'a pidfile holds one process id (digits, then an optional newline)';
    super('invalid_pidfile', `the pidfile ${pidfile} ${why}`, { hint, exitCode: EXIT.usage, details: { pidfile, reason } });
  }
}

/** Why berth will not adopt a process. */
export type AdoptRefusal = 'pid1' | 'self' | 'ancestor' | 'other_user' | 'requester' | 'daemon' | 'registry' | 'berth_service' | 'ancestor_of_berth';

/** A process berth must not take under a name: pid 1, berth and its ancestors, another user's, berth's own services. */
export class AdoptRefusedError extends BerthError {
  constructor(pid: number, reason: AdoptRefusal, why: string, service?: string) {
    super('adopt_refused', `refusing to adopt pid ${pid}: ${why}`, {
      hint: reason === 'berth_service' ? `it already has a name: berth ps${service !== undefined ? ` ${service}` : ''}` : 'berth adopts only your own servers, never itself, its callers or init',
      exitCode: EXIT.conflict,
      details: { pid, reason, ...(service !== undefined ? { service } : {}) },
    });
  }
}

/** The name is a service already (another process, or none running). */
export class NameTakenError extends BerthError {
  constructor(name: string, pid: number | null) {
    super('name_taken', `the name ${name} is taken by a service${pid !== null ? ` (pid ${pid})` : ''}: adopt it under another name`, {
      hint: `choose another name, or remove the service first: berth rm ${name}`,
      exitCode: EXIT.conflict,
      details: { name, pid },
    });
  }
}

/** Nothing of this user listens on the port (or several unrelated processes do). */
export class NoListenerError extends BerthError {
  constructor(port: number, why: string) {
    super('no_listener', `cannot adopt what listens on port ${port}: ${why}`, { hint: `see who holds it: berth who ${port}`, exitCode: EXIT.notFound, details: { port } });
  }
}
