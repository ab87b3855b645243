// The mistake readiness should not wait 60 s for: a service whose own tree listens on another
// TCP port than the one berth leased it, and not on that one. The classic cause is an
// unquoted $PORT (`berth run web --port auto -- python3 -m http.server $PORT` in the user's
// shell expands it to nothing, and the server binds its default 8000). A service that listens
// on its port AND others (a debugger, a websocket port) is fine; so is a slow one that listens
// nowhere yet. A service that prints "listening on …:8000" / "http://localhost:8000" in the
// first lines of its log, before it listens, is caught the same way (read bounded, from the
// end of the log back to this instance's header line only).
import { readFdLinks } from '../inspect/procfs.ts';
import { readSockets } from '../inspect/sockets.ts';
import { logPath, tailLinesQuietly } from './logs.ts';
import { type Instance, instanceTree } from './process-tree.ts';

/** How many of the log's last lines are searched for this instance's first lines (bounded read). */
const LOG_LINES_SEARCHED = 40;
/** The header berth writes at the top of each instance's part of the log (logs.ts openLog). */
const INSTANCE_HEADER = '--- berth: ';

export interface PortMismatch {
  /** the port the service was given ($PORT) */
  expected: number;
  /** the ports its tree listens on instead (or the one its log names) */
  listening: number[];
  source: 'listener' | 'log';
  /** the log line that named the port (source log) */
  line: string | null;
}

// Debugger ports a service opens beside its own, often before its server listens (node
// --inspect, Chrome's remote debugging, debugpy): never taken for the port it serves on.
const DEBUGGER_PORTS: ReadonlySet<number> = new Set([9229, 9222, 5678]);

/** The TCP ports the instance's own tree listens on, ascending. */
export function treeListenPorts(instance: Instance): number[] {
  const byInode = new Map(readSockets({ protocol: 'tcp' }).map((s) => [s.inode, s.port]));
  const ports = new Set<number>();
  for (const member of instanceTree(instance)) {
    for (const [, link] of readFdLinks(member.pid) ?? []) {
      if (!link.startsWith('socket:[')) continue;
      const port = byInode.get(Number(link.slice(8, -1)));
      if (port !== undefined) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

// "listening on 0.0.0.0:8000", "Listening at http://[::]:8000"; a URL on a local address
// ("Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/)", vite's "Local: http://localhost:5173/")
const LISTENING_ON = /\blisten(?:ing)?\s+(?:on|at)\b[^\n]*?(?::|\bport\s+)(\d{1,5})\b/i;
const LOCAL_URL = /\bhttps?:\/\/(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\])(?::(\d{1,5}))\b/i;

/** The port a log line says the service listens on, if it says so. */
export function portInLogLine(line: string): number | null {
  const m = LISTENING_ON.exec(line) ?? LOCAL_URL.exec(line);
  const port = m ? Number(m[1]) : NaN;
  return Number.isInteger(port) && port > 0 && port <= 65_535 ? port : null;
}

/** This instance's first log lines (after its header), if its header is still among the last lines. */
export function instanceLogLines(home: string, name: string): string[] {
  const lines = tailLinesQuietly(logPath(home, name), LOG_LINES_SEARCHED);
  const header = lines.findLastIndex((l) => l.startsWith(INSTANCE_HEADER));
  return header < 0 ? [] : lines.slice(header + 1);
}

/**
 * Is this instance listening elsewhere than on `expected` (and not on it)? `also` is a port the
 * service may listen on instead of $PORT without it being a mistake (its health check's port).
 */
export function findPortMismatch(expected: number, also: number | null, instance: Instance, logLines: () => string[]): PortMismatch | null {
  const ports = treeListenPorts(instance);
  if (ports.includes(expected) || (also !== null && ports.includes(also))) return null;
  const elsewhere = ports.filter((p) => !DEBUGGER_PORTS.has(p));
  if (elsewhere.length > 0) return { expected, listening: elsewhere, source: 'listener', line: null };
  for (const line of logLines()) {
    const port = portInLogLine(line);
    if (port !== null && port !== expected && port !== also) return { expected, listening: [port], source: 'log', line: line.slice(0, 500) };
  }
  return null;
}
