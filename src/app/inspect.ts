// The read-only questions: who holds a port or file, every claim and listener, the locks, the
// audit log. One function each, returning the --json document (docs/json.md), for every door.
import { findAllFileLocks } from '../core/inspect/holders.ts';
import { findListeners } from '../core/inspect/listeners.ts';
import type { LockHolder } from '../core/locks/named-lock.ts';
import { listHeldLocksAndSlots, type SlotHolder } from '../core/locks/slots.ts';
import { type Bucket, listBuckets } from '../core/rate/bucket.ts';
import { listPortRecords } from '../core/ports/ports.ts';
import { type BerthEvent, listEvents } from '../core/registry/events.ts';
import { serviceTrees } from '../core/supervisor/trees.ts';
import { parseCount, parseDuration, parseTarget } from '../core/validate.ts';
import { type FileAnswer, judgeClaim, type PortAnswer, type PortClaim, whoHolds, whoListens } from '../core/who.ts';
import type { Session } from './session.ts';

/** `who PORT|PATH`: the who-port or who-path document. */
export function who(session: Session, text: string): PortAnswer | FileAnswer {
  const target = parseTarget(text);
  return target.kind === 'port' ? whoListens(target.port, session.existingRegistry()) : whoHolds(target.path, session.existingRegistry());
}

/** `ports`: every reservation and lease judged against every listening socket. */
export function listPorts(session: Session): { claims: PortClaim[]; listeners: ReturnType<typeof findListeners>['listeners']; conflicts: number; unreadable: number } {
  const registry = session.existingRegistry();
  const { listeners, unreadable } = findListeners();
  const trees = serviceTrees(registry);
  const claims = (registry ? listPortRecords(registry) : []).map((r) => judgeClaim(r, listeners, trees));
  return { claims, listeners, conflicts: claims.filter((c) => c.status === 'conflict').length, unreadable };
}

/** `locks`: named locks, semaphore slots, rate buckets and the host's file locks, without the caller's own hold on berth's registry. */
export function listLocks(session: Session): { named: LockHolder[]; slots: SlotHolder[]; buckets: Bucket[]; files: ReturnType<typeof findAllFileLocks> } {
  const registry = session.existingRegistry();
  const { named, slots } = listHeldLocksAndSlots(session.home, registry);
  // berth's own hold on its registry (this process's) is not news to anyone, whichever door asked.
  const files = findAllFileLocks().filter((l) => l.pid !== process.pid);
  return { named, slots, buckets: listBuckets(registry), files };
}

/** The MCP `lock` tool: the named locks held now and their holders, optionally one name. */
export function listNamedLocks(session: Session, name?: string): { named: LockHolder[] } {
  const { named } = listHeldLocksAndSlots(session.home, session.existingRegistry());
  return { named: name === undefined ? named : named.filter((l) => l.name === name) };
}

/** The MCP `slots` tool: who holds which slot of each semaphore (or of one), and the rate buckets. */
export function listSlots(session: Session, name?: string): { slots: SlotHolder[]; buckets: Bucket[] } {
  const registry = session.existingRegistry();
  const { slots } = listHeldLocksAndSlots(session.home, registry);
  const buckets = listBuckets(registry);
  return name === undefined ? { slots, buckets } : { slots: slots.filter((s) => s.name === name), buckets: buckets.filter((b) => b.name === name) };
}

/** How many events one call returns unless told otherwise, and at most, through every door. */
export const DEFAULT_EVENTS = 200;
export const MAX_EVENTS = 100_000;

/**
 * `events`: the newest events (DEFAULT_EVENTS unless a limit is given), optionally only recent
 * ones, only one verb's, one owner session's or one project's (the limit counts after the filter).
 */
export function readEvents(session: Session, opts: { since?: string; limit?: string | number; verb?: string; session?: string; project?: string }): { events: BerthEvent[] } {
  const sinceMs = opts.since === undefined ? undefined : Date.now() - parseDuration(opts.since, 'since');
  const limit = opts.limit === undefined ? DEFAULT_EVENTS : parseCount(String(opts.limit), 'limit', { min: 1, max: MAX_EVENTS });
  const registry = session.existingRegistry();
  const only = { ...(opts.verb !== undefined ? { verb: opts.verb } : {}), ...(opts.session !== undefined ? { session: opts.session } : {}), ...(opts.project !== undefined ? { project: opts.project } : {}) };
  return { events: registry ? listEvents(registry, { ...(sinceMs === undefined ? {} : { sinceMs }), limit, ...only }) : [] };
}
