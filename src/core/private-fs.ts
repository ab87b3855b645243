// Every file berth writes is its own and private, and opened without following a link: a
// symlink or hard link planted in the home (by a careless user, an agent, or another user where
// a directory lets them) must never make berth append to, truncate or delete someone else's
// file. So directories are checked with lstat (real directory, ours, writable by us alone),
// files are opened with O_NOFOLLOW and then checked on the descriptor with fstat (regular,
// ours, one link), and what berth creates gets its mode (0700/0600) in the creating call
// rather than from the umask. See docs/decisions/0008-private-state.md.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, type Stats } from 'node:fs';
import { isErrno, StateUnsafeError, type UnsafeReason } from './errors.ts';

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** The user berth runs as: everything it writes must belong to this uid. */
export function currentUid(): number {
  return process.geteuid?.() ?? process.getuid?.() ?? 0;
}

/** Why a directory found by lstat is not one berth may write into, or undefined if it is. */
export function unsafeDirReason(st: Stats): UnsafeReason | undefined {
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isDirectory()) return 'not_directory';
  if (st.uid !== currentUid()) return 'other_owner';
  if ((st.mode & 0o022) !== 0) return 'writable_by_others';
  return undefined;
}

/** Why an open file (fstat) is not one berth may write or read as its own, or undefined if it is. */
export function unsafeFileReason(st: Stats): UnsafeReason | undefined {
  if (!st.isFile()) return 'not_regular_file';
  if (st.uid !== currentUid()) return 'other_owner';
  if (st.nlink !== 1) return 'hard_linked';
  return undefined;
}

/** lstat, or undefined when nothing is there. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** True if path is berth's own real directory, false if nothing is there; throws if something else is. */
export function checkPrivateDir(path: string): boolean {
  const st = lstatOrUndefined(path);
  if (st === undefined) return false;
  const reason = unsafeDirReason(st);
  if (reason !== undefined) throw new StateUnsafeError(path, reason);
  return true;
}

/** True if path is berth's own real directory; false if it is missing or anything else (never throws for that). */
export function isPrivateDir(path: string): boolean {
  try {
    return checkPrivateDir(path);
  } catch {
    return false;
  }
}

/** Makes sure path (whose parent berth has checked) is berth's own real directory, creating it 0700. */
export function ensurePrivateDir(path: string): void {
  if (checkPrivateDir(path)) return;
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (err) {
    // made by someone else between our lstat and mkdir: judge what is there now
    if (!isErrno(err, 'EEXIST')) throw err;
  }
  if (!checkPrivateDir(path)) throw new StateUnsafeError(path, 'not_directory');
}

/**
 * Opens a file for appending, creating it 0600, never through a symlink (O_NOFOLLOW), never
 * blocking on a FIFO (O_NONBLOCK: with no reader the open fails instead of hanging), and
 * refuses what it finds unless it is a regular file of ours with one link.
 */
export function openPrivateAppend(path: string): number {
  return openChecked(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
}

/** Opens an existing file of berth's for reading, with the same checks; undefined when it does not exist. */
export function openPrivateRead(path: string): number | undefined {
  try {
    return openChecked(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Opens path with flags (which include O_NOFOLLOW) and checks the descriptor; closes it and throws if it is not berth's. */
export function openChecked(path: string, flags: number, mode?: number): number {
  let fd: number;
  try {
    fd = openSync(path, flags | O_NOFOLLOW, mode);
  } catch (err) {
    // ELOOP: the last component is a symlink. ENXIO: a FIFO nobody reads. EISDIR: a directory.
    if (isErrno(err, 'ELOOP')) throw new StateUnsafeError(path, 'symlink');
    if (isErrno(err, 'ENXIO', 'EISDIR')) throw new StateUnsafeError(path, 'not_regular_file');
    throw err;
  }
  const reason = unsafeFileReason(fstatSync(fd));
  if (reason !== undefined) {
    closeSync(fd);
    throw new StateUnsafeError(path, reason);
  }
  return fd;
}
