// Service logs: one file per service that the service writes to directly (the daemon is not in
// the path), capped by copy-and-truncate: the service's fd is opened with O_APPEND, so after
// the truncate its writes continue at the start of the file.
// Logs live in berth's own directory and are berth's own files: logs/ must be a real directory
// of ours, and every log is opened with O_NOFOLLOW and checked on its descriptor (a regular
// file of ours with one link), for writing, rotating and reading alike. A symlink or hard link
// planted as a log is refused, never written, truncated or copied over (private-fs.ts).
import { closeSync, constants, fstatSync, ftruncateSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isErrno } from '../errors.ts';
import { checkPrivateDir, ensurePrivateDir, lstatOrUndefined, openChecked, openPrivateAppend, openPrivateRead, unsafeFileReason } from '../private-fs.ts';
import { StateUnsafeError } from '../errors.ts';

const FOLLOW_POLL_MS = 200;
const COPY_CHUNK_BYTES = 1024 * 1024;

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

export function logDir(home: string): string {
  return join(home, 'logs');
}

export function logPath(home: string, name: string): string {
  return join(logDir(home), `${name}.log`);
}

/**
 * Throws StateUnsafeError unless a log can be opened here as berth's own: logs/ is (or can be
 * made) a private real directory, and the log is absent or a regular file of ours with one link.
 * Checked before a start clears the way, so an unsafe log never costs a running instance.
 */
export function checkLogWritable(home: string, name: string): void {
  const path = logPath(home, name);
  ensureLogDirs(home, path);
  const st = lstatOrUndefined(path);
  if (st === undefined) return;
  if (st.isSymbolicLink()) throw new StateUnsafeError(path, 'symlink');
  const reason = unsafeFileReason(st);
  if (reason !== undefined) throw new StateUnsafeError(path, reason);
}

/** Opens a log (the daemon's own or a service's) for appending, creating logs/ (0700) and the file (0600) if needed. */
export function openLogFile(home: string, file: string): number {
  const path = join(logDir(home), file);
  ensureLogDirs(home, path);
  return openPrivateAppend(path);
}

/** Whether the directories a log sits in (logs/, and logs/<project> for a project's service) are berth's own. */
function logDirsPrivate(path: string): boolean {
  const dir = dirname(path);
  // logs/ first: a logs/ that is a link is refused (thrown), whether or not logs/<project> exists
  return (basename(dir) === 'logs' || checkPrivateDir(dirname(dir))) && checkPrivateDir(dir);
}

/** logs/ and, for a project's service (logs/<project>/<service>.log), logs/<project>: each berth's own real directory. */
function ensureLogDirs(home: string, path: string): void {
  ensurePrivateDir(logDir(home));
  if (dirname(path) !== logDir(home)) ensurePrivateDir(dirname(path));
}

/** How the header line berth writes at the top of each start's part of the log begins. */
export const START_HEADER = '--- berth: ';

/** Opens a service's log for appending and writes a header line. */
export function openLog(home: string, name: string, header: string): number {
  const fd = openLogFile(home, `${name}.log`);
  try {
    writeSync(fd, `${START_HEADER}${header} at ${new Date().toISOString()} ---\n`);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * Rotates the log to <name>.log.1 when it is over maxBytes. Returns true if it rotated.
 * Works on the descriptor of the log opened without following links, and writes the copy to
 * a new file: whatever is at .log.1 (a symlink too) is unlinked, not written through.
 */
export function rotateLog(path: string, maxBytes: number): boolean {
  if (!logDirsPrivate(path)) return false;
  let fd: number;
  try {
    fd = openChecked(path, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= maxBytes) return false;
    const rotated = `${path}.1`;
    try {
      unlinkSync(rotated);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    const out = openChecked(rotated, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      copyRange(fd, out, size);
    } finally {
      closeSync(out);
    }
    ftruncateSync(fd, 0);
    return true;
  } finally {
    closeSync(fd);
  }
}

function copyRange(from: number, to: number, size: number): void {
  const buf = Buffer.alloc(Math.min(COPY_CHUNK_BYTES, Math.max(size, 1)));
  for (let pos = 0; pos < size; ) {
    const n = readSync(from, buf, 0, Math.min(buf.length, size - pos), pos);
    if (n === 0) break;
    writeSync(to, buf, 0, n);
    pos += n;
  }
}

/** The last n lines of a log (reading only its end); none if it does not exist. Throws StateUnsafeError for a link. */
export function tailLines(path: string, n: number): string[] {
  if (n <= 0) return [];
  const fd = openLogForRead(path);
  if (fd === undefined) return [];
  try {
    const size = fstatSync(fd).size;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length > n || start === 0) return lines.slice(-n);
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens a log for reading only through berth's own logs/ directory and never through a link; undefined if there is none. */
function openLogForRead(path: string): number | undefined {
  if (!logDirsPrivate(path)) return undefined;
  return openPrivateRead(path);
}

/** The last n lines for an error message: none, rather than a second error, if the log is unreadable. */
export function tailLinesQuietly(path: string, n: number): string[] {
  try {
    return tailLines(path, n);
  } catch {
    return [];
  }
}

/**
 * The last `n` lines of the current start: those after its header line (an earlier start's
 * lines are another run's story), read from the last `searched` lines only (a bounded read);
 * when no header is among them, every one of them is this start's.
 */
export function startTail(path: string, n: number, searched = Math.max(n, 40)): string[] {
  const lines = tailLinesQuietly(path, searched);
  const header = lines.findLastIndex((l) => l.startsWith(START_HEADER));
  return lines.slice(header + 1).slice(-n);
}

/**
 * Calls onLine for every complete line appended to the file from now on, polling its size;
 * starts over from the top when the file shrinks (rotated). A log that is (or becomes) a
 * link or not berth's own is not read. Returns a function that stops.
 */
export function followFile(path: string, onLine: (line: string) => void, pollMs = FOLLOW_POLL_MS): () => void {
  let offset = sizeOf(path);
  let pending = '';
  const timer = setInterval(() => {
    let fd: number | undefined;
    try {
      fd = openLogForRead(path);
    } catch {
      fd = undefined;
    }
    if (fd === undefined) return;
    try {
      const size = fstatSync(fd).size;
      if (size < offset) offset = 0;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const parts = (pending + buf.toString('utf8')).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    } finally {
      closeSync(fd);
    }
  }, pollMs);
  return () => clearInterval(timer);
}

function sizeOf(path: string): number {
  try {
    const fd = openLogForRead(path);
    if (fd === undefined) return 0;
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}
