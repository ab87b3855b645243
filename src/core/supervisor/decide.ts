// The supervisor's rules as one pure function: decide(supervision, event, now) -> { supervision,
// effects }. Every change of a service's state, every restart, backoff, give-up, hung-service
// stop and adoption is decided here from plain data, so each rule is a unit test with a fake
// clock (test/core/supervisor-decide.test.ts) instead of a 20 s end-to-end wait. The shell
// (shell.ts, supervisor.ts) performs the effects: spawning, stopping trees, timers, the store.
import type { EventInput } from '../registry/events.ts';
import type { Identity } from '../identity.ts';
import type { Owner } from '../owner.ts';
import { BACKOFF_RESET_AFTER_MS, backoffDelay } from './backoff.ts';
import type { NotifyMessage } from './notify.ts';
import type { ServiceSpec } from './spec.ts';
import { isLive, type ServiceState, transition } from './state.ts';
import { NOTIFY_HEALTH } from './spec.ts';
import type { ServiceRecord } from './store.ts';

export const READY_POLL_MS = 100;
/**
 * A starting service is checked at once, then after READY_FIRST_POLL_MS, doubling up to
 * READY_POLL_MS: most services open their port within a few tens of ms, and a fixed 100 ms
 * made each start wait up to that long past its readiness.
 */
export const READY_FIRST_POLL_MS = 10;
export const HEALTH_INTERVAL_MS = 2_000;
/** Once healthy, an HTTP (or cmd:) probe runs this rarely; listener ownership is watched in between. */
export const PROBE_INTERVAL_MS = 30_000;
export const UNCHECKED_SETTLE_MS = 500;
export const OBSTACLE_POLL_MS = 500;
export const UNHEALTHY_CHECKS_BEFORE_RESTART = 3;
export const UNHEALTHY_GRACE_MS = 2_000;
export const ADOPTED_STOP_GRACE_MS = 5_000;

/** A service's record plus what the daemon keeps in memory about watching it. */
export interface Supervision {
  record: ServiceRecord;
  /** consecutive crashes, for the backoff; reset after BACKOFF_RESET_AFTER_MS healthy and by a request */
  attempt: number;
  /** consecutive failed health checks */
  failures: number;
  /** when the last full probe (HTTP, tcp:, cmd:) ran */
  probedAt: number | null;
  /** the pid last found listening for the service (ownership watch) */
  listener: number | null;
  /** when a retry in backoff is due */
  retryAt: number | null;
  /** what the instance said through NOTIFY_SOCKET or `berth beat` (notify.ts); reset at every start */
  notify: NotifyState;
  /**
   * Why berth is stopping this instance as hung (its watchdog, or failing health checks), until
   * it exits: its exit is then described with the reason, not only as "killed by SIGTERM".
   */
  hung: string | null;
}

/** The sd_notify facts of the running instance, in memory only: a service says them again after a daemon restart. */
export interface NotifyState {
  ready: boolean;
  status: string | null;
  mainPid: number | null;
  stopping: boolean;
  /**
   * When the watchdog was last armed: the start, an adoption, or the last WATCHDOG=1. A due
   * timer is checked against it, because the shell drains the socket just before the verdict
   * and a beat found there re-arms the timer while the old due event is already queued.
   */
  lastWatchdogAt: number | null;
}

export const NO_NOTIFY: NotifyState = { ready: false, status: null, mainPid: null, stopping: false, lastWatchdogAt: null };

export type CheckDepth = 'probe' | 'ownership' | 'settle';
export type TimerName = 'check' | 'retry' | 'obstacle' | 'watchdog';
export type StopPurpose = 'request' | 'hung' | 'finish-stop';

export interface StopOutcomeFacts {
  pids: number[];
  killed: boolean;
  spared: { pid: number; reason: string }[];
}

export type SupervisorEvent =
  /** a process of a new instance was spawned (by a request or a retry) */
  | { kind: 'spawned'; spec: ServiceSpec; env: Record<string, string>; owner: Owner | null; port: number | null; identity: Identity; marker: string; restarts: number }
  /** the command could not be started at all (not found, not executable) */
  | { kind: 'spawn-failed'; spec: ServiceSpec; env: Record<string, string>; owner: Owner | null; port: number | null; restarts: number; message: string; errno: string }
  /** a start (clearing the way, spawning) failed while the service was in backoff */
  | { kind: 'start-failed'; cause: string; blocked: boolean; jitter: number; counted: boolean }
  /** the instance's process is gone; blocker names a stranger now on its port or lock */
  | { kind: 'exited'; code: number | null; signal: string | null; note?: string; blocker: string | null; jitter: number }
  /** a check ran; listener: the pid of the tree that holds the port; stopped: that process is stopped (SIGSTOP) */
  | { kind: 'checked'; depth: CheckDepth; ok: boolean; listener: number | null; stopped?: boolean }
  | { kind: 'retry-due' }
  /** a notification from a process of the instance (its sender checked by the shell) */
  | { kind: 'notified'; message: NotifyMessage }
  /** no WATCHDOG=1 within the service's watchdog interval */
  | { kind: 'watchdog-due' }
  | { kind: 'obstacle-gone' }
  | { kind: 'obstacle-present' }
  /** a new daemon found this record, or `berth adopt` made it (adoption: what the adopt event records); alive: its process still runs */
  | { kind: 'adopted'; alive: boolean; blocker: string | null; jitter: number; adoption?: Record<string, unknown> }
  /** run, restart: the retry in progress is cancelled; the request starts the service itself */
  | { kind: 'start-requested' }
  | { kind: 'stop-requested'; reason: string; alive: boolean; graceMs: number }
  | { kind: 'tree-stopped'; purpose: StopPurpose; reason: string; outcome: StopOutcomeFacts }
  /** placeholders for the issues after this one (ownership, one eviction): no rule yet */
  | { kind: 'owner-gone' }
  | { kind: 'evict-requested' };

export type Effect =
  | { kind: 'save' }
  /** as: whose event it is, the request's caller or the service's owner */
  | { kind: 'record'; as: 'requester' | 'owner'; event: EventInput }
  | { kind: 'schedule'; timer: TimerName; afterMs: number; depth?: CheckDepth }
  | { kind: 'cancel'; timer: TimerName }
  /** watch an adopted process (not our child) for liveness by identity */
  | { kind: 'watch-liveness' }
  | { kind: 'stop-tree'; purpose: StopPurpose; graceMs: number; reason: string }
  /** start the next instance after a crash: clear the way and spawn */
  | { kind: 'start'; restarts: number }
  | { kind: 'remove-tmp' }
  /** tell listeners (ps --watch, the dashboard) that what the service shows changed, without a save */
  | { kind: 'announce' };

export interface Decision {
  supervision: Supervision;
  effects: Effect[];
}

/** A fresh supervision of a record (nothing known yet in memory). */
export function supervise(record: ServiceRecord): Supervision {
  return { record, attempt: 0, failures: 0, probedAt: null, listener: null, retryAt: null, notify: NO_NOTIFY, hung: null };
}

export type RunOutcomeDecision = 'already_running' | 'replace' | 'start';

/** Idempotent run: the same spec while it runs is left alone; a new spec replaces a live instance. */
export function decideRun(existing: ServiceRecord | undefined, alive: boolean, same: boolean): RunOutcomeDecision {
  if (!existing || !alive || !isLive(existing.state)) return 'start';
  return existing.state !== 'stopping' && same ? 'already_running' : 'replace';
}

/** Does the check of this service need a probe beyond the listener (HTTP, tcp:, cmd:)? */
function probes(spec: ServiceSpec): boolean {
  return spec.health !== null && spec.health !== NOTIFY_HEALTH;
}

/** The watchdog timer's cancel, for a service that has one (no effect for the others). */
function cancelWatchdog(spec: ServiceSpec): Effect[] {
  return watchdogMs(spec) !== null ? [{ kind: 'cancel', timer: 'watchdog' }] : [];
}

/** The service's watchdog interval, when it declares one. */
function watchdogMs(spec: ServiceSpec): number | null {
  return spec.watchdogMs !== undefined && spec.watchdogMs > 0 ? spec.watchdogMs : null;
}

/**
 * A notification of the running instance: READY=1 makes a `health: notify` service ready at
 * the next check (run at once), WATCHDOG=1 re-arms the watchdog, STATUS= is kept for ps,
 * STOPPING=1 disarms the watchdog (it is on its way out, not hung), MAINPID= is shown only:
 * which processes berth may stop stays proven by the instance marker (decision 0009).
 */
function onNotified(s: Supervision, message: NotifyMessage, now: number): Decision {
  const r = s.record;
  if (!isLive(r.state) || r.state === 'stopping' || !r.identity) return { supervision: s, effects: [] };
  const notify: NotifyState = {
    ready: s.notify.ready || message.ready,
    status: message.status ?? s.notify.status,
    mainPid: message.mainPid ?? s.notify.mainPid,
    stopping: s.notify.stopping || message.stopping,
    lastWatchdogAt: message.watchdog ? now : s.notify.lastWatchdogAt,
  };
  const effects: Effect[] = [];
  const ms = watchdogMs(r.spec);
  if (ms !== null && message.stopping) effects.push({ kind: 'cancel', timer: 'watchdog' });
  else if (ms !== null && message.watchdog && !notify.stopping) effects.push({ kind: 'schedule', timer: 'watchdog', afterMs: ms });
  if (message.ready && !s.notify.ready && r.spec.health === NOTIFY_HEALTH) effects.push({ kind: 'schedule', timer: 'check', afterMs: 0, depth: checkDepth(r.spec, r.port) });
  // ps and waiters see a new status at once
  if (notify.status !== s.notify.status || notify.stopping !== s.notify.stopping || notify.mainPid !== s.notify.mainPid) effects.push({ kind: 'announce' });
  return { supervision: { ...s, notify }, effects };
}

/** The pure rules. */
export function decide(s: Supervision, event: SupervisorEvent, now: number): Decision {
  const r = s.record;
  const set = (patch: Partial<Omit<ServiceRecord, 'spec' | 'state'>> & { state?: ServiceState }): ServiceRecord => ({
    ...r,
    ...patch,
    state: patch.state === undefined ? r.state : transition(r.state, patch.state),
  });
  const live = isLive(r.state) && r.state !== 'stopping';
  switch (event.kind) {
    case 'spawned': {
      const record: ServiceRecord = {
        ...r,
        spec: event.spec,
        state: transition(r.state, 'starting'),
        identity: event.identity,
        instance: event.marker,
        port: event.port,
        owner: event.owner,
        restarts: event.restarts,
        env: event.env,
        startedAt: now,
        healthySince: null,
        detail: null,
      };
      const restarted = event.restarts > 0;
      return {
        supervision: { ...s, record, failures: 0, probedAt: null, listener: null, retryAt: null, notify: { ...NO_NOTIFY, lastWatchdogAt: now }, hung: null },
        effects: [
          { kind: 'save' },
          {
            kind: 'record',
            as: 'requester',
            event: {
              verb: restarted ? 'restart' : 'start',
              subject: r.spec.name,
              outcome: 'ok',
              details: { pid: event.identity.pid, port: event.port, command: event.spec.argv.join(' '), ...(restarted ? { restarts: event.restarts } : {}) },
            },
          },
          { kind: 'schedule', timer: 'check', afterMs: 0, depth: checkDepth(event.spec, event.port) },
          // systemd arms the watchdog at the start: a service that never beats is hung too
          ...(watchdogMs(event.spec) !== null ? [{ kind: 'schedule', timer: 'watchdog', afterMs: watchdogMs(event.spec)! } as const] : []),
        ],
      };
    }
    case 'notified':
      return onNotified(s, event.message, now);
    case 'watchdog-due': {
      const ms = watchdogMs(r.spec);
      if (!live || ms === null || s.notify.stopping || !r.identity) return { supervision: s, effects: [] };
      // A stale due event: a beat arrived (drained just before this verdict) after the timer
      // fired. Re-armed for what is left of the interval since that beat, not a kill.
      const since = s.notify.lastWatchdogAt === null ? ms : now - s.notify.lastWatchdogAt;
      if (since < ms) return { supervision: s, effects: [{ kind: 'schedule', timer: 'watchdog', afterMs: ms - since }] };
      // Hung: alive, maybe holding its port, but no progress. Stopped like a service whose
      // health check keeps failing; its exit then goes through the restart policy.
      const reason = `no WATCHDOG=1 within ${ms} ms`;
      return {
        supervision: { ...s, hung: reason },
        effects: [
          { kind: 'cancel', timer: 'check' },
          { kind: 'record', as: 'owner', event: { verb: 'watchdog', subject: r.spec.name, outcome: 'failed', details: { pid: r.identity.pid, watchdogMs: ms } } },
          { kind: 'stop-tree', purpose: 'hung', graceMs: UNHEALTHY_GRACE_MS, reason },
        ],
      };
    }
    case 'spawn-failed': {
      const record: ServiceRecord = {
        ...r,
        spec: event.spec,
        // (it was starting, and failed at once)
        state: transition(transition(r.state, 'starting'), 'failed'),
        identity: null,
        instance: null,
        port: event.port,
        owner: event.owner,
        restarts: event.restarts,
        env: event.env,
        startedAt: null,
        healthySince: null,
        detail: event.message,
      };
      return {
        supervision: { ...s, record },
        effects: [
          { kind: 'save' },
          { kind: 'record', as: 'requester', event: { verb: 'start', subject: r.spec.name, outcome: 'failed', details: { command: event.spec.argv.join(' '), error: event.errno } } },
        ],
      };
    }
    case 'exited':
      return onExit(s, event, now);
    case 'adopted': {
      if (live && event.alive) {
        // What it said through NOTIFY_SOCKET died with the old daemon: an instance that was
        // ready stays ready (a health: notify service sends READY=1 once), and the watchdog is
        // armed afresh (its beats went nowhere while no daemon listened).
        const ms = watchdogMs(r.spec);
        return {
          supervision: { ...s, notify: { ...s.notify, ready: s.notify.ready || r.state !== 'starting', lastWatchdogAt: now } },
          effects: [
            event.adoption
              ? { kind: 'record', as: 'requester', event: { verb: 'adopt', subject: r.spec.name, outcome: 'ok', details: { pid: r.identity?.pid ?? null, ...event.adoption } } }
              : { kind: 'record', as: 'owner', event: { verb: 'adopt', subject: r.spec.name, outcome: 'ok', details: { pid: r.identity?.pid ?? null } } },
            { kind: 'watch-liveness' },
            { kind: 'schedule', timer: 'check', afterMs: 0, depth: checkDepth(r.spec, r.port) },
            ...(ms !== null ? [{ kind: 'schedule', timer: 'watchdog', afterMs: ms } as const] : []),
          ],
        };
      }
      if (r.state === 'stopping') {
        // the old daemon died mid-stop: finish the stop
        if (event.alive) return { supervision: s, effects: [{ kind: 'stop-tree', purpose: 'finish-stop', graceMs: ADOPTED_STOP_GRACE_MS, reason: r.detail ?? 'stopped' }] };
        return { supervision: { ...s, record: set({ state: 'stopped', detail: null }) }, effects: [{ kind: 'save' }] };
      }
      if (isLive(r.state) || r.state === 'backoff') {
        // it died while no daemon watched it: the exit status is unknown
        return onExit(s, { kind: 'exited', code: null, signal: null, note: 'died while the daemon was down', blocker: event.blocker, jitter: event.jitter }, now);
      }
      return { supervision: s, effects: [] };
    }
    case 'checked':
      return onChecked(s, event, now);
    case 'retry-due':
    case 'obstacle-gone':
      if (r.state !== 'backoff') return { supervision: s, effects: [] };
      return { supervision: { ...s, retryAt: null }, effects: [{ kind: 'cancel', timer: 'retry' }, { kind: 'cancel', timer: 'obstacle' }, { kind: 'start', restarts: r.restarts + 1 }] };
    case 'obstacle-present':
      if (r.state !== 'backoff') return { supervision: s, effects: [] };
      if (s.retryAt !== null && now >= s.retryAt) return decide(s, { kind: 'retry-due' }, now);
      return { supervision: s, effects: [{ kind: 'schedule', timer: 'obstacle', afterMs: OBSTACLE_POLL_MS }] };
    case 'start-failed': {
      // Could not start (a stranger holds the port, say): counted as a crash, retried later.
      if (r.state !== 'backoff') return { supervision: s, effects: [] };
      const counted = event.counted ? set({ restarts: r.restarts + 1 }) : r;
      const effects: Effect[] = event.counted
        ? [{ kind: 'save' }, { kind: 'record', as: 'owner', event: { verb: 'restart', subject: r.spec.name, outcome: 'failed', details: { cause: event.cause } } }]
        : [];
      const next = scheduleRetry({ ...s, record: counted }, event.cause, event.blocked, event.jitter, now);
      return { supervision: next.supervision, effects: [...effects, ...next.effects] };
    }
    case 'start-requested':
      return { supervision: { ...s, attempt: 0, retryAt: null }, effects: [{ kind: 'cancel', timer: 'retry' }, { kind: 'cancel', timer: 'obstacle' }] };
    case 'stop-requested': {
      const cancel: Effect[] = [{ kind: 'cancel', timer: 'check' }, { kind: 'cancel', timer: 'retry' }, { kind: 'cancel', timer: 'obstacle' }, ...cancelWatchdog(r.spec)];
      const base = { ...s, attempt: 0, retryAt: null };
      // A stopped record's stop already happened: what is still alive of its tree is what that
      // stop had to spare (berth's own daemon, if one carried the marker); `rm` forgets it, no new stop.
      if (!event.alive || r.state === 'stopped') {
        const record = r.state === 'stopped' ? r : set({ state: 'stopped', detail: event.reason, healthySince: null });
        return { supervision: { ...base, record }, effects: [...cancel, ...(record === r ? [] : [{ kind: 'save' } as const]), { kind: 'remove-tmp' }] };
      }
      return {
        supervision: { ...base, record: set({ state: 'stopping', detail: event.reason }) },
        effects: [...cancel, { kind: 'save' }, { kind: 'stop-tree', purpose: 'request', graceMs: event.graceMs, reason: event.reason }],
      };
    }
    case 'tree-stopped':
      return onTreeStopped(s, event);
    case 'owner-gone':
    case 'evict-requested':
      return { supervision: s, effects: [] };
  }
}

/** The check to run next: a probe until the service is healthy and while the probe interval runs, else ownership only. */
function checkDepth(spec: ServiceSpec, port: number | null, s?: Supervision, now?: number): CheckDepth {
  // notify: the service says when it is ready; berth only watches that it keeps its port
  if (spec.health === NOTIFY_HEALTH) return port === null ? 'settle' : 'ownership';
  if (spec.health === null && port === null) return 'settle';
  if (!probes(spec) || s === undefined || now === undefined) return spec.health === null ? 'ownership' : 'probe';
  if (s.record.state !== 'healthy' || s.failures > 0 || s.probedAt === null || now - s.probedAt >= PROBE_INTERVAL_MS) return 'probe';
  return 'ownership';
}

function onChecked(s: Supervision, event: Extract<SupervisorEvent, { kind: 'checked' }>, now: number): Decision {
  const r = s.record;
  if (!r.identity || !isLive(r.state) || r.state === 'stopping') return { supervision: s, effects: [] };
  const checked = r.spec.health !== null || r.port !== null;
  // With nothing to check, "ready" means it stayed up past the settle time: a command that
  // dies at once is reported as a failed start, not as running.
  const settledOk = event.depth === 'settle' ? now - (r.startedAt ?? 0) >= UNCHECKED_SETTLE_MS : event.ok;
  // health: notify: ready once a process of the instance said READY=1 (and, with a port, holds it)
  const ok = r.spec.health === NOTIFY_HEALTH ? s.notify.ready && (r.port === null || event.ok) : settledOk;
  const probedAt = event.depth === 'probe' ? now : s.probedAt;
  // Ownership changed (another process of the tree took the port over, or the listener was
  // stopped): probe at once rather than at the next probe interval.
  const moved = event.depth === 'ownership' && probes(r.spec) && ((s.listener !== null && event.listener !== s.listener) || event.stopped === true);
  const listener = event.listener ?? s.listener;
  if (moved && ok) {
    return { supervision: { ...s, listener, probedAt: null }, effects: [{ kind: 'schedule', timer: 'check', afterMs: 0, depth: 'probe' }] };
  }
  let record = r;
  const set = (patch: Partial<ServiceRecord> & { state: ServiceState }): ServiceRecord => ({ ...r, ...patch, state: transition(r.state, patch.state) });
  if (ok && r.state !== 'healthy' && r.state !== 'running') record = set({ state: checked ? 'healthy' : 'running', healthySince: now, detail: null });
  else if (ok && checked && r.state === 'running') record = set({ state: 'healthy', healthySince: now, detail: null });
  else if (!ok && (r.state === 'healthy' || r.state === 'running')) {
    record = set({ state: 'unhealthy', healthySince: null, detail: `health check failing: ${r.spec.health ?? `nothing of it listens on :${r.port}`}` });
  }
  const failures = ok ? 0 : s.failures + 1;
  const next: Supervision = { ...s, record, failures, probedAt, listener };
  const effects: Effect[] = record === r ? [] : [{ kind: 'save' }];
  if (!ok && r.state === 'unhealthy' && failures >= UNHEALTHY_CHECKS_BEFORE_RESTART) {
    // Hung (SIGSTOPped, deadlocked): its process is alive but it does not answer. Stop the
    // tree; its exit then goes through the restart policy like any crash.
    const reason = `health check failed ${failures} times in a row`;
    effects.push({ kind: 'stop-tree', purpose: 'hung', graceMs: UNHEALTHY_GRACE_MS, reason });
    return { supervision: { ...next, hung: reason }, effects };
  }
  const settled = r.state !== 'starting' || ok;
  effects.push({ kind: 'schedule', timer: 'check', afterMs: settled ? HEALTH_INTERVAL_MS : readyPollMs(failures), depth: checkDepth(r.spec, r.port, next, now + HEALTH_INTERVAL_MS) });
  return { supervision: next, effects };
}

/** The wait before the next check of a starting service that failed `failures` checks in a row. */
export function readyPollMs(failures: number): number {
  return Math.min(READY_POLL_MS, READY_FIRST_POLL_MS * 2 ** Math.max(0, failures - 1));
}

function onExit(hungAt: Supervision, event: Extract<SupervisorEvent, { kind: 'exited' }>, now: number): Decision {
  // the instance is gone: a hung stop's reason describes this exit, and no later one
  const s: Supervision = { ...hungAt, hung: null };
  const r = s.record;
  const lastExit = { code: event.code, signal: event.signal, at: new Date(now).toISOString() };
  const stopTimers: Effect[] = [{ kind: 'cancel', timer: 'check' }, ...cancelWatchdog(r.spec), { kind: 'remove-tmp' }];
  if (r.state === 'stopping' || r.state === 'stopped') {
    return { supervision: { ...s, record: { ...r, lastExit } }, effects: [...stopTimers, { kind: 'save' }] };
  }
  // Cause-aware: if a stranger now holds its port or a declared lock, that is likely why.
  const how = event.note ?? (event.signal ? `killed by ${event.signal}` : `exit code ${event.code}`);
  const status = (hungAt.hung !== null ? `hung: ${hungAt.hung} (${how})` : how) + (event.blocker ? `; ${event.blocker}` : '');
  const exitEvent: Effect = {
    kind: 'record',
    as: 'owner',
    event: {
      verb: 'exit',
      subject: r.spec.name,
      outcome: event.code === 0 ? 'ok' : 'failed',
      details: { pid: r.identity?.pid ?? null, code: event.code, signal: event.signal, ...(event.note ? { note: event.note } : {}), ...(hungAt.hung !== null ? { hung: hungAt.hung } : {}) },
    },
  };
  const effects: Effect[] = [...stopTimers, exitEvent];
  const policy = r.spec.restart;
  const failed = event.code !== 0; // a signal or an unknown status counts as a failure
  if (policy === 'never' || (policy === 'on-failure' && !failed)) {
    return { supervision: { ...s, record: { ...r, state: transition(r.state, 'exited'), lastExit, detail: status, healthySince: null } }, effects: [...effects, { kind: 'save' }] };
  }
  const attempt = r.healthySince !== null && now - r.healthySince >= BACKOFF_RESET_AFTER_MS ? 0 : s.attempt;
  if (r.spec.maxRestarts !== null && r.restarts >= r.spec.maxRestarts) {
    const record: ServiceRecord = { ...r, state: transition(r.state, 'failed'), lastExit, detail: `gave up after ${r.restarts} restarts (last: ${status})`, healthySince: null };
    return {
      supervision: { ...s, record, attempt },
      effects: [...effects, { kind: 'save' }, { kind: 'record', as: 'owner', event: { verb: 'give-up', subject: r.spec.name, outcome: 'failed', details: { restarts: r.restarts } } }],
    };
  }
  const backoff: Supervision = { ...s, attempt, record: { ...r, state: transition(r.state, 'backoff'), lastExit, healthySince: null } };
  const next = scheduleRetry(backoff, status, event.blocker !== null, event.jitter, now);
  return { supervision: next.supervision, effects: [...effects, ...next.effects] };
}

/**
 * The next start of a service in backoff, after the backoff delay. When a stranger blocks it
 * (its port or a declared lock), the obstacle is watched too and the service retried as soon
 * as it is gone: `berth free` (or the squatter leaving) brings the service straight back.
 */
function scheduleRetry(s: Supervision, cause: string, blocked: boolean, jitter: number, now: number): Decision {
  const attempt = s.attempt + 1;
  const delay = backoffDelay(attempt, () => jitter);
  const record = { ...s.record, detail: `${cause}; ${blocked ? 'retrying' : 'restarting'} in ${delay} ms (attempt ${attempt})` };
  const effects: Effect[] = [{ kind: 'save' }, { kind: 'cancel', timer: 'retry' }, { kind: 'cancel', timer: 'obstacle' }];
  effects.push(blocked ? { kind: 'schedule', timer: 'obstacle', afterMs: Math.min(delay, OBSTACLE_POLL_MS) } : { kind: 'schedule', timer: 'retry', afterMs: delay });
  return { supervision: { ...s, record, attempt, retryAt: now + delay }, effects };
}

function onTreeStopped(s: Supervision, event: Extract<SupervisorEvent, { kind: 'tree-stopped' }>): Decision {
  const r = s.record;
  const name = r.spec.name;
  const pid = r.identity?.pid ?? null;
  if (event.purpose === 'hung') {
    const kill: Effect = { kind: 'record', as: 'owner', event: { verb: 'kill', subject: name, outcome: 'ok', details: { reason: event.reason, pid, pids: event.outcome.pids } } };
    return { supervision: s, effects: [kill] };
  }
  if (event.purpose === 'finish-stop') {
    return { supervision: { ...s, record: { ...r, state: transition(r.state, 'stopped'), detail: null } }, effects: [{ kind: 'save' }] };
  }
  // A leader berth had to spare (an adopted process that is now berth's daemon's ancestor, say) was
  // not stopped: the record says failed, with why, and the stop is on the record as failed.
  const spared = pid !== null ? event.outcome.spared.find((sp) => sp.pid === pid) : undefined;
  if (spared !== undefined) {
    const detail = `not stopped: pid ${pid} was spared (${spared.reason})`;
    const failed: ServiceRecord = { ...r, state: transition(r.state, 'failed'), detail, healthySince: null };
    const details = { pid, reason: event.reason, error: detail, pids: event.outcome.pids, spared: event.outcome.spared };
    return { supervision: { ...s, record: failed }, effects: [{ kind: 'save' }, { kind: 'record', as: 'requester', event: { verb: 'stop', subject: name, outcome: 'failed', details } }] };
  }
  const record: ServiceRecord = { ...r, state: transition(r.state, 'stopped'), detail: event.reason, healthySince: null };
  return {
    supervision: { ...s, record },
    effects: [
      { kind: 'remove-tmp' },
      { kind: 'save' },
      {
        kind: 'record',
        as: 'requester',
        event: {
          verb: 'stop',
          subject: name,
          outcome: 'ok',
          details: { pid, reason: event.reason, pids: event.outcome.pids, forced: event.outcome.killed, ...(event.outcome.spared.length > 0 ? { spared: event.outcome.spared } : {}) },
        },
      },
    ],
  };
}
