// The daemon's owner watch: one timer for all sessions, so that a session-scoped service ends
// within a few seconds of its owner session (docs/decisions/0017-session-lifetimes.md). Node has
// no pidfd binding, so it polls: every OWNER_POLL_MS, one identity read (/proc/<pid>/stat) per
// distinct owner session that has something to reap, not one per service. The list of those
// sessions is rebuilt from the store only after a service record changed, so a quiet tick reads
// no registry. When a session is gone, the reapable services are chosen by the one rule
// (lifetime.ts, also gc's) and handed to `reap`, the supervisor's normal stop path.
import type { Identity } from '../identity.ts';
import type { Owner } from '../owner.ts';
import type { ServiceStore, SupervisorClock } from './deps.ts';
import { reapableServices, watchedOwners } from './lifetime.ts';
import type { ServiceRecord } from './store.ts';

/** A 1 s poll: a reap within a few seconds of the session's end, at a cost measured by `npm run bench`. */
export const OWNER_POLL_MS = 1_000;

export interface OwnerWatchOptions {
  clock: Pick<SupervisorClock, 'setTimeout' | 'clearTimeout'>;
  store: Pick<ServiceStore, 'loadAll'>;
  isAlive: (identity: Identity) => boolean;
  /** stops the services whose session is gone (each re-checked inside its serial queue) */
  reap: (records: ServiceRecord[]) => Promise<void>;
  intervalMs?: number;
}

export class OwnerWatch {
  private readonly opts: OwnerWatchOptions;
  private readonly intervalMs: number;
  private owners = new Map<string, Owner>();
  private dirty = true;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(opts: OwnerWatchOptions) {
    this.opts = opts;
    this.intervalMs = opts.intervalMs ?? OWNER_POLL_MS;
  }

  /** Checks now (a daemon that was down when a session ended reaps at once), then every interval. */
  start(): Promise<void> {
    this.stopped = false;
    return this.tick().finally(() => this.schedule());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** A service record changed: the sessions to watch are read again at the next tick. */
  invalidate(): void {
    this.dirty = true;
  }

  /** The sessions watched now (after the last tick). */
  sessions(): string[] {
    return [...this.owners.keys()];
  }

  /** One check of every watched session; reaps what the gone ones leave. */
  async tick(): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      this.owners = watchedOwners(this.opts.store.loadAll());
    }
    let anyGone = false;
    for (const owner of this.owners.values()) {
      if (!this.opts.isAlive(owner.process!)) {
        anyGone = true;
        break;
      }
    }
    if (!anyGone) return;
    const due = reapableServices(this.opts.store.loadAll(), (owner) => !this.opts.isAlive(owner.process!));
    this.dirty = true;
    if (due.length > 0) await this.opts.reap(due);
  }

  private schedule(): void {
    if (this.stopped) return;
    const timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      // a tick that failed (the registry busy a moment) is simply tried again at the next one
      void this.tick()
        .catch(() => {})
        .finally(() => this.schedule());
    }, this.intervalMs);
    timer.unref?.();
    this.timer = timer;
  }
}
