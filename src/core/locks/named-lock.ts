// Named exclusive locks that the kernel releases when the holder dies.
//
// A lock is a Unix socket bound in Linux's abstract namespace: only one socket can be bound to
// a name, the binding has no file to go stale, and it disappears the instant the last process
// holding the socket's fd exits, however it exits (kill -9 included). Handing the fd to a child
// makes the child the holder, so the lock lives exactly as long as the command it guards.
// See docs/decisions/0003-locks-abstract-sockets.md. Where there is no abstract namespace
// (macOS), or with BERTH_LOCKS=flock, a lock is a flock on a file of the home instead
// (flock.ts); on Linux a taker of either kind checks, after taking its own, that the other kind
// is free, so clients that disagree on BERTH_LOCKS never both hold one name
// (docs/decisions/0028-flock-locks.md).
import type { Server } from 'node:net';
import { sha256Hex } from '../hash.ts';
import { type Identity, isAlive } from '../identity.ts';
import { flockHolderPids, flockHolders, type HeldLock, isFlocked, lockFilePath, tryFlock } from './flock.ts';
import { hasAbstractNamespace, lockKind } from './lock-kind.ts';
import { describeProcess } from '../inspect/process.ts';
import { inspect } from '../inspect/select.ts';
import { type Caller, type Owner, parseOwner } from '../owner.ts';
import { recordEvent } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';

export interface LockHolder {
  name: string;
  pid: number;
  command: string;
  identity: Identity | null;
  owner: Owner | null;
  acquiredAt: string | null;
}

interface LockRow {
  name: string;
  pid: number;
  start_ticks: number;
  boot_id: string;
  command: string;
  owner: string | null;
  acquired_at: number;
}

/** The abstract socket name of a lock: scoped to the berth home, so two homes never collide. */
export function lockAddress(home: string, name: string): string {
  return `\0${lockPrefix(home)}${name}`;
}

function lockPrefix(home: string): string {
  return `berth-lock:${sha256Hex(home).slice(0, 16)}:`;
}

export type { HeldLock } from './flock.ts';

/** A bound abstract socket: a lock whose fd is the socket's. */
export interface HeldSocket extends HeldLock {
  server: Server;
}

/** The abstract socket whose binding makes a process the one daemon of a berth home. */
export function daemonAddress(home: string): string {
  return `\0berth-daemon:${sha256Hex(home).slice(0, 16)}`;
}

/**
 * Tries once to take the lock, of the kind BERTH_LOCKS says (UsageError on a bad value);
 * undefined if someone holds it, of either kind.
 */
export async function tryBindLock(home: string, name: string): Promise<HeldLock | undefined> {
  const path = lockFilePath(home, name);
  const address = lockAddress(home, name);
  if (lockKind() === 'flock') {
    const held = await tryFlock(home, path);
    // a Linux client with the default kind may hold the same name as a socket
    if (held && hasAbstractNamespace() && abstractBound(address)) {
      await held.close();
      return undefined;
    }
    return held;
  }
  const held = await tryBindAddress(address);
  // undefined (the backend cannot tell a holder from an opener) counts as held: refuse rather than hold twice
  if (held && isFlocked(path) !== false) {
    await held.close();
    return undefined;
  }
  return held;
}

/** True if a socket is bound to the abstract address (the backend's bound Unix sockets; false where there are none). */
export function abstractBound(address: string): boolean {
  return boundAbstract(address.slice(1)).has('');
}

/** Binds an abstract socket address once; undefined if another socket is bound to it. */
export function tryBindAddress(address: string): Promise<HeldSocket | undefined> {
  return new Promise((resolve, reject) => {
    const server = process.getBuiltinModule('node:net').createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    server.listen({ path: address, exclusive: true }, () => {
      // Node exposes the fd of a listening handle only through its internal handle.
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      resolve({
        server,
        fd,
        close: () => new Promise<void>((done) => server.close(() => done())),
        unref: () => void server.unref(),
      });
    });
  });
}

/** Takes the lock, polling until waitMs has passed. Undefined if it is still held then. */
export async function acquireLock(home: string, name: string, waitMs = 0, pollMs = 25): Promise<HeldLock | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const held = await tryBindLock(home, name);
    if (held || Date.now() >= deadline) return held;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * The pids holding each held lock of this home, of both kinds: abstract sockets (the inspection
 * backend's bound Unix sockets) and lock files (their holders).
 */
export function boundLocks(home: string): Map<string, number[]> {
  const out = boundAbstract(lockPrefix(home));
  for (const [name, pids] of flockHolders(home)) out.set(name, [...new Set([...(out.get(name) ?? []), ...pids])]);
  return out;
}

/** The pids holding one lock, of either kind. */
function lockHolderPids(home: string, name: string): number[] {
  const pids = abstractHolders(lockAddress(home, name));
  const path = lockFilePath(home, name);
  pids.push(...flockHolderPids(path));
  return [...new Set(pids)];
}

/** The pids holding an abstract socket address (the daemon's, for instance). */
export function abstractHolders(address: string): number[] {
  return boundAbstract(address.slice(1)).get('') ?? [];
}

function boundAbstract(addressPrefix: string): Map<string, number[]> {
  return inspect().boundUnixSockets(`@${addressPrefix}`);
}

/** Records who holds a lock (the process running the guarded command). */
export function recordLockHolder(registry: Registry, caller: Caller, name: string, holder: Identity, command: string, now = Date.now()): void {
  registry.transaction(() => {
    registry.run(
      'INSERT OR REPLACE INTO locks (name, pid, start_ticks, boot_id, command, owner, acquired_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      name,
      holder.pid,
      holder.startTicks,
      holder.bootId,
      command,
      JSON.stringify(caller.owner),
      now,
    );
    recordEvent(registry, caller, { verb: 'lock', subject: name, outcome: 'ok', details: { pid: holder.pid, command } }, now);
  });
}

/** Forgets the record of a lock if it still names this holder, and records the release. */
export function forgetLockHolder(registry: Registry, caller: Caller, name: string, holder: Identity, details: Record<string, unknown>): void {
  registry.transaction(() => {
    registry.run('DELETE FROM locks WHERE name = ? AND pid = ? AND start_ticks = ?', name, holder.pid, holder.startTicks);
    recordEvent(registry, caller, { verb: 'unlock', subject: name, outcome: 'ok', details: { pid: holder.pid, ...details } });
  });
}

/**
 * Who holds a lock right now. The registry's record is trusted while its process lives. A
 * winner writes its record a few milliseconds after it binds (once its command has a pid), so
 * a contender that finds no live record waits up to settleMs for one before it falls back to
 * reading the socket's holders from /proc (berth was killed before writing it, or the fd
 * passed on to a grandchild).
 */
export async function findLockHolder(home: string, registry: Registry | undefined, name: string, settleMs = defaultSettleMs()): Promise<LockHolder | undefined> {
  const deadline = Date.now() + settleMs;
  let row: LockRow | undefined;
  let checkedAt = 0;
  for (;;) {
    row = registry?.get<LockRow>('SELECT * FROM locks WHERE name = ?', name);
    if (row && isAlive({ pid: row.pid, startTicks: row.start_ticks, bootId: row.boot_id })) return fromRow(row);
    // the registry is read every 10 ms; the holders (a walk of every fd table, or lsof) less often
    const now = Date.now();
    if (now - checkedAt >= HOLDER_CHECK_MS || now >= deadline) {
      const pids = lockHolderPids(home, name);
      checkedAt = Date.now();
      if (pids.length === 0) return undefined; // released meanwhile
      if (now >= deadline) return holderFromPids(name, pids, row);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

const HOLDER_CHECK_MS = 100;

/** How long a contender waits for the winner's record: longer where each holder lookup spawns lsof. */
function defaultSettleMs(): number {
  return inspect().name === 'portable' ? 3000 : 1000;
}

function fromRow(row: LockRow): LockHolder {
  return {
    name: row.name,
    pid: row.pid,
    command: row.command,
    identity: { pid: row.pid, startTicks: row.start_ticks, bootId: row.boot_id },
    owner: parseOwner(row.owner),
    acquiredAt: new Date(row.acquired_at).toISOString(),
  };
}

function holderFromPids(name: string, pids: number[], row: LockRow | undefined): LockHolder | undefined {
  const infos = pids.map((pid) => describeProcess(pid)).filter((p) => p !== undefined);
  // `berth lock` and the command it runs both hold the socket: name the command (the child).
  const info = infos.find((p) => pids.includes(p.ppid)) ?? infos[0];
  if (!info) return undefined;
  return { name, pid: info.pid, command: info.command, identity: info.identity, owner: parseOwner(row?.owner), acquiredAt: null };
}

/** Every lock of this home that is held now, with its holder. */
export function listHeldLocks(home: string, registry: Registry | undefined): LockHolder[] {
  const rows = new Map((registry?.all<LockRow>('SELECT * FROM locks') ?? []).map((r) => [r.name, r]));
  const out: LockHolder[] = [];
  for (const [name, pids] of boundLocks(home)) {
    const row = rows.get(name);
    if (row && pids.includes(row.pid) && isAlive({ pid: row.pid, startTicks: row.start_ticks, bootId: row.boot_id })) out.push(fromRow(row));
    else {
      const holder = holderFromPids(name, pids, row);
      if (holder) out.push(holder);
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
