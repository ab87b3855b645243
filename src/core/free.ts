// `berth free PORT|PATH`: stop what holds a port or a file, safely and on the record. A holder
// that is a berth service is stopped as a service (so it is not restarted behind your back),
// through the ownership rule; any other process is evicted by the one eviction (evict.ts):
// identity-checked, TERM then KILL, with its descendants, never its process group. A socket
// whose holder berth cannot see (another user's, to a non-root berth), berth's own daemon and
// the processes using its registry are refused, never skipped silently. When a daemon runs it
// does this (it is the single writer of service state and evictions); the CLI acts itself, with
// this same module, only when none runs.
import { BerthError, EXIT } from './errors.ts';
import { type EvictionRefusal, type EvictionScope, type EvictTarget, evictionEvent, evictionRefusal, evictProcess, findHolders, targetArg, targetLabel } from './evict.ts';
import type { ProcessInfo } from './inspect/process.ts';
import { type Caller, detectOwner, type Owner } from './owner.ts';
import { assertOwnership } from './ownership.ts';
import type { EventInput } from './registry/events.ts';
import type { Registry } from './registry/registry.ts';
import { liveServiceTrees, serviceOf } from './supervisor/trees.ts';
import { oneLine } from './text.ts';

export type FreeTarget = EvictTarget;
export { targetLabel };

export interface FreeStep {
  process: ProcessInfo;
  owner: Owner | null;
  /** the berth service it belongs to: stopped through the supervisor */
  service: string | null;
  /** stopping that service overrides its live owner (--force): the supervisor records it */
  force: boolean;
}

export class FreeRefusedError extends BerthError {
  constructor(target: string, message: string, hint: string, details: Record<string, unknown>) {
    super('free_refused', `will not free ${target}: ${message}`, { hint, exitCode: EXIT.conflict, details });
  }
}

/** Everything berth was to stop is stopped, yet the target is held again (a holder that re-forks, say). */
export class StillHeldError extends BerthError {
  constructor(target: FreeTarget, holders: ProcessInfo[]) {
    const h = holders[0];
    super('still_held', `${targetLabel(target)} is still held${h ? ` by pid ${h.pid} (${oneLine(h.command)})` : ''} after berth stopped its holders`, {
      hint: `it came back under a new pid; see: berth who ${targetArg(target)}`,
      exitCode: EXIT.conflict,
      details: { target: targetLabel(target), holders: holders.map((p) => ({ pid: p.pid, command: p.command, user: p.user })) },
    });
  }
}

/** The processes holding the target (evict.ts's rule); a holder berth cannot see is a refusal. */
export function holdersOf(target: FreeTarget): ProcessInfo[] {
  const { holders, hidden } = findHolders(target);
  const h = hidden[0];
  if (h) {
    throw new FreeRefusedError(
      targetLabel(target),
      `it is held by a process of user ${h.user} (uid ${h.uid}) that berth cannot see`,
      `berth never signals another user's process; ask ${h.user}, or run berth as that user (berth who ${targetArg(target)})`,
      { uid: h.uid, user: h.user },
    );
  }
  return holders;
}

/**
 * What freeing the target would do, or a refusal: a berth service follows the ownership rule
 * (ownership.ts: another live session's needs --force, another user's never); what the
 * eviction rule protects is never touched.
 */
export function planFree(target: FreeTarget, registry: Registry | undefined, me: Owner, force: boolean, home?: string, protect: readonly number[] = []): FreeStep[] {
  const trees = liveServiceTrees(registry);
  const steps: FreeStep[] = [];
  for (const p of holdersOf(target)) {
    const svc = serviceOf(trees, p.pid);
    if (svc) {
      const { spec, owner, startedAt } = svc.record;
      const forcedOver = assertOwnership({ name: spec.name, owner, startedAt }, me, { force }, { action: 'free', command: `berth free ${targetArg(target)} --force` });
      if (!steps.some((s) => s.service === spec.name)) steps.push({ process: p, owner, service: spec.name, force: forcedOver !== null });
      continue;
    }
    const refusal = evictionRefusal(p, { home, protect, trees });
    if (refusal) throw refusedFree(target, p, refusal);
    steps.push({ process: p, owner: detectOwner(p.pid), service: null, force: false });
  }
  return steps;
}

function refusedFree(target: FreeTarget, p: ProcessInfo, refusal: EvictionRefusal): FreeRefusedError {
  const label = targetLabel(target);
  switch (refusal.reason) {
    case 'other_user':
      return new FreeRefusedError(label, `pid ${p.pid} (${oneLine(p.command)}) belongs to user ${p.user}`, 'berth never signals another user\'s process; ask them, or run berth as that user', { pid: p.pid, user: p.user, reason: refusal.reason });
    case 'ancestor_of_berth':
      return new FreeRefusedError(label, `pid ${p.pid} (${oneLine(p.command)}) ${refusal.why}`, 'berth will not stop its own ancestors; stop it yourself if you mean to', { pid: p.pid, reason: refusal.reason });
    case 'daemon':
      return new FreeRefusedError(label, `pid ${p.pid} (${oneLine(p.command)}): ${refusal.why}`, 'stop the daemon with: berth daemon stop', { pid: p.pid, reason: refusal.reason });
    case 'registry':
      return new FreeRefusedError(label, `pid ${p.pid} (${oneLine(p.command)}): ${refusal.why}`, `if it is not berth, check it (berth who ${targetArg(target)}) and stop it yourself by its pid`, { pid: p.pid, reason: refusal.reason });
    default:
      return new FreeRefusedError(label, `pid ${p.pid} (${oneLine(p.command)}): ${refusal.why}`, 'berth never signals this process', { pid: p.pid, reason: refusal.reason });
  }
}

export interface FreeResult {
  target: string;
  stopped: Array<{ pid: number; command: string; service: string | null; forced: boolean }>;
}

export interface FreeOptions {
  /** the registry if there is one (to know berth's services); free of nothing creates no state */
  registry: Registry | undefined;
  /** puts an eviction on the record */
  record: (event: EventInput) => void;
  caller: Caller;
  home: string;
  /** the requester and its ancestors: never evicted */
  protect: readonly number[];
  force: boolean;
  graceMs: number;
  /** stops a berth service that holds the target (through the supervisor; force: over its live owner) */
  stopService: (name: string, force: boolean) => Promise<void>;
}

const FREE_SETTLE_MS = 2_000;

/** Stops what holds the target: berth services through stopService, other processes by the one eviction. */
export async function applyFree(target: FreeTarget, opts: FreeOptions): Promise<FreeResult> {
  const steps = planFree(target, opts.registry, opts.caller.owner, opts.force, opts.home, opts.protect);
  const stopped: FreeResult['stopped'] = [];
  for (const step of steps) {
    if (step.service) {
      await opts.stopService(step.service, step.force);
      stopped.push({ pid: step.process.pid, command: step.process.command, service: step.service, forced: false });
    } else {
      const scope: EvictionScope = { home: opts.home, protect: opts.protect, trees: liveServiceTrees(opts.registry) };
      const eviction = await evictProcess(step.process, step.owner, scope, opts.graceMs, { target, service: null, cause: 'free' });
      opts.record(evictionEvent(eviction));
      stopped.push({ pid: step.process.pid, command: step.process.command, service: null, forced: eviction.forced });
    }
  }
  // A holder that re-forks on TERM leaves the port held by a new pid: say so, never "freed".
  // (Not for files: once the lock holders are gone, readers that merely have it open remain.)
  if (stopped.length > 0 && target.kind === 'port') await waitUntilFree(target, opts.registry, stopped);
  return { target: targetLabel(target), stopped };
}

/**
 * Waits until nobody holds the port, or only the berth service whose port it is: a service that
 * was waiting for a stranger to leave (its crash loop names the blocker) restarts at once and may
 * take its port before this look comes round, which is the conflict resolved, not a holder that
 * came back. Only the report depends on it: nothing is signalled here.
 */
async function waitUntilFree(target: FreeTarget & { kind: 'port' }, registry: Registry | undefined, stopped: FreeResult['stopped']): Promise<void> {
  const deadline = Date.now() + FREE_SETTLE_MS;
  const stoppedServices = new Set(stopped.flatMap((s) => (s.service !== null ? [s.service] : [])));
  for (;;) {
    let holders: ProcessInfo[];
    try {
      holders = holdersOf(target);
    } catch (err) {
      if (err instanceof FreeRefusedError) throw new StillHeldError(target, []);
      throw err;
    }
    if (holders.length > 0 && registry !== undefined) {
      const trees = liveServiceTrees(registry);
      const rightful = (pid: number): boolean => {
        const svc = serviceOf(trees, pid);
        return svc !== undefined && svc.record.port === target.port && !stoppedServices.has(svc.record.spec.name);
      };
      if (holders.every((h) => rightful(h.pid))) return;
    }
    if (holders.length === 0) return;
    if (Date.now() >= deadline) throw new StillHeldError(target, holders);
    await new Promise((r) => setTimeout(r, 50));
  }
}
