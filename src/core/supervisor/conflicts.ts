// Who stands in a service's way (its port, its declared lock files) and what to do about it:
// an earlier instance of the same service is always stopped; a stranger is refused, waited
// for, or evicted, as the service's on_conflict says. Who holds what, who may be evicted and
// how is the one eviction of ../evict.ts, the same as `berth free`'s: identity-checked, graceful
// (TERM, grace, KILL), on the record with every pid it signalled, the holder and its descendants
// only, never its process group, another user's process, pid 1, berth itself, its daemon, an
// ancestor of its daemon, a process of another berth service, or whoever asked and its
// ancestors. A socket on the port whose process berth cannot see (another user's, to a non-root
// berth) is a holder too: refused, never ignored.
import { existsSync } from 'node:fs';
import { BerthError, EXIT } from '../errors.ts';
import { type Eviction, evictionEvent, evictionRefusal, evictProcess, findHolders, type HiddenHolder, hiddenHolders } from '../evict.ts';
import { findFileHolders } from '../inspect/holders.ts';
import type { ProcessInfo } from '../inspect/process.ts';
import { detectOwner } from '../owner.ts';
import { signalGuard } from '../protect.ts';
import type { EventInput } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';
import type { PortHolder } from './errors.ts';
import { toPortHolder } from './errors.ts';
import { type Instance, instanceTree, type StopOutcome, stopInstanceTree } from './process-tree.ts';
import type { DeclaredLock, OnConflict } from './spec.ts';
import { liveServiceTrees } from './trees.ts';
import { oneLine } from '../text.ts';
import { mark } from '../profile.ts';

export { type HiddenHolder, hiddenHolders };

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
  /** a lock file also held by processes not in the way (its readers): `berth free PATH` would stop them too */
  othersHold?: boolean;
}

/** How the refused service was started, for the hint's words: berth.yaml (`berth up`) or `berth run`. */
export interface ConflictContext {
  fromConfig?: boolean;
}

/** "pid 4242: python3 -m http.server" or "a process of user root (uid 0) that berth cannot see" */
export function describeObstacleHolder(o: Obstacle): string {
  const h = o.holders[0];
  if (h) return `pid ${h.pid}: ${oneLine(h.command)}`;
  const hidden = o.hidden[0];
  return hidden ? hiddenText(hidden) : 'another process';
}

function hiddenText(h: HiddenHolder): string {
  return `a process of user ${h.user} (uid ${h.uid}) that berth cannot see`;
}

/**
 * What to do about the holders in the way, naming only them: `berth free PATH` stops every
 * holder of the file, readers too, so it is offered only when every holder is in the way; else
 * the pids in the way. Eviction (which spares readers) in the words of how the service was
 * started: `on_conflict: evict` in berth.yaml for an `up` service, the flag for `berth run`.
 */
function conflictHint(service: string, obstacle: Obstacle, holders: PortHolder[], target: string, context: ConflictContext): string {
  const pids = holders.map((h) => h.pid);
  const free = obstacle.othersHold
    ? `stop ${pids.length === 1 ? 'the writer' : 'the writers'} in the way (pid ${pids.join(', pid ')}; berth free ${target} would stop its readers too)`
    : `free it: berth free ${target} (or see: berth who ${target})`;
  const spares = obstacle.kind === 'lock' ? ', which spares readers' : '';
  const evict = context.fromConfig ? `set on_conflict: evict for "${service}" in berth.yaml${spares}` : `berth run ${service} --on-conflict evict${spares}`;
  return `${free}; or let berth evict ${pids.length > 1 ? 'them' : 'it'}: ${evict}`;
}

/** A stranger holds something the service needs, and its policy (or safety) says no. */
export class ConflictError extends BerthError {
  /** "port 8765 held by pid 4242: python3 -m http.server 8765" */
  readonly brief: string;
  constructor(service: string, obstacle: Obstacle, holders: PortHolder[], why?: string, refusal?: { pid: number; reason: string }, context: ConflictContext = {}) {
    const facts = (h: PortHolder): string[] => [oneLine(h.command), `cwd ${oneLine(h.cwd ?? '?')}`, `user ${h.user}`, `started ${h.startedAt}`, ...(h.owner ? [`owner ${h.owner.session}`] : [])];
    const target = obstacle.kind === 'port' ? String(obstacle.port) : obstacle.subject;
    const hidden = obstacle.hidden[0];
    // every holder in the way is named, not only the first
    const by = holders.length > 0 ? holders.map((h) => `pid ${h.pid} (${facts(h).join(', ')})`).join('; ') : hidden ? hiddenText(hidden) : 'another process';
    super(obstacle.kind === 'port' ? 'port_held' : 'lock_held', `cannot start "${service}": ${obstacle.subject} is ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${by}${why ? `; ${why}` : ''}`, {
      hint: hidden && holders.length === 0
        ? `ask user ${hidden.user} to stop it, or run berth as that user (see: berth who ${target})`
        : conflictHint(service, obstacle, holders, target, context),
      exitCode: EXIT.conflict,
      details: {
        service,
        [obstacle.kind === 'port' ? 'port' : 'path']: obstacle.kind === 'port' ? obstacle.port : obstacle.subject,
        holders,
        ...(obstacle.hidden.length > 0 ? { hidden: obstacle.hidden } : {}),
        ...(refusal ? { refusal } : {}),
      },
    });
    this.brief = `${obstacle.subject} ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${describeObstacleHolder(obstacle)}`;
  }
}

/**
 * The processes holding the service's port and declared lock files, by the one rule of
 * ../evict.ts; a lock file declared in `writer` mode (a bare path is one) is in the way only
 * of its writers: a reader of a database never blocks a writer's start and is never evicted
 * for it (decision 0023).
 */
export function findObstacles(port: number | null, locks: ReadonlyArray<string | DeclaredLock>): Obstacle[] {
  const out: Obstacle[] = [];
  if (port !== null) {
    const { holders, hidden } = findHolders({ kind: 'port', port });
    if (holders.length > 0 || hidden.length > 0) out.push({ kind: 'port', subject: `port ${port}`, port, holders, hidden });
  }
  for (const lock of locks) {
    const { path, mode } = typeof lock === 'string' ? { path: lock, mode: 'writer' } : lock;
    if (!existsSync(path)) continue;
    const all = findHolders({ kind: 'path', path }).holders;
    const holders = mode === 'exclusive' ? all : findWriters(path);
    const inTheWay = new Set(holders.map((h) => h.pid));
    if (holders.length > 0) out.push({ kind: 'lock', subject: path, port: null, holders, hidden: [], othersHold: all.some((h) => !inTheWay.has(h.pid)) });
  }
  return out;
}

/** The processes writing a file (a SQLite database with its companions): its holders whose role is writer. */
export function findWriters(path: string): ProcessInfo[] {
  return findFileHolders(path).holders.filter((h) => h.role === 'writer').map((h) => h.process);
}

export interface ResolveOptions {
  service: string;
  port: number | null;
  locks: ReadonlyArray<string | DeclaredLock>;
  policy: OnConflict;
  /** the earlier instance of this service, whose leftovers are always stopped */
  previous: Instance | null;
  /** pids never to evict: the requester and its ancestors */
  protect: number[];
  /** the berth home, whose daemon and registry users are never evicted */
  home: string;
  waitMs: number;
  /** the registry, whose live services' processes are never evicted as strangers */
  registry?: Registry;
  /** called for every process stopped, with the event that puts it on the record */
  record: (event: EventInput) => void;
  /** started from berth.yaml (`berth up`): the hint says on_conflict: evict, not the run flag */
  fromConfig?: boolean;
}

/** Clears the way for a new instance, or throws ConflictError naming who is in it. Resolves to the strangers it evicted. */
export async function clearTheWay(opts: ResolveOptions): Promise<Eviction[]> {
  const deadline = Date.now() + opts.waitMs;
  const evicted = new Set<number>();
  const evictions: Eviction[] = [];
  const guard = { home: opts.home, protect: opts.protect };
  let leftoverRounds = 0;
  for (;;) {
    const obstacles = findObstacles(opts.port, opts.locks);
    mark('obstacles', { count: obstacles.length });
    if (obstacles.length === 0) return evictions;
    // deep: a double-forked leftover of the earlier run is found by its marker, not taken for a stranger
    const ours = opts.previous ? new Set(instanceTree(opts.previous, undefined, { deep: true }).map((i) => i.pid)) : new Set<number>();
    const earlier = obstacles.flatMap((o) => o.holders.filter((p) => ours.has(p.pid)).map((p) => ({ o, p })));
    if (earlier.length > 0) {
      if (++leftoverRounds > MAX_LEFTOVER_ROUNDS) throw new ConflictError(opts.service, earlier[0]!.o, [], `its earlier instance keeps coming back after ${MAX_LEFTOVER_ROUNDS} stops`);
      mark('earlier-found', { pids: earlier.length });
      const outcome = await stopInstanceTree(opts.previous!, EVICT_GRACE_MS, signalGuard(guard));
      mark('earlier-stopped', { killed: outcome.killed });
      for (const { o, p } of earlier) opts.record(leftoverEvent(opts.service, o, p, outcome));
      if (outcome.pids.length === 0 && outcome.spared.length > 0) throw new ConflictError(opts.service, earlier[0]!.o, [], `its earlier instance could not be stopped: ${outcome.spared.map((s) => `pid ${s.pid}: ${s.reason}`).join('; ')}`);
      continue;
    }
    const obstacle = obstacles[0]!;
    const summary = (why?: string, refusal?: { pid: number; reason: string }): ConflictError =>
      new ConflictError(opts.service, obstacle, obstacle.holders.map((p) => toPortHolder(p, detectOwner(p.pid), null)), why, refusal, { fromConfig: opts.fromConfig === true });
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
    const scope = { ...guard, trees: liveServiceTrees(opts.registry) };
    const refusal = evictionRefusal(stranger, scope);
    if (refusal) throw summary(`berth will not evict it: ${refusal.why}`, { pid: refusal.pid, reason: refusal.reason });
    const target = obstacle.port !== null ? { kind: 'port' as const, port: obstacle.port } : { kind: 'path' as const, path: obstacle.subject };
    mark('evict-checked');
    const eviction = await evictProcess(stranger, detectOwner(stranger.pid), scope, EVICT_GRACE_MS, { target, service: opts.service, cause: 'on_conflict' });
    mark('evicted', { killed: eviction.forced });
    evictions.push(eviction);
    opts.record(evictionEvent(eviction));
  }
}

/** The `kill` event of an earlier instance's leftover, with the fields of an eviction's. */
function leftoverEvent(service: string, o: Obstacle, p: ProcessInfo, outcome: StopOutcome): EventInput {
  return {
    verb: 'kill',
    subject: service,
    outcome: 'ok',
    details: {
      cause: 'earlier_instance',
      reason: `an earlier instance held ${o.subject}`,
      target: o.port !== null ? `:${o.port}` : o.subject,
      service,
      ...(o.port !== null ? { port: o.port } : { path: o.subject }),
      pid: p.pid,
      command: p.command,
      cwd: p.cwd,
      user: p.user,
      owner: null,
      forced: outcome.killed,
      pids: outcome.pids,
      ...(outcome.spared.length > 0 ? { spared: outcome.spared } : {}),
    },
  };
}
