// Which processes berth may stop, and stopping them. A process is part of a service's instance
// only when that is proven: the leader by its identity (pid, start time, boot id) read when berth
// spawned it; its descendants while it is alive, by parentage read in one snapshot of the process
// table; every other process by the instance marker it inherited (BERTH_INSTANCE in
// /proc/PID/environ, a random id per start) and a start no earlier than the leader's. A process
// group id, a session id or a start-time bound alone is never proof: after the leader dies its pid
// (and so its group id) can be handed to an unrelated group leader. A process berth did not start
// (a squatter to evict) is stopped with its descendants only, never its group, whose other
// members may be the very process that asked; the walk down stops at any process berth must not
// touch (berth's daemon under a subreaper, say), so its subtree is never reached. Every signal goes through signalProcess, which
// re-reads the identity just before kill(2); see docs/decisions/0009-instance-markers.md for the
// race that remains. A record without a marker (an adopted process) is walked like a process
// berth did not start, which it is: never into a process of a berth service or what the guard
// spares (docs/security.md, "Adopted processes").
import { type Identity, isAlive } from '../identity.ts';
import { readEnvVar } from '../inspect/select.ts';
import { descendantsOf, type ProcessTable, readProcessTable } from '../inspect/tree.ts';
import { pidExists, signalProcess, type SignalName } from '../signal.ts';
import { mark } from '../profile.ts';

// The whole process table is read again at most every POLL_MS while a tree is being stopped;
// in between, whether the signalled processes are still alive is asked from FIRST_LOOK_MS on,
// doubling, so a process that ends at TERM (most do, within a few ms) is seen gone at once.
const POLL_MS = 25;
const FIRST_LOOK_MS = 2;
const KILL_WAIT_MS = 5_000;

/** The environment variable that marks every process of a service instance. */
export const INSTANCE_ENV = 'BERTH_INSTANCE';

/** A started instance of a service: its leader and the marker its tree inherited (null for records of older builds). */
export interface Instance {
  leader: Identity;
  marker: string | null;
}

/** True when the process carries this instance's marker in its (initial) environment. */
export function carriesMarker(pid: number, marker: string): boolean {
  return readEnvVar(pid, INSTANCE_ENV) === marker;
}

function liveIn(table: ProcessTable, id: Identity): boolean {
  const stat = table.stats.get(id.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTicks === id.startTicks && isAlive(id);
}

function identityIn(table: ProcessTable, pid: number, bootId: string): Identity | undefined {
  const stat = table.stats.get(pid);
  return stat && stat.state !== 'Z' ? { pid, startTicks: stat.startTicks, bootId } : undefined;
}

/**
 * The live processes provably of this instance: the live leader and its descendants (parentage
 * is proof while the leader lives: a child that cleared its environment or rewrote it for its
 * process title is still stopped), and the leader's group and session members that carry the
 * instance's marker (or, with deep, every process started since the leader that carries it: a
 * grandchild that called setsid and lost its parent is found only that way). For a record
 * without a marker (adopted, or started by an older build) only the live leader and its
 * descendants count, the walk not entering a berth service's process or what opts.guard spares.
 */
export function instanceTree(instance: Instance, table: ProcessTable = readProcessTable(), opts: { deep?: boolean; guard?: Guard } = {}): Identity[] {
  const { leader, marker } = instance;
  // Without a marker (an adopted process) parentage is the only proof, and it proves too much:
  // berth's daemon (restarted below a subreaper that was adopted) and every service it started
  // would be "descendants". So the walk is the holder's walk: it never enters a process of
  // another service (any process carrying a marker) nor one the guard spares.
  if (marker === null) return holderTree(leader, table, unmarkedGuard(opts.guard)).members;
  const out = new Map<number, Identity>();
  const leaderAlive = liveIn(table, leader);
  if (leaderAlive) out.set(leader.pid, leader);
  if (leaderAlive) {
    for (const pid of descendantsOf(leader.pid, table)) {
      const id = identityIn(table, pid, leader.bootId);
      if (id !== undefined && id.startTicks >= leader.startTicks) out.set(pid, id);
    }
  }
  const candidates = new Set<number>();
  if (marker !== null) {
    for (const stat of table.stats.values()) {
      if (stat.startTicks < leader.startTicks || stat.state === 'Z') continue;
      if (opts.deep || stat.pgid === leader.pid || stat.sid === leader.pid) candidates.add(stat.pid);
    }
  }
  for (const pid of candidates) {
    if (out.has(pid) || pid === leader.pid) continue;
    const id = identityIn(table, pid, leader.bootId);
    if (id === undefined || id.startTicks < leader.startTicks || !carriesMarker(pid, marker!)) continue;
    out.set(pid, id);
  }
  return [...out.values()];
}

/**
 * A process berth did not start, with its descendants (not its group: see the header). The walk
 * does not enter the subtree of a process the guard spares: those are listed in `spared`.
 */
export function holderTree(holder: Identity, table: ProcessTable = readProcessTable(), guard: Guard = () => undefined): { members: Identity[]; spared: Spared[] } {
  if (!liveIn(table, holder)) return { members: [], spared: [] };
  const children = new Map<number, number[]>();
  for (const stat of table.stats.values()) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  const members: Identity[] = [];
  const spared: Spared[] = [];
  const queue = [holder.pid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const id = pid === holder.pid ? holder : identityIn(table, pid, holder.bootId);
    if (id === undefined || id.startTicks < holder.startTicks) continue;
    const reason = guard(pid);
    if (reason !== undefined) {
      spared.push({ pid, reason });
      continue;
    }
    members.push(id);
    queue.push(...(children.get(pid) ?? []));
  }
  return { members, spared };
}

/** What the walk of a record without a marker never enters: berth services' processes, and what the guard spares. */
function unmarkedGuard(guard: Guard = () => undefined): Guard {
  return (pid) => {
    if (pid === process.pid) return 'it is berth itself';
    return readEnvVar(pid, INSTANCE_ENV) !== undefined ? 'it carries a berth instance marker: a process of a berth service' : guard(pid);
  };
}

/** A process berth would have stopped but must not touch, and why. */
export interface Spared {
  pid: number;
  reason: string;
}

/** Why berth must not signal this pid (undefined: it may). */
export type Guard = (pid: number) => string | undefined;

export interface StopOutcome {
  /** true if the grace ran out and KILL was needed */
  killed: boolean;
  /** every pid signalled */
  pids: number[];
  /** processes of the tree berth would have stopped but must not touch, and why */
  spared: Spared[];
}

/**
 * TERM to every process of the tree, KILL after graceMs; resolves once every process of it
 * (but those the guard spares, which are never signalled) is gone. `members` is asked again at
 * every poll, so children forked during the grace are caught too, and once more with `final`
 * set when nothing seems left (a thorough look, for processes that escaped meanwhile).
 */
export async function stopProcesses(members: (table: ProcessTable, final: boolean) => Identity[], graceMs: number, guard: Guard = () => undefined): Promise<StopOutcome> {
  const signalled = new Map<number, Identity>();
  const spared = new Map<number, string>();
  const deadline = Date.now() + graceMs;
  let killed = false;
  let polls = 0;
  for (;;) {
    const table = readProcessTable();
    let targets = collect(table, false);
    if (targets.length === 0) targets = collect(table, true);
    if (targets.length === 0) {
      mark('stop-gone', { polls });
      return outcome();
    }
    polls++;
    if (Date.now() >= deadline) {
      if (Date.now() > deadline + KILL_WAIT_MS) return outcome();
      sendAll(targets, 'SIGKILL');
      killed = true;
    } else {
      const fresh = targets.filter((t) => !signalled.has(t.pid));
      sendAll(fresh, 'SIGTERM');
      if (fresh.length > 0) mark('stop-term', { pids: fresh.length });
    }
    for (const t of targets) signalled.set(t.pid, t);
    await untilGone(targets, POLL_MS);
  }

  function collect(table: ProcessTable, final: boolean): Identity[] {
    const targets: Identity[] = [];
    const found = members(table, final);
    // anything signalled before that is still alive (it may have left the group or lost its parent)
    for (const id of signalled.values()) if (liveIn(table, id) && !found.some((f) => f.pid === id.pid)) found.push(id);
    for (const id of found) {
      if (spared.has(id.pid)) continue;
      const refusal = guard(id.pid);
      if (refusal !== undefined) spared.set(id.pid, refusal);
      else targets.push(id);
    }
    return targets;
  }

  function outcome(): StopOutcome {
    return { killed, pids: [...signalled.keys()], spared: [...spared].map(([pid, reason]) => ({ pid, reason })) };
  }
}

/**
 * Waits up to maxMs, less once none of these pids exists any more (kill(pid, 0), free on every
 * platform). Only a hint of when to look at the whole table again: that look (identities,
 * descendants, markers) decides what is left, so a pid reused meanwhile only makes this wait the
 * full maxMs, as before. A zombie still exists here on purpose: a multi-threaded process (Node)
 * shows its main thread as a zombie while its other threads are still exiting and its sockets
 * still open, and a look then would find its port held by nobody it can see
 * (test/adversarial/pid-reuse.test.ts); once the pid is reaped, its files are closed.
 */
async function untilGone(targets: Identity[], maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  for (let step = FIRST_LOOK_MS; ; step *= 2) {
    const left = end - Date.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(step, left)));
    if (!targets.some((t) => pidExists(t.pid))) return;
  }
}

function sendAll(targets: Identity[], signal: SignalName): void {
  for (const id of targets) {
    try {
      signalProcess(id, signal);
    } catch {
      // gone already, or one berth must not touch: either way not ours to signal
    }
  }
}

/**
 * Stops a service instance's whole tree. The first and the final look are deep: double-forked
 * members, and members that escaped during the grace, are found by their marker.
 */
export function stopInstanceTree(instance: Instance, graceMs: number, guard?: Guard): Promise<StopOutcome> {
  // a record without a marker (adopted): its leader and descendants, the walk stopping at what the guard spares
  if (instance.marker === null) return stopUnmarked(instance.leader, graceMs, unmarkedGuard(guard));
  let first = true;
  return stopProcesses(
    (table, final) => {
      const deep = first || final;
      first = false;
      return instanceTree(instance, table, { deep });
    },
    graceMs,
    guard,
  );
}

/** The walk of stopHolder, with what the walk did not enter (the leader itself, say) reported as spared too. */
async function stopUnmarked(leader: Identity, graceMs: number, guard: Guard): Promise<StopOutcome> {
  const walkSpared = new Map<number, string>();
  const outcome = await stopProcesses(
    (table) => {
      const walked = holderTree(leader, table, guard);
      for (const s of walked.spared) walkSpared.set(s.pid, s.reason);
      return walked.members;
    },
    graceMs,
    guard,
  );
  for (const s of outcome.spared) walkSpared.set(s.pid, s.reason);
  return { ...outcome, spared: [...walkSpared].map(([pid, reason]) => ({ pid, reason })) };
}

/** Stops a process berth did not start, with its descendants, sparing (and not entering) what the guard protects. */
export function stopHolder(holder: Identity, graceMs: number, guard: Guard = () => undefined): Promise<StopOutcome> {
  return stopProcesses((table) => holderTree(holder, table, guard).members, graceMs, guard);
}
