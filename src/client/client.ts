// The supervisor API over the daemon's socket, for the CLI (and later MCP and the dashboard).
// It starts the daemon on first need (never as its own descendant: daemon-launch.ts), except for
// a heartbeat, which must not bring back a daemon the user stopped.
import { buildId, daemonEntry } from '../core/package.ts';
import { readIdentity } from '../core/identity.ts';
import { mark, phaseAsync } from '../core/profile.ts';
import { exchange } from './exchange.ts';
import { BerthError, EXIT, type ExitCode, isErrno, toErrorCode } from '../core/errors.ts';
import type { FreeResult } from '../core/free.ts';
import type { GcAction } from '../core/gc.ts';
import type { OrphanGcResult } from '../core/orphans-gc.ts';
import { checkHome } from '../core/home.ts';
import { checkHomeBackendOf } from '../core/inspect/home-backend.ts';
import { daemonSocketPlace, socketPathOf } from '../core/settings.ts';
import { checkSocketDir, type SocketPlace } from '../core/socket-path.ts';
import { logPath, tailLinesQuietly } from '../core/supervisor/logs.ts';
import type {
  AdoptRequest,
  AdoptResult,
  BeatRequest,
  BeatResult,
  DaemonStatus,
  FreeRequest,
  GcOrphansRequest,
  GcRequest,
  Requester,
  RestartRequest,
  RunRequest,
  RunResult,
  ServiceView,
  StopRequest,
  SupervisorApi,
} from '../core/supervisor/api.ts';

const DAEMON_START_TIMEOUT_MS = 15_000;
const LOSER_GRACE_MS = 3_000;
// How often a starting daemon is asked whether it answers: a refused connect to a Unix socket
// costs microseconds, and every ms here is a ms of the first call's wait (bench/recovery.mjs).
const DAEMON_PROBE_MS = 5;

export class DaemonUnavailableError extends BerthError {
  constructor(home: string, why: string, hint?: string) {
    super('daemon_unavailable', `cannot reach berthd for ${home}: ${why}`, {
      hint: hint ?? `see ${logPath(home, 'berthd')}; berth daemon status`,
      exitCode: EXIT.failure,
    });
  }
}

/** Socket errors that mean "nobody answers yet": the daemon is started on demand. */
// no daemon listens there (ENOTDIR: the home is not a directory, or lies under a file; starting
// the daemon then says why through ensureHome)
const NOT_RUNNING = ['ENOENT', 'ENOTDIR', 'ECONNREFUSED'];

/** What a connection error means, and what to do about it. */
function connectionHint(home: string, code: string): { why: string; hint?: string } {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return { why: `permission denied on ${socketPathOf(home)}`, hint: 'the socket belongs to another user, or BERTH_HOME is not yours: set BERTH_HOME to your own directory' };
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return { why: `${socketPathOf(home)} is not a usable socket path (${code})`, hint: 'set BERTH_HOME to a short path of a directory you own' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { why: `the connection was closed mid-request (${code}): berthd may have exited` };
    default:
      return { why: `connection failed (${code})` };
  }
}

/** Turns an error of the socket itself (not an answer of the daemon) into DaemonUnavailableError. */
function unavailable(home: string, err: unknown): unknown {
  if (err instanceof BerthError || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return new DaemonUnavailableError(home, err.message);
  const { why, hint } = connectionHint(home, code);
  return new DaemonUnavailableError(home, why, hint);
}

interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: Record<string, unknown> };
  exitCode: ExitCode;
}

export class DaemonClient implements SupervisorApi {
  readonly home: string;
  readonly socket: string;
  /** the build of the daemon that answered last */
  private lastBuild: string | undefined;

  /** where the socket is: in the home, or the short fallback path (checked before each connect) */
  private readonly place: SocketPlace;

  constructor(home: string) {
    this.home = home;
    this.place = daemonSocketPlace(home);
    this.socket = this.place.path;
    // the client sends identities its own backend read; the home's (and so its daemon's) must be the same
    if (checkHome(home) === 'ok') checkHomeBackendOf(home);
  }

  /** Frees a port or a file in the daemon (the single writer of evictions). */
  free(req: FreeRequest): Promise<FreeResult> {
    return this.call('POST', '/v1/free', req);
  }
  /** Collects garbage in the daemon. */
  gc(req: GcRequest): Promise<{ dryRun: boolean; actions: GcAction[] }> {
    return this.call('POST', '/v1/gc', req);
  }

  /** Stops agent-abandoned orphans in the daemon (the single writer of evictions). */
  gcOrphans(req: GcOrphansRequest): Promise<OrphanGcResult> {
    return this.call('POST', '/v1/gc-orphans', req);
  }

  run(req: RunRequest): Promise<RunResult> {
    return this.call('POST', '/v1/run', req);
  }
  stop(req: StopRequest): Promise<ServiceView> {
    return this.call('POST', '/v1/stop', req);
  }
  restart(req: RestartRequest): Promise<RunResult> {
    return this.call('POST', '/v1/restart', req);
  }
  remove(req: StopRequest): Promise<ServiceView> {
    return this.call('POST', '/v1/rm', req);
  }
  adopt(req: AdoptRequest): Promise<AdoptResult> {
    return this.call('POST', '/v1/adopt', req);
  }
  async list(): Promise<ServiceView[]> {
    return (await this.call<{ services: ServiceView[] }>('GET', '/v1/services')).services;
  }
  status(): Promise<DaemonStatus> {
    return this.call('GET', '/v1/status');
  }
  /**
   * A heartbeat never starts the daemon: with none running it fails (daemon_unavailable). A
   * daemon started from a beat would be one the user stopped, brought back by a service.
   */
  async beat(req: BeatRequest): Promise<BeatResult> {
    try {
      return await this.send<BeatResult>('POST', '/v1/beat', req);
    } catch (err) {
      if (isErrno(err, ...NOT_RUNNING)) {
        throw new DaemonUnavailableError(this.home, 'berthd is not running', 'a heartbeat does not start berthd; start it with berth daemon start (it adopts the running services), or ignore the failure as sd_notify does');
      }
      throw unavailable(this.home, err);
    }
  }

  /** Starts the dashboard in the daemon (or finds it running): its URL with the token. */
  dashboard(req: Requester): Promise<{ url: string }> {
    return this.call('POST', '/v1/dashboard', req);
  }

  /** Asks the daemon to exit (its services keep running). */
  async shutdown(): Promise<void> {
    try {
      await this.send('POST', '/v1/shutdown', {});
    } catch (err) {
      throw unavailable(this.home, err);
    }
  }

  /** The daemon's status, or undefined if none answers. */
  async probe(): Promise<DaemonStatus | undefined> {
    try {
      return await this.send<DaemonStatus>('GET', '/v1/status');
    } catch (err) {
      if (isErrno(err, ...NOT_RUNNING, 'ECONNRESET', 'EPIPE')) return undefined;
      throw unavailable(this.home, err);
    }
  }

  /** Starts the daemon unless one answers; resolves once it does. */
  async ensureDaemon(): Promise<DaemonStatus> {
    const running = await this.probe();
    if (running) return running;
    // what only a start needs is loaded here, not by every call to a running daemon
    const { startDaemon } = await import('./daemon-launch.ts');
    mark('cli-daemon-launch');
    // Its own session, its output on its log, never a descendant of this process (daemon-launch.ts).
    const pid = await startDaemon(daemonEntry(), this.home);
    mark('cli-daemon-launched');
    let exitedAt = pid === undefined ? Date.now() : undefined;
    const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
    for (;;) {
      const status = await this.probe();
      if (status) {
        mark('cli-daemon-answered');
        return status;
      }
      if (exitedAt === undefined && readIdentity(pid!) === undefined) exitedAt = Date.now();
      // The daemon we started exited: another start won the race (it answers shortly) or it failed.
      if (exitedAt !== undefined && Date.now() - exitedAt > LOSER_GRACE_MS) {
        // Most often the registry: say what is wrong with it (corrupt, read-only) rather than that the daemon died.
        (await import('../core/registry/registry.ts')).diagnoseRegistry(this.home);
        throw new DaemonUnavailableError(this.home, `berthd exited without answering: ${tailLinesQuietly(logPath(this.home, 'berthd'), 1)[0] ?? 'no log'}`);
      }
      if (Date.now() > deadline) throw new DaemonUnavailableError(this.home, `it did not answer within ${DAEMON_START_TIMEOUT_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, DAEMON_PROBE_MS));
    }
  }

  /**
   * Calls the daemon, starting it first only if nothing answers on the socket. A daemon started
   * from an older build (berth was upgraded or rebuilt since) is asked to exit after answering,
   * so the next call starts the current one; its services keep running and are re-adopted.
   */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      mark('cli-request', { path });
      const result = await this.send<T>(method, path, body);
      mark('cli-response', { path });
      if (this.lastBuild !== undefined && this.lastBuild !== buildId()) await this.shutdown().catch(() => {});
      return result;
    } catch (err) {
      if (!isErrno(err, ...NOT_RUNNING)) throw unavailable(this.home, err);
    }
    await this.ensureDaemon();
    try {
      mark('cli-request', { path });
      const result = await this.send<T>(method, path, body);
      mark('cli-response', { path });
      return result;
    } catch (err) {
      throw unavailable(this.home, err);
    }
  }

  private send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return phaseAsync(`daemon: ${method} ${path.split('?')[0]}`, () => this.exchange<T>(method, path, body));
  }

  private async exchange<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    // a fallback socket under /tmp is talked to only in berth's own directory (StateUnsafeError)
    checkSocketDir(this.place);
    const answer = await exchange(this.socket, method, path, body === undefined ? undefined : JSON.stringify(body));
    this.lastBuild = answer.headers.get('x-berth-build');
    let doc: unknown;
    try {
      doc = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new DaemonUnavailableError(this.home, `unreadable answer (HTTP ${answer.status})`);
    }
    if (answer.status < 400) return doc as T;
    const e = (doc ?? {}) as Partial<ErrorBody>;
    if (typeof e.error?.code !== 'string' || typeof e.error.message !== 'string') {
      throw new DaemonUnavailableError(this.home, `an error answer without an error document (HTTP ${answer.status})`);
    }
    throw new BerthError(toErrorCode(e.error.code), e.error.message, { hint: e.error.hint, details: e.error.details, exitCode: e.exitCode ?? EXIT.failure });
  }
}
