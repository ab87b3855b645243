// Waiting for a service to become ready (run --wait, restart --wait): woken by each change of
// its record that the supervisor announces, and once at the deadline; never a poll of SQLite.
import type { SupervisorChange } from './api.ts';
import { NotReadyError, ServiceExitedError, ServiceNotFoundError } from './errors.ts';
import { logPath, tailLinesQuietly } from './logs.ts';
import type { ServiceRecord } from './store.ts';

const LOG_TAIL_LINES = 20;

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
}

/** Resolves with the time it took to become ready; rejects if it ends, is stopped, or the time runs out. */
export function waitReady(w: ReadyWait): Promise<number> {
  return new Promise((resolve, reject) => {
    const deadline = w.t0 + w.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe = (): void => {};
    const finish = (fn: () => void): void => {
      unsubscribe();
      if (timer) w.clock.clearTimeout(timer);
      fn();
    };
    const tail = (): string[] => tailLinesQuietly(logPath(w.home, w.name), LOG_TAIL_LINES);
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
        return finish(() => reject(new NotReadyError(w.name, w.timeoutMs, tail(), check)));
      }
      // (re)arm the deadline: a timer can fire a millisecond before the clock reaches it, and
      // one that found nothing to do must not be the last look
      if (timer) w.clock.clearTimeout(timer);
      timer = w.clock.setTimeout(evaluate, Math.max(1, left));
    };
    unsubscribe = w.subscribe((change) => {
      if (change.kind === 'service' && change.name === w.name) evaluate();
    });
    evaluate();
  });
}
