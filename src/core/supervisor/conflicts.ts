// Who stands in a service's way (its port, its declared lock files) and what to do about it:
// an earlier instance of the same service is always stopped; a stranger is refused, waited
// for, or evicted, as the service's on_conflict says. Eviction is identity-checked, graceful
// (TERM, grace, KILL), on the record with every pid it signalled, and stops the holder and its
// descendants only, never its process group, and never another user's process, pid 1, berth
// itself, its daemon, or whoever asked and its ancestors. A socket on the port whose process
// berth cannot see (another user's, to a non-root berth) is a holder too: refused, never ignored.
import { existsSync } from 'node:fs';
import { BerthError, EXIT } from '../errors.ts';
import { findFileHolders } from '../inspect/holders.ts';
import { findListeners } from '../inspect/listeners.ts';
import type { ProcessInfo } from '../inspect/process.ts';
import { detectOwner, type Owner } from '../owner.ts';
import { refusalFor, signalGuard } from '../protect.ts';
import type { PortHolder } from './errors.ts';
import { toPortHolder } from './errors.ts';
import { type Instance, instanceTree, stopHolder, stopInstanceTree } from './process-tree.ts';
import type { OnConflict } from './spec.ts';

export const EVICT_GRACE_MS = 5_000;
// A holder that comes back under a new pid after each eviction (it re-forks on SIGTERM) is
// evicted at most this many times; then berth refuses, naming it, instead of looping forever.
const MAX_EVICTIONS = 3;
// Rounds of stopping an earlier instance's leftovers before berth gives up and names them.
const MAX_LEFTOVER_ROUNDS = 5;
const WAIT_POLL_MS = 100;

/** One thing in the way: a port or a lock file, and the processes holding it. */
export interface Obstacle {
  kind: 'port' | 'lock';
  /** "port 8765" or the file's path */
  subject: string;
  port: number | null;
  holders: ProcessInfo[];
  /** sockets on the port whose process berth cannot see (not readable by this user), by owner */
  hidden: HiddenHolder[];
}

/** A listening socket whose holder berth cannot read: only its owner's uid is known. */
export interface HiddenHolder {
  uid: number;
  user: string;
}

/** "pid 4242: python3 -m http.server" or "a process of user root (uid 0) that berth cannot see" */
export function describeObstacleHolder(o: Obstacle): string {
  const h = o.holders[0];
  if (h) return `pid ${h.pid}: ${h.command}`;
  const hidden = o.hidden[0];
  return hidden ? hiddenText(hidden) : 'another process';
}

function hiddenText(h: HiddenHolder): string {
  return `a process of user ${h.user} (uid ${h.uid}) that berth cannot see`;
}

/** A stranger holds something the service needs, and its policy (or safety) says no. */
export class ConflictError extends BerthError {
  /** "port 8765 held by pid 4242: python3 -m http.server 8765" */
  readonly brief: string;
  constructor(service: string, obstacle: Obstacle, holders: PortHolder[], why?: string) {
    const h = holders[0];
    const facts = h ? [h.command, `cwd ${h.cwd ?? '?'}`, `user ${h.user}`, `started ${h.startedAt}`, ...(h.owner ? [`owner ${h.owner.session}`] : [])] : [];
    const target = obstacle.kind === 'port' ? String(obstacle.port) : obstacle.subject;
    const hidden = obstacle.hidden[0];
    const by = h ? `pid ${h.pid} (${facts.join(', ')})` : hidden ? hiddenText(hidden) : 'another process';
    super(obstacle.kind === 'port' ? 'port_held' : 'lock_held', `cannot start "${service}": ${obstacle.subject} is ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${by}${why ? `; ${why}` : ''}`, {
      hint: hidden && !h
        ? `ask user ${hidden.user} to stop it, or run berth as that user (see: berth who ${target})`
        : `free it: berth free ${target} (or see: berth who ${target}); or set on_conflict: evict for "${service}"`,
      exitCode: EXIT.conflict,
      details: {
        service,
        [obstacle.kind === 'port' ? 'port' : 'path']: obstacle.kind === 'port' ? obstacle.port : obstacle.subject,
        holders,
        ...(obstacle.hidden.length > 0 ? { hidden: obstacle.hidden } : {}),
      },
    });
    this.brief = `${obstacle.subject} ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${describeObstacleHolder(obstacle)}`;
  }
}

/** The processes holding the service's port and declared lock files. */
export function findObstacles(port: number | null, locks: string[]): Obstacle[] {
  const out: Obstacle[] = [];
  if (port !== null) {
    const listeners = findListeners({ port }).listeners.filter((l) => l.protocol === 'tcp');
    const holders = listeners.flatMap((l) => l.processes);
    const hidden = hiddenHolders(listeners);
    if (holders.length > 0 || hidden.length > 0) out.push({ kind: 'port', subject: `port ${port}`, port, holders: dedupe(holders), hidden });
  }
  for (const path of locks) {
    if (!existsSync(path)) continue;
    const report = findFileHolders(path);
    // holding a lock on the file (or its SQLite companions) is what stands in the way; merely having it open is not
    const holders = [report, ...report.companions].flatMap((f) => f.holders.filter((h) => h.locks.some((l) => !l.waiting)).map((h) => h.process));
    if (holders.length > 0) out.push({ kind: 'lock', subject: path, port: null, holders: dedupe(holders), hidden: [] });
  }
  return out;
}

/** The owners of listening sockets that no readable process holds. */
export function hiddenHolders(listeners: Array<{ uid: number; user: string; processes: unknown[] }>): HiddenHolder[] {
  const byUid = new Map<number, HiddenHolder>();
  for (const l of listeners) if (l.processes.length === 0) byUid.set(l.uid, { uid: l.uid, user: l.user });
  return [...byUid.values()];
}

function dedupe(list: ProcessInfo[]): ProcessInfo[] {
  return [...new Map(list.map((p) => [p.pid, p])).values()];
}

export interface ResolveOptions {
  service: string;
  port: number | null;
  locks: string[];
  policy: OnConflict;
  /** the earlier instance of this service, whose leftovers are always stopped */
  previous: Instance | null;
  /** pids never to evict: the requester and its ancestors */
  protect: number[];
  /** the berth home, whose daemon and registry users are never evicted */
  home: string;
  waitMs: number;
  /** called for every process stopped, to put it on the record */
  record: (event: { verb: 'kill' | 'evict'; obstacle: Obstacle; process: ProcessInfo; owner: Owner | null; forced: boolean; pids: number[] }) => void;
}

/** Clears the way for a new instance, or throws ConflictError naming who is in it. */
export async function clearTheWay(opts: ResolveOptions): Promise<void> {
  const deadline = Date.now() + opts.waitMs;
  const evicted = new Set<number>();
  const guard = { home: opts.home, protect: opts.protect };
  let leftoverRounds = 0;
  for (;;) {
    const obstacles = findObstacles(opts.port, opts.locks);
    if (obstacles.length === 0) return;
    // deep: a double-forked leftover of the earlier run is found by its marker, not taken for a stranger
    const ours = opts.previous ? new Set(instanceTree(opts.previous, undefined, { deep: true }).map((i) => i.pid)) : new Set<number>();
    const earlier = obstacles.flatMap((o) => o.holders.filter((p) => ours.has(p.pid)).map((p) => ({ o, p })));
    if (earlier.length > 0) {
      if (++leftoverRounds > MAX_LEFTOVER_ROUNDS) throw new ConflictError(opts.service, earlier[0]!.o, [], `its earlier instance keeps coming back after ${MAX_LEFTOVER_ROUNDS} stops`);
      const outcome = await stopInstanceTree(opts.previous!, EVICT_GRACE_MS, signalGuard(guard));
      for (const { o, p } of earlier) opts.record({ verb: 'kill', obstacle: o, process: p, owner: null, forced: outcome.killed, pids: outcome.pids });
      if (outcome.pids.length === 0 && outcome.spared.length > 0) throw new ConflictError(opts.service, earlier[0]!.o, [], `its earlier instance could not be stopped: ${outcome.spared.map((s) => `pid ${s.pid}: ${s.reason}`).join('; ')}`);
      continue;
    }
    const obstacle = obstacles[0]!;
    const summary = (why?: string): ConflictError => new ConflictError(opts.service, obstacle, obstacle.holders.map((p) => toPortHolder(p, detectOwner(p.pid), null)), why);
    if (opts.policy === 'refuse') throw summary();
    if (opts.policy === 'wait') {
      if (Date.now() >= deadline) throw summary(`waited ${Math.round(opts.waitMs / 1000)}s for it to go`);
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      continue;
    }
    // evict (once: a process still there after TERM and KILL is one berth cannot remove)
    const stranger = obstacle.holders[0];
    if (stranger === undefined) throw summary('berth cannot evict a process it cannot see');
    if (evicted.has(stranger.pid)) throw summary('it survived eviction');
    if (evicted.size >= MAX_EVICTIONS) throw summary(`it came back after ${evicted.size} evictions (pids ${[...evicted].join(', ')})`);
    evicted.add(stranger.pid);
    const refusal = refusalFor(stranger.pid, guard);
    if (refusal) throw summary(`berth will not evict it: ${refusal.why}`);
    const owner = detectOwner(stranger.pid);
    const outcome = await stopHolder(stranger.identity, EVICT_GRACE_MS, signalGuard(guard));
    opts.record({ verb: 'evict', obstacle, process: stranger, owner, forced: outcome.killed, pids: outcome.pids });
  }
}
