// What SQLite's locks mean, read from the outside. SQLite (unix VFS, the default) takes POSIX
// byte-range locks, so /proc/locks shows every connection's state without asking it:
// - on the database file (rollback-journal locking, also taken in WAL mode): PENDING at
//   0x40000000, RESERVED at +1, the SHARED range +2..+511 (os_unix.c: PENDING_BYTE,
//   RESERVED_BYTE, SHARED_FIRST, SHARED_SIZE 510). In rollback mode a SHARED read lock alone is
//   a reader; in WAL mode every connection keeps SHARED between transactions too, so there only
//   a read mark (below) is a reader. A write lock on RESERVED, PENDING or the SHARED range is a
//   writer (reserved, pending, exclusive).
// - in WAL mode the write lock is not on the database but on the `-shm` file, at the wal-index
//   lock bytes: UNIX_SHM_BASE = (22 + SQLITE_SHM_NLOCK) * 4 = 120, lock i at byte 120 + i
//   (wal.c: WAL_WRITE_LOCK 0, WAL_CKPT_LOCK 1, WAL_RECOVER_LOCK 2, WAL_READ_LOCK(i) 3 + i for
//   i in 0..4), then the dead-man switch at 128 (UNIX_SHM_DMS) that every open connection holds.
// That is why a WAL writer inside BEGIN IMMEDIATE looked like a reader when only the database's
// locks were read: on the database it holds just SHARED, like every reader
// (docs/decisions/0023-sqlite-roles.md).
// The kernel merges adjacent ranges of one process, so a lock is tested for the bytes it
// covers, never for its exact start.
import { readFileHead } from '../bounded-read.ts';
import type { FileLock } from './file-locks.ts';

/** The database file's lock bytes (rollback-journal locking). */
export const SQLITE_PENDING_BYTE = 0x40000000;
export const SQLITE_RESERVED_BYTE = SQLITE_PENDING_BYTE + 1;
export const SQLITE_SHARED_FIRST = SQLITE_PENDING_BYTE + 2;
export const SQLITE_SHARED_SIZE = 510;
/** The `-shm` file's lock bytes (WAL mode). */
export const SHM_WRITE_LOCK = 120;
export const SHM_CKPT_LOCK = 121;
export const SHM_RECOVER_LOCK = 122;
export const SHM_READ_MARK_FIRST = 123;
export const SHM_READ_MARKS = 5;
export const SHM_DMS = 128;

/** How a SQLite database journals: read from its header (bytes 18 and 19: 1/1 rollback, 2/2 WAL). */
export type JournalMode = 'wal' | 'rollback';

/**
 * What a process is to a file, from its locks: writer (it holds SQLite's write lock, or a write
 * lock of any kind), checkpointer (WAL checkpoint lock, no write lock), reader (a read lock:
 * inside a read transaction), open (it has the file open and holds no lock: an idle connection).
 */
export type HolderRole = 'writer' | 'checkpointer' | 'reader' | 'open';

/** Where a lock sits: the database file itself, or one of its companions. */
export type LockPlace = 'main' | '-wal' | '-shm' | '-journal';

const HEADER_BYTES = 100;
const MAGIC = 'SQLite format 3\0';

/** The journal mode of a SQLite database, or null when the file is not one (or is empty, or not a regular file). */
export function readJournalMode(path: string): JournalMode | null {
  const head = readFileHead(path, HEADER_BYTES);
  if (head === undefined || head.length < HEADER_BYTES) return null;
  if (head.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  const write = head[18];
  const read = head[19];
  if (write === 2 && read === 2) return 'wal';
  if (write === 1 && read === 1) return 'rollback';
  return null;
}

function covers(lock: FileLock, first: number, last = first): boolean {
  return lock.start <= last && (lock.end === null || lock.end >= first);
}

/** The meanings of a lock at SQLite's lock bytes ("sqlite WAL write lock"), or [] when it is not on one. */
export function sqliteLockMeanings(lock: FileLock, place: LockPlace): string[] {
  if (lock.kind === 'UNKNOWN') return []; // no byte range known (the portable backend): no meaning read into it
  const write = lock.access === 'write';
  if (place === 'main') {
    if (write && covers(lock, SQLITE_SHARED_FIRST, SQLITE_SHARED_FIRST + SQLITE_SHARED_SIZE - 1)) return ['sqlite writer: exclusive'];
    if (write && covers(lock, SQLITE_RESERVED_BYTE)) return ['sqlite writer: reserved'];
    if (write && covers(lock, SQLITE_PENDING_BYTE)) return ['sqlite pending'];
    // a reader's SHARED lock in rollback mode; in WAL mode every open connection's, idle or not
    if (!write && covers(lock, SQLITE_SHARED_FIRST, SQLITE_SHARED_FIRST + SQLITE_SHARED_SIZE - 1)) return ['sqlite shared'];
    return [];
  }
  if (place !== '-shm') return [];
  const out: string[] = [];
  if (write && covers(lock, SHM_WRITE_LOCK)) out.push('sqlite WAL write lock');
  if (write && covers(lock, SHM_CKPT_LOCK)) out.push('sqlite WAL checkpoint lock');
  if (write && covers(lock, SHM_RECOVER_LOCK)) out.push('sqlite WAL recovery lock');
  for (let i = 0; i < SHM_READ_MARKS; i++) {
    if (covers(lock, SHM_READ_MARK_FIRST + i)) out.push(`sqlite WAL read mark ${i}${write ? ' (updating)' : ''}`);
  }
  if (!write && covers(lock, SHM_DMS)) out.push('sqlite WAL connection');
  return out;
}

/**
 * A process's role for a database, from its granted locks on the file and its companions.
 * `sqlite` is the database's journal mode, or null when the file is not a SQLite database (its
 * lock bytes then decide; in WAL mode SHARED on the database alone is an idle connection, which
 * keeps it between transactions: only a read mark on -shm is a read transaction); for any
 * other file a write lock is a writer and a read lock a reader. `writable` (the process has the
 * file open for writing) makes a writer of a holder of a non-SQLite file that nobody locks:
 * such a file has no other sign of who writes it.
 */
export function holderRole(locks: ReadonlyArray<FileLock & { place: LockPlace }>, sqlite: JournalMode | null, writable = false, anyoneLocks = true): HolderRole {
  const granted = locks.filter((l) => !l.waiting);
  if (!sqlite) {
    if (granted.some((l) => l.access === 'write')) return 'writer';
    if (granted.length > 0) return 'reader';
    return writable && !anyoneLocks ? 'writer' : 'open';
  }
  const meanings = granted.flatMap((l) => sqliteLockMeanings(l, l.place));
  // recovery rebuilds the wal-index with every other lock shut out: a writer while it lasts
  if (meanings.some((m) => m.startsWith('sqlite writer') || m === 'sqlite pending' || m === 'sqlite WAL write lock' || m === 'sqlite WAL recovery lock')) return 'writer';
  if (meanings.includes('sqlite WAL checkpoint lock')) return 'checkpointer';
  if (meanings.some((m) => (m === 'sqlite shared' && sqlite === 'rollback') || m.startsWith('sqlite WAL read mark'))) return 'reader';
  return 'open';
}
