// The daemon's reaps (docs/decisions/0017-session-lifetimes.md): the session-scoped services
// the owner watch (owner-watch.ts) found ownerless are stopped through the shell's normal stop
// path, each re-checked inside its serial queue. What is about reaping and nothing else stays
// here, out of the supervisor's request paths: which reaps are under way, and the growing pause
// after a reap that failed, so that one that cannot succeed does not fill the log every tick.
import type { Caller } from '../owner.ts';
import { assertOwnership } from '../ownership.ts';
import type { ProcessOps, ServiceStore, SupervisorClock } from './deps.ts';
import { reapableServices, reapReason } from './lifetime.ts';
import type { SupervisorShell } from './shell.ts';
import type { ServiceRecord } from './store.ts';

// a reaped service's tree gets this long after TERM before KILL (as a daemon finishing a stop)
const REAP_GRACE_MS = 5_000;
// a reap that failed is tried again after 2 s, then 4, 8 … up to 5 min
const REAP_RETRY_FIRST_MS = 2_000;
const REAP_RETRY_MAX_MS = 300_000;

export interface ReaperOptions {
  shell: SupervisorShell;
  store: ServiceStore;
  processes: Pick<ProcessOps, 'isAlive'>;
  clock: Pick<SupervisorClock, 'now'>;
  /** the daemon itself: the actor of every reap */
  self: Caller;
}

export class Reaper {
  private readonly opts: ReaperOptions;
  /** services whose reap is queued or running: a later tick does not queue it again */
  private readonly reaping = new Set<string>();
  /** services whose reap failed: when it may be tried again, and how often it failed */
  private readonly retryAt = new Map<string, { at: number; failures: number }>();

  constructor(opts: ReaperOptions) {
    this.opts = opts;
  }

  /**
   * Stops session-scoped services whose owner session is gone, through the normal stop path
   * (whole instance tree, grace then KILL), each re-checked inside its serial queue: a service
   * restarted or kept meanwhile is left alone. The record stays, stopped, with why; a `reap`
   * event names the session.
   */
  async reap(records: ServiceRecord[]): Promise<void> {
    const { shell, store, processes, clock, self } = this.opts;
    const gone = (owner: { process?: ServiceRecord['identity'] }): boolean => owner.process !== undefined && owner.process !== null && !processes.isAlive(owner.process);
    await Promise.all(
      records
        .filter((r) => !this.reaping.has(r.spec.name) && (this.retryAt.get(r.spec.name)?.at ?? 0) <= clock.now())
        .map(async (r) => {
          const name = r.spec.name;
          this.reaping.add(name);
          try {
            await shell.serial(name, async () => {
              const record = store.load(name);
              if (!record || reapableServices([record], gone).length === 0) return;
              const owner = record.owner!;
              // the ownership rule allows it: the owner session is gone (decision 0014)
              assertOwnership({ name, owner, startedAt: record.startedAt }, self.owner, {}, { action: 'stop', command: `berth stop ${name}` }, clock.now(), gone);
              const who = { actor: self.actor, owner };
              await shell.stopInstance(record, who, REAP_GRACE_MS, reapReason(owner));
              shell.event(who, { verb: 'reap', subject: name, outcome: 'ok', details: { session: owner.session, agent: owner.agent ?? null, pid: record.identity?.pid ?? null } });
            });
            this.retryAt.delete(name);
          } catch (err) {
            // on the record; tried again while it stays reapable, after a growing pause, so that a
            // reap that cannot succeed (a record of another user) does not fill the log every tick
            const failures = (this.retryAt.get(name)?.failures ?? 0) + 1;
            const retryInMs = Math.min(REAP_RETRY_MAX_MS, REAP_RETRY_FIRST_MS * 2 ** (failures - 1));
            this.retryAt.set(name, { at: clock.now() + retryInMs, failures });
            shell.event(self, { verb: 'reap', subject: name, outcome: 'failed', details: { error: err instanceof Error ? err.message : String(err), failures, retryInMs } });
          } finally {
            this.reaping.delete(name);
          }
        }),
    );
  }
}
