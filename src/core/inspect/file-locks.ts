// File locks as the kernel lists them in /proc/locks (and per fd in /proc/<pid>/fdinfo): the
// type every backend answers with, and the parser of Linux's line (read by ./proc/locks.ts).
//   1: POSIX  ADVISORY  WRITE 2251 fe:00:2146370 0 EOF
//   2: -> FLOCK ADVISORY WRITE 99 fe:00:12 0 EOF      (a waiter blocked on lock 2)
import { type LockPlace, sqliteLockMeanings } from './sqlite.ts';

export type LockKind = 'POSIX' | 'FLOCK' | 'OFD' | 'LEASE' | 'DELEG' | 'UNKNOWN';
export type LockAccess = 'read' | 'write';

export interface FileLock {
  id: number;
  kind: LockKind;
  /** 'posix' locks come from fcntl(F_SETLK) or lockf(); 'ofd' from F_OFD_SETLK; 'flock' from flock(2) */
  mandatory: boolean;
  access: LockAccess;
  /** the pid the kernel records; -1 for OFD locks, which belong to an open file, not a process */
  pid: number;
  major: number;
  minor: number;
  inode: number;
  start: number;
  /** null means to the end of the file */
  end: number | null;
  /** true for a process waiting to take the lock, not holding it */
  waiting: boolean;
}

const KINDS: Record<string, LockKind> = { POSIX: 'POSIX', FLOCK: 'FLOCK', OFDLCK: 'OFD', LEASE: 'LEASE', DELEG: 'DELEG' };

export function parseLockLine(line: string): FileLock | undefined {
  const m = /^(\d+):\s+(->\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\S+)/i.exec(line.trim());
  if (!m) return undefined;
  return {
    id: Number(m[1]),
    waiting: m[2] !== undefined,
    kind: KINDS[m[3]!] ?? 'UNKNOWN',
    mandatory: m[4] === 'MANDATORY',
    access: m[5] === 'READ' ? 'read' : 'write',
    pid: Number(m[6]),
    major: parseInt(m[7]!, 16),
    minor: parseInt(m[8]!, 16),
    inode: Number(m[9]),
    start: Number(m[10]),
    end: m[11] === 'EOF' ? null : Number(m[11]),
  };
}

/** Splits a Linux dev_t (as stat returns it) into major and minor numbers. */
export function splitDev(dev: number): { major: number; minor: number } {
  const big = BigInt(dev);
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
  const minor = Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * A short human label for a lock, naming SQLite's lock bytes when it is one of them: on the
 * database file (`place` main) or, for a WAL database, on its `-shm` file (./sqlite.ts).
 */
export function describeLock(lock: FileLock, place: LockPlace = 'main'): string {
  // the portable backend (lsof) reports a lock's access only: never read a range or SQLite's bytes into it
  if (lock.kind === 'UNKNOWN') return `${lock.access} lock (kind and byte range not reported by lsof)${lock.waiting ? ' (waiting)' : ''}`;
  const kind = lock.kind === 'POSIX' ? 'POSIX (fcntl/lockf)' : lock.kind === 'OFD' ? 'OFD (fcntl)' : lock.kind === 'FLOCK' ? 'flock' : lock.kind;
  const range = lock.end === null ? (lock.start === 0 ? 'whole file' : `bytes ${lock.start}-EOF`) : `bytes ${lock.start}-${lock.end}`;
  const sqlite = sqliteLockMeanings(lock, place);
  return `${lock.access} ${kind}, ${range}${sqlite.length > 0 ? ` [${sqlite.join(', ')}]` : ''}${lock.waiting ? ' (waiting)' : ''}`;
}
