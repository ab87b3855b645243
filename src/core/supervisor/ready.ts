// Waiting for a service to become ready (run --wait, restart --wait): woken by each change of
// its record that the supervisor announces, and once at the deadline; never a poll of SQLite.
// One thing is looked at on a timer: whether the service listens on another port than its own
// (port-mismatch.ts), a mistake that would otherwise cost the whole timeout. How long such a
// mismatch must last depends on who listens: the leader itself (the plain mistake) 0.75 s; a
// side process, which may be a sidecar opening its port before the server opens $PORT, 5 s
// (at most half the timeout); and before berth follows a port (--port-from-listener, which
// gives up the lease) always the longer one.
import type { SupervisorChange } from './api.ts';
import { NotReadyError, PortMismatchError, ServiceExitedError, ServiceNotFoundError } from './errors.ts';
import type { ElsewhereHint, PortMismatch } from './port-mismatch.ts';
import { logPath, startTail } from './logs.ts';
import type { ServiceRecord } from './store.ts';

const LOG_TAIL_LINES = 20;
/** How often a starting service's listeners are compared with its port. */
export const MISMATCH_POLL_MS = 250;
/** How long the leader's own mismatch must last before it is reported: a port opened for a moment is not one. */
export const MISMATCH_GRACE_MS = 750;
/** How long a side process's mismatch must last (or any, before berth follows the port): ordinary start-ups with sidecars. */
export const SIDE_LISTENER_GRACE_MS = 5_000;

/** How long this mismatch must have lasted before it counts. */
export function mismatchGraceMs(found: PortMismatch, follow: boolean, timeoutMs: number): number {
  if (found.leaderListens && !follow) return MISMATCH_GRACE_MS;
  return Math.max(MISMATCH_GRACE_MS, Math.min(SIDE_LISTENER_GRACE_MS, timeoutMs / 2));
}

export interface ReadyWait {
  name: string;
  home: string;
  clock: { now(): number; setTimeout(fn: () => void, ms: number): NodeJS.Timeout; clearTimeout(t: NodeJS.Timeout): void };
  load: () => ServiceRecord | undefined;
  /** false once the instance waited for has been replaced or has ended */
  current: () => boolean;
  subscribe: (listener: (change: SupervisorChange) => void) => () => void;
  timeoutMs: number;
  t0: number;
  /** a port mismatch of the instance waited for, if there is one now (null: none, or not starting) */
  mismatch?: () => PortMismatch | null;
  /** where it listens (or says it listens) instead of its port, asked once when the time runs out */
  elsewhere?: () => ElsewhereHint | null;
}

/** Resolves with the time it took to become ready; rejects if it ends, is stopped, or the time runs out. */
export function waitReady(w: ReadyWait): Promise<number> {
  return new Promise((resolve, reject) => {
    const deadline = w.t0 + w.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    let done = false;
    let unsubscribe = (): void => {};
    const finish = (fn: () => void): void => {
      done = true;
      unsubscribe();
      if (timer) w.clock.clearTimeout(timer);
      if (poll) w.clock.clearTimeout(poll);
      fn();
    };
    // this start's lines only: an earlier start's would tell another run's story
    const tail = (): string[] => startTail(logPath(w.home, w.name), LOG_TAIL_LINES);
    const evaluate = (): void => {
      const record = w.load();
      if (!record) return finish(() => reject(new ServiceNotFoundError(w.name)));
      if (!w.current() || ['backoff', 'exited', 'failed'].includes(record.state)) {
        return finish(() => reject(new ServiceExitedError(w.name, record.lastExit?.code ?? null, record.lastExit?.signal ?? null, tail())));
      }
      if (record.state === 'healthy' || record.state === 'running') return finish(() => resolve(w.clock.now() - w.t0));
      if (record.state === 'stopped' || record.state === 'stopping') return finish(() => reject(new ServiceExitedError(w.name, null, null, [])));
      const left = deadline - w.clock.now();
      if (left <= 0) {
        const check = record.spec.health ?? (record.port !== null ? `a process of it to listen on :${record.port}` : 'it to run');
        const elsewhere = record.port !== null ? (w.elsewhere?.() ?? null) : null;
        return finish(() => reject(new NotReadyError(w.name, w.timeoutMs, tail(), check, elsewhere)));
      }
      // (re)arm the deadline: a timer can fire a millisecond before the clock reaches it, and
      // one that found nothing to do must not be the last look
      if (timer) w.clock.clearTimeout(timer);
      timer = w.clock.setTimeout(evaluate, Math.max(1, left));
    };
    // a mismatch seen since (first sighting of these very ports): reported once it has lasted its grace
    let seenAt: number | null = null;
    let seenPorts = '';
    const look = (): void => {
      poll = undefined;
      if (done || !w.mismatch) return;
      const found = w.mismatch();
      const now = w.clock.now();
      const spec = w.load()?.spec;
      const ports = found?.listening.join(',') ?? '';
      if (found === null) seenAt = null;
      else if (seenAt === null || ports !== seenPorts) seenAt = now;
      else if (now - seenAt >= mismatchGraceMs(found, spec?.portFromListener === true, w.timeoutMs)) {
        return finish(() => reject(new PortMismatchError(w.name, found, spec?.argv ?? [], tail())));
      }
      seenPorts = ports;
      poll = w.clock.setTimeout(look, MISMATCH_POLL_MS);
    };
    unsubscribe = w.subscribe((change) => {
      if (change.kind === 'service' && change.name === w.name) evaluate();
    });
    evaluate();
    if (!done) look();
  });
}
