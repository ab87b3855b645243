// A record without an instance marker (an adopted process, docs/decisions/0019-adopt.md) is a
// process berth did not start: nothing proves which processes are its own but parentage, and
// parentage proves too much. A subreaper that was adopted becomes the parent of berth's daemon
// when the daemon is restarted below it, and so the grandparent of every service that daemon
// starts, other sessions' included. So its stop is walked like an eviction (the eviction guard:
// berth's daemon, its registry users, the requester and another service's tree are never entered,
// src/core/evict.ts), and a leader that is now an ancestor of berth's daemon or of the requester
// is never stopped at all: that stop is refused, not reported as done (docs/security.md).
import { SignalRefusedError } from '../errors.ts';
import { evictionGuard } from '../evict.ts';
import { isAlive } from '../identity.ts';
import { ancestorsOf } from '../inspect/tree.ts';
import type { Registry } from '../registry/registry.ts';
import type { Guard } from './process-tree.ts';
import type { ServiceRecord } from './store.ts';
import { liveServiceTrees } from './trees.ts';

/** The guard of a stop of an unmarked record: what an eviction spares, other services' trees included. */
export function unmarkedStopGuard(home: string, registry: Registry, name: string, protect: readonly number[] = []): Guard {
  const trees = liveServiceTrees(registry).filter((t) => t.record.spec.name !== name);
  return evictionGuard({ home, protect, trees });
}

/**
 * Why berth must not stop this unmarked record's leader (undefined: it may, or the record has a
 * marker, or its process is gone): it is an ancestor of the daemon (berth itself, here), or the
 * requester or one of its ancestors.
 */
export function unmarkedLeaderRefusal(record: ServiceRecord, protect: readonly number[] = []): SignalRefusedError | undefined {
  const leader = record.identity;
  if (record.instance !== null || leader === null || !isAlive(leader)) return undefined;
  if (ancestorsOf(process.pid).includes(leader.pid)) {
    return new SignalRefusedError(leader.pid, 'ancestor', `${record.spec.name} (adopted, pid ${leader.pid}) is now an ancestor of berth's daemon (pid ${process.pid}): stopping it would take berth and every service down`);
  }
  if (protect.includes(leader.pid)) {
    return new SignalRefusedError(leader.pid, 'requester', `${record.spec.name} (adopted, pid ${leader.pid}) is the process that asked, or one of its ancestors`);
  }
  return undefined;
}
