// Stopping a service means stopping its whole tree: its process group (it runs in its own
// session) and any descendant that moved to a group of its own. Every signal is sent by
// identity, so a pid reused meanwhile is never hit.
import { type Identity, isAlive } from '../identity.ts';
import { descendantsOf, type ProcessTable, readProcessTable } from '../inspect/tree.ts';
import { signalProcess, type SignalName } from '../signal.ts';

const POLL_MS = 25;
const KILL_WAIT_MS = 5_000;

/**
 * The live processes of the tree an instance started: its leader, the members of its process
 * group (started no earlier than the leader, so a recycled group id is not mistaken for it),
 * and the leader's descendants.
 */
export function instanceTree(leader: Identity, table: ProcessTable = readProcessTable()): Identity[] {
  const pids = new Set<number>();
  for (const stat of table.stats.values()) {
    if (stat.state === 'Z') continue;
    if (stat.pgid === leader.pid && stat.startTicks >= leader.startTicks) pids.add(stat.pid);
  }
  if (isAlive(leader)) {
    pids.add(leader.pid); // (a leader that is not its group's leader is not caught by the pgid test)
    for (const pid of descendantsOf(leader.pid, table)) pids.add(pid);
  }
  const out: Identity[] = [];
  for (const pid of pids) {
    const stat = table.stats.get(pid);
    if (stat && stat.state !== 'Z') out.push({ pid, startTicks: stat.startTicks, bootId: leader.bootId });
  }
  return out;
}

function signalAll(targets: Identity[], signal: SignalName): void {
  for (const id of targets) {
    try {
      signalProcess(id, signal);
    } catch {
      // gone already, or one berth must not touch: either way not ours to signal
    }
  }
}

export interface StopOutcome {
  /** true if the grace ran out and KILL was needed */
  killed: boolean;
  pids: number[];
}

/** TERM to the tree, KILL after graceMs; resolves once every process of it is gone. */
export async function stopTree(leader: Identity, graceMs: number): Promise<StopOutcome> {
  const seen = new Set<number>();
  const deadline = Date.now() + graceMs;
  let killed = false;
  for (;;) {
    const targets = instanceTree(leader);
    if (targets.length === 0) return { killed, pids: [...seen] };
    const fresh = targets.filter((t) => !seen.has(t.pid));
    for (const t of targets) seen.add(t.pid);
    if (Date.now() >= deadline) {
      if (Date.now() > deadline + KILL_WAIT_MS) return { killed, pids: [...seen] };
      signalAll(targets, 'SIGKILL');
      killed = true;
    } else if (fresh.length > 0) {
      signalAll(fresh, 'SIGTERM');
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
