// The proc backend's files: who has a file open (each process's /proc/PID/fd links, the open
// flags in fdinfo) and the locks on it (/proc/locks, every lock on the host; flock and OFD locks
// belong to an open file description, so their holder is found through the fdinfo "lock:" lines
// of the descriptors open on the file; POSIX locks belong to the pid the kernel names).
import { statSync } from 'node:fs';
import type { FileTarget, FileUse, LockOnFile, OpenMode } from '../backend.ts';
import { type FileLock, parseLockLine, splitDev } from '../file-locks.ts';
import { scanFds } from './fds.ts';
import { readFdInfo, readProcFile } from './procfs.ts';

/** Every lock line of /proc/locks, waiters included. */
export function readFileLocks(): FileLock[] {
  return readProcFile('locks')
    .split('\n')
    .map(parseLockLine)
    .filter((l): l is FileLock => l !== undefined);
}

export function fileUses(targets: FileTarget[]): { uses: FileUse[]; unreadable: number } {
  const all = readFileLocks();
  const paths = targets.map((t) => t.path);
  const scan = scanFds((link) => {
    const clean = link.endsWith(' (deleted)') ? link.slice(0, -10) : link;
    const index = paths.indexOf(clean);
    return index < 0 ? undefined : index;
  });
  const uses = targets.map((t, index): FileUse => {
    const { major, minor } = splitDev(t.dev);
    const onFile = all.filter((l) => l.major === major && l.minor === minor && l.inode === t.ino);
    const opens: FileUse['opens'] = [];
    const through = new Map<FileLock, Array<{ pid: number; fd: number }>>();
    for (const [pid, fds] of scan.matches) {
      for (const { fd, key } of fds) {
        if (key !== index) continue;
        const info = readFdInfo(pid, fd);
        if (info === undefined) continue;
        opens.push({ pid, fd, mode: openMode(info.flags) });
        // An fdinfo line's ordinal counts that fd's locks only (it is 1 where /proc/locks says
        // 7), so the lock is found by what it is, not by its number.
        for (const line of info.lockLines) {
          const parsed = parseLockLine(line);
          const lock = parsed && onFile.find((l) => sameLock(l, parsed));
          if (lock === undefined) continue;
          const holders = through.get(lock) ?? [];
          if (!holders.some((h) => h.pid === pid)) holders.push({ pid, fd });
          through.set(lock, holders);
        }
      }
    }
    // in the order of /proc/locks, once per holder found
    const locks: LockOnFile[] = [];
    for (const lock of onFile) {
      const holders = through.get(lock) ?? [];
      for (const { pid, fd } of holders) locks.push({ ...lock, holder: pid, fd });
      if (lock.kind === 'POSIX' && lock.pid > 0) {
        if (!holders.some((h) => h.pid === lock.pid)) locks.push({ ...lock, holder: lock.pid });
      } else if (holders.length === 0) locks.push({ ...lock, holder: null });
    }
    return { opens, locks };
  });
  return { uses, unreadable: scan.unreadable };
}

/** The regular files (absolute paths) among fd links. */
export function openPaths(links: Array<[number, string]>): string[] {
  return links.map(([, link]) => link).filter((link) => link.startsWith('/'));
}

/** Every lock held on the host (waiters excluded), each file named through an fd its holder has open on it. */
export function allLocks(): Array<LockOnFile & { path: string | null }> {
  const locks = readFileLocks().filter((l) => !l.waiting);
  const wanted = new Set(locks.map((l) => `${l.major}:${l.minor}:${l.inode}`));
  const paths = new Map<string, string>();
  const pids = new Set(locks.map((l) => l.pid).filter((p) => p > 0));
  if (pids.size > 0) {
    const scan = scanFds((link) => (link.startsWith('/') ? link : undefined));
    for (const [pid, fds] of scan.matches) {
      if (!pids.has(pid)) continue;
      for (const { key } of fds) {
        try {
          const st = statSync(key);
          const { major, minor } = splitDev(st.dev);
          const k = `${major}:${minor}:${st.ino}`;
          if (wanted.has(k) && !paths.has(k)) paths.set(k, key);
        } catch {
          // deleted or unreachable
        }
      }
    }
  }
  return locks.map((l) => ({ ...l, holder: l.pid > 0 ? l.pid : null, path: paths.get(`${l.major}:${l.minor}:${l.inode}`) ?? null }));
}

function sameLock(a: FileLock, b: FileLock): boolean {
  return a.kind === b.kind && a.access === b.access && a.waiting === b.waiting && a.pid === b.pid && a.start === b.start && a.end === b.end;
}

function openMode(flags: number): OpenMode {
  const access = flags & 3; // O_ACCMODE
  return access === 0 ? 'read' : access === 1 ? 'write' : 'read-write';
}
