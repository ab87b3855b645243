// Readiness and health. A check only passes when what answers on the port belongs to the
// service's own process tree: a squatter answering HTTP 200 does not make a service healthy.
import { NOTIFY_HEALTH } from './spec.ts';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { type Identity, isAlive } from '../identity.ts';
import { inspect } from '../inspect/select.ts';
import type { SocketEntry } from '../inspect/sockets.ts';
import { type Instance, instanceTree } from './process-tree.ts';

const CHECK_TIMEOUT_MS = 2_000;

// The host's TCP listeners, read at most once per SOCKETS_MAX_AGE_MS and shared by the checks
// of every service: reading the TCP table costs milliseconds of kernel time on some hosts. The
// cache serves the ports it has (the healthy services' checks); a port it does not have is read
// afresh: a starting service opens its port between two checks, and a table read before that
// made each check fail for up to SOCKETS_MAX_AGE_MS more (test/core/health-listener.test.ts).
const SOCKETS_MAX_AGE_MS = 200;
let socketsCache: { at: number; entries: SocketEntry[] } | undefined;
function tcpListeners(port: number): SocketEntry[] {
  const cached = socketsCache !== undefined && Date.now() - socketsCache.at <= SOCKETS_MAX_AGE_MS ? socketsCache : undefined;
  if (cached !== undefined && cached.entries.some((s) => s.port === port)) return cached.entries;
  socketsCache = { at: Date.now(), entries: inspect().readSockets({ protocol: 'tcp' }) };
  return socketsCache.entries;
}

// The listener last found for each instance: checked first next time, since reading the
// whole process table for every check of every service is the daemon's main cost.
const lastListener = new Map<string, Identity>();

/**
 * Which process of this instance's tree listens on the port, if any? The leader and the last
 * listener found are tried first; the whole tree is walked only when neither holds it.
 */
export function listenerInTree(port: number, instance: Instance): Identity | null {
  const { leader } = instance;
  const inodes = new Set(tcpListeners(port).filter((s) => s.port === port).map((s) => s.inode));
  if (inodes.size === 0) return null;
  const holds = (pid: number): boolean => [...(inspect().socketKeysOf(pid) ?? [])].some((key) => inodes.has(key));
  const key = `${leader.pid}:${leader.startTicks}`;
  const last = lastListener.get(key);
  if (isAlive(leader) && holds(leader.pid)) return leader;
  if (last && isAlive(last) && holds(last.pid)) return last;
  const found = instanceTree(instance).find((member) => holds(member.pid));
  if (found) lastListener.set(key, found);
  else lastListener.delete(key);
  return found ?? null;
}

/** Does a process of this instance's tree listen on the port? */
export function listensInTree(port: number, instance: Instance): boolean {
  return listenerInTree(port, instance) !== null;
}

/** The port a service's check watches for ownership: its health URL's or tcp: port, else its own (null: none). */
export function watchedPort(health: string | null, port: number | null): number | null {
  if (health === null) return port;
  const spec = expandPort(health, port);
  if (spec.startsWith('cmd:')) return port;
  if (spec.startsWith('tcp:')) {
    const n = Number(spec.slice(spec.lastIndexOf(':') + 1));
    return Number.isInteger(n) && n > 0 ? n : port;
  }
  try {
    const url = new URL(spec);
    return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  } catch {
    return port;
  }
}

export interface Ownership {
  ok: boolean;
  /** the pid of the tree that holds the watched port */
  listener: number | null;
  /** that process is stopped (SIGSTOP, a debugger): it holds the port but cannot answer */
  stopped: boolean;
}

/**
 * The cheap check between probes: does the service's tree still hold its port, and with which
 * process? No connection is made, so nothing reaches the service's own log.
 */
export function checkOwnership(health: string | null, port: number | null, instance: Instance): Ownership {
  const watched = watchedPort(health, port);
  if (watched === null) return { ok: true, listener: null, stopped: false };
  const holder = listenerInTree(watched, instance);
  if (holder === null) return { ok: false, listener: null, stopped: false };
  return { ok: true, listener: holder.pid, stopped: inspect().readStat(holder.pid)?.state === 'T' };
}

export function expandPort(text: string, port: number | null): string {
  return port === null ? text : text.replaceAll('${PORT}', String(port)).replaceAll('$PORT', String(port));
}

/** Runs one health check of a service instance. */
export async function checkHealth(health: string | null, port: number | null, instance: Instance, env: NodeJS.ProcessEnv): Promise<boolean> {
  // notify: readiness is the READY=1 the service sends (decide.ts); here only its port, if any
  if (health === null || health === NOTIFY_HEALTH) return port === null ? true : listensInTree(port, instance);
  const spec = expandPort(health, port);
  if (spec.startsWith('cmd:')) return runCheck(spec.slice(4), env);
  if (spec.startsWith('tcp:')) {
    const target = spec.slice(4);
    const [host, p] = target.includes(':') ? [target.slice(0, target.lastIndexOf(':')), target.slice(target.lastIndexOf(':') + 1)] : ['127.0.0.1', target];
    const checkPort = Number(p);
    return listensInTree(checkPort, instance) && (await tcpConnects(host || '127.0.0.1', checkPort));
  }
  // a record stored before its check was validated must not bring the daemon down
  if (!URL.canParse(spec)) return false;
  const url = new URL(spec);
  const urlPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (!listensInTree(urlPort, instance)) return false;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS), redirect: 'manual' });
    await res.body?.cancel();
    return res.status < 400;
  } catch {
    return false;
  }
}

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: CHECK_TIMEOUT_MS });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function runCheck(command: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: 'ignore', env, timeout: CHECK_TIMEOUT_MS * 2 });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
