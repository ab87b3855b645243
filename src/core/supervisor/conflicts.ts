// Who stands in a service's way (its port, its declared lock files) and what to do about it:
// an earlier instance of the same service is always stopped; a stranger is refused, waited
// for, or evicted, as the service's on_conflict says. Eviction is identity-checked, graceful
// (TERM, grace, KILL) and on the record, and never touches another user's process, pid 1,
// berth itself or the ancestors of whoever asked.
import { existsSync } from 'node:fs';
import { BerthError, EXIT, SignalRefusedError } from '../errors.ts';
import { type Identity } from '../identity.ts';
import { findFileHolders } from '../inspect/holders.ts';
import { findListeners } from '../inspect/listeners.ts';
import type { ProcessInfo } from '../inspect/process.ts';
import { detectOwner, type Owner } from '../owner.ts';
import { assertSignallable } from '../signal.ts';
import type { PortHolder } from './errors.ts';
import { toPortHolder } from './errors.ts';
import { instanceTree, stopTree } from './process-tree.ts';
import type { OnConflict } from './spec.ts';

export const EVICT_GRACE_MS = 5_000;
const WAIT_POLL_MS = 100;

/** One thing in the way: a port or a lock file, and the processes holding it. */
export interface Obstacle {
  kind: 'port' | 'lock';
  /** "port 8765" or the file's path */
  subject: string;
  port: number | null;
  holders: ProcessInfo[];
}

/** A stranger holds something the service needs, and its policy (or safety) says no. */
export class ConflictError extends BerthError {
  /** "port 8765 held by pid 4242: python3 -m http.server 8765" */
  readonly brief: string;
  constructor(service: string, obstacle: Obstacle, holders: PortHolder[], why?: string) {
    const h = holders[0];
    const facts = h ? [h.command, `cwd ${h.cwd ?? '?'}`, `user ${h.user}`, `started ${h.startedAt}`, ...(h.owner ? [`owner ${h.owner.session}`] : [])] : [];
    const target = obstacle.kind === 'port' ? String(obstacle.port) : obstacle.subject;
    super(obstacle.kind === 'port' ? 'port_held' : 'lock_held', `cannot start "${service}": ${obstacle.subject} is ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${h ? `pid ${h.pid} (${facts.join(', ')})` : 'another process'}${why ? `; ${why}` : ''}`, {
      hint: `free it: berth free ${target} (or see: berth who ${target}); or set on_conflict: evict for "${service}"`,
      exitCode: EXIT.conflict,
      details: { service, [obstacle.kind === 'port' ? 'port' : 'path']: obstacle.kind === 'port' ? obstacle.port : obstacle.subject, holders },
    });
    this.brief = `${obstacle.subject} ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${h ? `pid ${h.pid}: ${h.command}` : 'another process'}`;
  }
}

/** The processes holding the service's port and declared lock files. */
export function findObstacles(port: number | null, locks: string[]): Obstacle[] {
  const out: Obstacle[] = [];
  if (port !== null) {
    const holders = findListeners({ port }).listeners.filter((l) => l.protocol === 'tcp').flatMap((l) => l.processes);
    if (holders.length > 0) out.push({ kind: 'port', subject: `port ${port}`, port, holders: dedupe(holders) });
  }
  for (const path of locks) {
    if (!existsSync(path)) continue;
    const report = findFileHolders(path);
    // holding a lock on the file (or its SQLite companions) is what stands in the way; merely having it open is not
    const holders = [report, ...report.companions].flatMap((f) => f.holders.filter((h) => h.locks.some((l) => !l.waiting)).map((h) => h.process));
    if (holders.length > 0) out.push({ kind: 'lock', subject: path, port: null, holders: dedupe(holders) });
  }
  return out;
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
  previous: Identity | null;
  /** pids never to evict: the requester and its ancestors */
  protect: number[];
  waitMs: number;
  /** called for every process stopped, to put it on the record */
  record: (event: { verb: 'kill' | 'evict'; obstacle: Obstacle; process: ProcessInfo; owner: Owner | null; forced: boolean }) => void;
}

/** Clears the way for a new instance, or throws ConflictError naming who is in it. */
export async function clearTheWay(opts: ResolveOptions): Promise<void> {
  const deadline = Date.now() + opts.waitMs;
  const evicted = new Set<number>();
  for (;;) {
    const obstacles = findObstacles(opts.port, opts.locks);
    if (obstacles.length === 0) return;
    const ours = opts.previous ? new Set(instanceTree(opts.previous).map((i) => i.pid)) : new Set<number>();
    const earlier = obstacles.flatMap((o) => o.holders.filter((p) => ours.has(p.pid)).map((p) => ({ o, p })));
    if (earlier.length > 0) {
      const outcome = await stopTree(opts.previous!, EVICT_GRACE_MS);
      for (const { o, p } of earlier) opts.record({ verb: 'kill', obstacle: o, process: p, owner: null, forced: outcome.killed });
      continue;
    }
    const obstacle = obstacles[0]!;
    const stranger = obstacle.holders[0]!;
    const owner = detectOwner(stranger.pid);
    const summary = (why?: string): ConflictError => new ConflictError(opts.service, obstacle, obstacle.holders.map((p) => toPortHolder(p, detectOwner(p.pid), null)), why);
    if (opts.policy === 'refuse') throw summary();
    if (opts.policy === 'wait') {
      if (Date.now() >= deadline) throw summary(`waited ${Math.round(opts.waitMs / 1000)}s for it to go`);
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      continue;
    }
    // evict (once: a process still there after TERM and KILL is one berth cannot remove)
    if (evicted.has(stranger.pid)) throw summary('it survived eviction');
    evicted.add(stranger.pid);
    try {
      if (opts.protect.includes(stranger.pid)) throw new SignalRefusedError(stranger.pid, 'ancestor', 'it is the process that asked, or one of its ancestors');
      assertSignallable(stranger.pid);
    } catch (err) {
      if (err instanceof SignalRefusedError) throw summary(`berth will not evict it: ${err.message.replace(/^refusing to signal pid \d+: /, '')}`);
      throw err;
    }
    const outcome = await stopTree(stranger.identity, EVICT_GRACE_MS);
    opts.record({ verb: 'evict', obstacle, process: stranger, owner, forced: outcome.killed });
  }
}
