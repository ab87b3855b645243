// The mistake readiness should not wait 60 s for: a service whose own tree listens on another
// TCP port than the one berth leased it, and not on that one. The classic cause is an
// unquoted $PORT (`berth run web --port auto -- python3 -m http.server $PORT` in the user's
// shell expands it to nothing, and the server binds its default 8000). A service that listens
// on its port AND others (a debugger, a websocket port) is fine; so is a slow one that listens
// nowhere yet. Only a real listener decides (decision 0020): a log line never does, because
// ordinary lines name local URLs that are not the service's own ("proxied to
// http://localhost:9000", a database URL); a line that says "listening on …:P" only adds detail
// to the error, or to the timeout's. Who listens elsewhere matters too: the leader itself (or
// its line of only children, `npm` → `sh` → `node`) is the plain mistake and reported fast; a
// side process (a sidecar started in the background) may be opening its port before the real
// server opens $PORT, and is given longer.
import { inspect } from '../inspect/select.ts';
import { type ProcessTable, readProcessTable } from '../inspect/tree.ts';
import { logPath, startTail } from './logs.ts';
import { type Instance, instanceTree } from './process-tree.ts';

/** How many of this start's last log lines are searched for a "listening on" line (bounded read). */
const LOG_LINES_SEARCHED = 40;

export interface PortMismatch {
  /** the port the service was given ($PORT) */
  expected: number;
  /** the ports its tree listens on instead */
  listening: number[];
  /** every one of those is held by the leader or its line of only children: the plain mistake */
  leaderListens: boolean;
  /** a log line of this start that says it listens on another port (detail only) */
  line: string | null;
}

/** What a service that is not ready says about where it listens, when not on its port: for the timeout error. */
export interface ElsewhereHint {
  /** ports its tree listens on (not its own), or the one its log says it listens on */
  ports: number[];
  source: 'listener' | 'log';
  line: string | null;
}

// Debugger ports a service opens beside its own, often before its server listens (node
// --inspect, Chrome's remote debugging, debugpy): never taken for the port it serves on.
const DEBUGGER_PORTS: ReadonlySet<number> = new Set([9229, 9222, 5678]);

/** The TCP ports the instance's own tree listens on, each with the pids that hold it. */
export function treeListeners(instance: Instance, table: ProcessTable = readProcessTable()): Map<number, number[]> {
  const backend = inspect();
  const byInode = new Map(backend.readSockets({ protocol: 'tcp' }).map((s) => [s.inode, s.port]));
  const ports = new Map<number, number[]>();
  for (const member of instanceTree(instance, table)) {
    for (const key of backend.socketKeysOf(member.pid) ?? []) {
      const port = byInode.get(key);
      if (port === undefined) continue;
      const holders = ports.get(port) ?? [];
      if (!holders.includes(member.pid)) holders.push(member.pid);
      ports.set(port, holders);
    }
  }
  return ports;
}

/** The TCP ports the instance's own tree listens on, ascending. */
export function treeListenPorts(instance: Instance): number[] {
  return [...treeListeners(instance).keys()].sort((a, b) => a - b);
}

/**
 * The leader and its line of only children: the leader, its child if it has exactly one, that
 * one's if it has exactly one, … (`sh -c` → `python3`, `npm` → `sh` → `node`). A process beside
 * another child (a sidecar started with `&`) is not on it.
 */
export function leaderLine(leader: number, table: ProcessTable): Set<number> {
  const line = new Set<number>([leader]);
  for (let pid = leader; ; ) {
    const children = [...table.stats.values()].filter((s) => s.ppid === pid && s.state !== 'Z');
    if (children.length !== 1 || line.has(children[0]!.pid)) return line;
    pid = children[0]!.pid;
    line.add(pid);
  }
}

// "listening on 0.0.0.0:8000", "Listening at http://[::]:8000/", "listening on port 5000": the
// address is the word right after "listening on" and its port the last word of the line, so
// "localhost:9$((1))99" or "listening on :8000 for admin, proxying to …:9000" name none
const LISTENING_ON = /\blisten(?:ing)?\s+(?:on|at)\s+(?:\S*:|port\s+)(\d{1,5})\/?[\s.]*$/i;

/** The port a log line says the service listens on, if it says so (with the port as its last word). */
export function portInLogLine(line: string): number | null {
  const m = LISTENING_ON.exec(line);
  const port = m ? Number(m[1]) : NaN;
  return Number.isInteger(port) && port > 0 && port <= 65_535 ? port : null;
}

/** The first line of this start's log that says it listens on a port other than these. */
function loggedElsewhere(home: string, name: string, not: ReadonlyArray<number | null>): { port: number; line: string } | null {
  for (const line of startTail(logPath(home, name), LOG_LINES_SEARCHED)) {
    const port = portInLogLine(line);
    if (port !== null && !not.includes(port)) return { port, line: line.slice(0, 500) };
  }
  return null;
}

/**
 * Is this instance listening elsewhere than on `expected` (and not on it)? `also` is a port the
 * service may listen on instead of $PORT without it being a mistake (its health check's port).
 */
export function findPortMismatch(expected: number, also: number | null, instance: Instance, log: { home: string; name: string }): PortMismatch | null {
  const table = readProcessTable();
  const listeners = treeListeners(instance, table);
  if (listeners.has(expected) || (also !== null && listeners.has(also))) return null;
  const elsewhere = [...listeners.keys()].filter((p) => !DEBUGGER_PORTS.has(p)).sort((a, b) => a - b);
  if (elsewhere.length === 0) return null;
  const line = leaderLine(instance.leader.pid, table);
  const leaderListens = elsewhere.every((p) => listeners.get(p)!.every((pid) => line.has(pid)));
  return { expected, listening: elsewhere, leaderListens, line: loggedElsewhere(log.home, log.name, [expected, also])?.line ?? null };
}

/**
 * For a service that did not become ready: where it listens instead of its port (the tree's
 * listeners), or else where its log says it listens; null when it listens on its port or says
 * nothing of the kind.
 */
export function findElsewhere(expected: number, also: number | null, instance: Instance, log: { home: string; name: string }): ElsewhereHint | null {
  const found = findPortMismatch(expected, also, instance, log);
  if (found) return { ports: found.listening, source: 'listener', line: found.line };
  const ports = treeListenPorts(instance);
  if (ports.includes(expected) || (also !== null && ports.includes(also))) return null;
  const said = loggedElsewhere(log.home, log.name, [expected, also]);
  return said ? { ports: [said.port], source: 'log', line: said.line } : null;
}
