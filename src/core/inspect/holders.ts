// Who holds a file: every process with it open (and how), and every lock on it. A SQLite
// database is one thing with up to three companion files (-wal, -shm, -journal): a WAL
// writer's lock lives in -shm, so the holders of the companions are folded into the database's
// holders, each with its role (./sqlite.ts), and asking about app.db-wal answers for app.db.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import type { LockOnFile, OpenMode } from './backend.ts';
import { describeLock, splitDev, type FileLock } from './file-locks.ts';
import { describeProcess, type ProcessInfo } from './process.ts';
import { inspect } from './select.ts';
import { holderRole, type HolderRole, type JournalMode, type LockPlace, readJournalMode } from './sqlite.ts';

export type { OpenMode };
export type Companion = '-wal' | '-shm' | '-journal';

export interface HeldLock extends FileLock {
  description: string;
  /** set when the lock is on a companion of the file asked about (app.db-shm for app.db) */
  companion?: Companion;
}

export interface FileHolder {
  process: ProcessInfo;
  /** its open descriptors; `companion` says which companion file one is open on */
  fds: Array<{ fd: number; mode: OpenMode; companion?: Companion }>;
  locks: HeldLock[];
  /** what it is to the file (for a SQLite database: from its lock bytes, companions included) */
  role: HolderRole;
}

export interface FileReport {
  path: string;
  device: string;
  inode: number;
  holders: FileHolder[];
  /** every lock on the file, including waiters and OFD locks whose process was not found */
  locks: HeldLock[];
}

export interface HoldersReport extends FileReport {
  /** a SQLite database's journal mode, from its header; null when the file is not a SQLite database */
  journalMode: JournalMode | null;
  /** SQLite's companion files (-wal, -shm, -journal) when they exist; their holders are also among `holders` */
  companions: FileReport[];
  unreadable: number;
}

const COMPANION_SUFFIXES: Companion[] = ['-wal', '-shm', '-journal'];

export class PathNotFoundError extends UsageError {
  constructor(path: string) {
    super(`no such file or directory: ${path}`, 'give the path of an existing file (a port is a number from 1 to 65535)', 'path_not_found');
  }
}

/** app.db for app.db-wal, app.db-shm or app.db-journal when app.db is a SQLite database; else the path itself. */
function databaseOf(real: string): string {
  const suffix = COMPANION_SUFFIXES.find((s) => real.endsWith(s));
  if (suffix === undefined) return real;
  const base = real.slice(0, -suffix.length);
  return existsSync(base) && readJournalMode(base) !== null ? base : real;
}

/** Every process that has the file (and its SQLite companions) open or locked. */
export function findFileHolders(path: string): HoldersReport {
  let real: string;
  try {
    real = databaseOf(realpathSync(path));
  } catch {
    throw new PathNotFoundError(path);
  }
  const places: LockPlace[] = ['main', ...COMPANION_SUFFIXES.filter((s) => existsSync(real + s))];
  const paths = places.map((p) => (p === 'main' ? real : real + p));
  const targets = paths.map((p) => {
    const st = statSync(p);
    return { path: p, dev: st.dev, ino: st.ino, ...splitDev(st.dev) };
  });
  const scan = inspect().fileUses(targets);

  const reports = targets.map((t, index): FileReport => {
    const place = places[index]!;
    const companion = place === 'main' ? {} : { companion: place };
    const use = scan.uses[index]!;
    // one entry per lock (the backend lists a lock once per holder it found)
    const locks: HeldLock[] = [];
    const heldAs = new Map<LockOnFile, HeldLock>();
    for (const found of use.locks) {
      const { holder: _holder, fd: _fd, ...lock } = found;
      const known = locks.find((l) => sameLock(l, lock) && l.id === lock.id);
      const held = known ?? { ...lock, description: describeLock(lock, place), ...companion };
      if (known === undefined) locks.push(held);
      heldAs.set(found, held);
    }
    const holders = new Map<number, FileHolder>();
    const holderFor = (pid: number): FileHolder | undefined => {
      let h = holders.get(pid);
      if (h === undefined) {
        const info = describeProcess(pid);
        if (info === undefined) return undefined;
        h = { process: info, fds: [], locks: [], role: 'open' };
        holders.set(pid, h);
      }
      return h;
    };
    for (const { pid, fd, mode } of use.opens) {
      const holder = holderFor(pid);
      if (holder !== undefined) holder.fds.push({ fd, mode, ...companion });
    }
    // flock and OFD locks belong to the open file description (the backend finds their holder
    // through the descriptors open on the file); POSIX locks to the process the kernel names.
    for (const found of use.locks) {
      if (found.holder === null) continue;
      const holder = holderFor(found.holder);
      const lock = heldAs.get(found)!;
      if (holder && !holder.locks.includes(lock)) holder.locks.push(lock);
    }
    return {
      path: t.path,
      device: `${t.major}:${t.minor}`,
      inode: t.ino,
      holders: [...holders.values()].sort((a, b) => a.process.pid - b.process.pid),
      locks,
    };
  });
  const journalMode = readJournalMode(real);
  const anyoneLocks = reports.some((r) => r.locks.some((l) => !l.waiting));
  const roleOf = (h: FileHolder): HolderRole => {
    const placed = h.locks.map((l) => ({ ...l, place: l.companion ?? ('main' as const) }));
    return holderRole(placed, journalMode, h.fds.some((f) => f.mode !== 'read'), anyoneLocks);
  };
  const [main, ...companions] = reports;
  const merged = foldHolders(reports.flatMap((r) => r.holders));
  for (const h of [...merged, ...companions.flatMap((c) => c.holders)]) h.role = roleOf(merged.find((m) => m.process.pid === h.process.pid) ?? h);
  return { ...main!, holders: merged, journalMode, companions, unreadable: scan.unreadable };
}

/** One holder per process, with its descriptors and locks on the file and its companions. */
function foldHolders(holders: FileHolder[]): FileHolder[] {
  const byPid = new Map<number, FileHolder>();
  for (const h of holders) {
    const into = byPid.get(h.process.pid);
    if (into === undefined) byPid.set(h.process.pid, { ...h, fds: [...h.fds], locks: [...h.locks] });
    else {
      into.fds.push(...h.fds);
      into.locks.push(...h.locks);
    }
  }
  return [...byPid.values()].sort((a, b) => a.process.pid - b.process.pid);
}

function sameLock(a: FileLock, b: FileLock): boolean {
  return a.kind === b.kind && a.access === b.access && a.waiting === b.waiting && a.pid === b.pid && a.start === b.start && a.end === b.end;
}

/** Every file lock on the host, grouped by the process that holds it (for `berth locks`). */
export function findAllFileLocks(): Array<HeldLock & { process: ProcessInfo | null; path: string | null }> {
  return inspect()
    .allLocks()
    .map(({ holder, fd: _fd, path, ...l }) => ({
      ...l,
      description: describeLock(l, placeOf(path ?? undefined)),
      process: holder !== null ? (describeProcess(holder) ?? null) : null,
      path,
    }));
}

/** Where a lock found by its path sits: a -shm file's locks are read as SQLite's WAL lock bytes. */
function placeOf(path: string | undefined): LockPlace {
  return path?.endsWith('-shm') ? '-shm' : 'main';
}
