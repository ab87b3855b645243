// Reading a file a user points berth at (berth.yaml, a Procfile, an env_file, CLAUDE.md) with a
// bound. readFileSync on such a path reads whatever is there: a symlink to /dev/zero filled
// 15 GiB of a shared machine's memory, a FIFO blocks forever, a directory throws EISDIR with a
// stack. So: open without blocking (a FIFO with no writer would block open itself), fstat the
// open descriptor (not the path, which can change between a check and the read), accept only a
// regular file, and read at most the limit plus one byte, so a file that grows after the fstat
// is still caught.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { BerthError, EXIT } from './errors.ts';

/** The most berth reads of a config file (berth.yaml, Procfile, env_file): 1 MiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type UnreadableReason = 'missing' | 'not_regular' | 'too_large' | 'unreadable';

/** A file berth was pointed at cannot be used: it is missing, not a regular file, too large or unreadable. */
export class UnreadableFileError extends BerthError {
  readonly path: string;
  readonly reason: UnreadableReason;
  /** what is wrong, without the path */
  readonly detail: string;
  constructor(path: string, reason: UnreadableReason, detail: string) {
    super('file_unreadable', `${path}: ${detail}`, {
      hint: reason === 'too_large' ? 'berth reads config files of at most 1 MiB' : 'point berth at a regular file you can read',
      exitCode: EXIT.usage,
      details: { path, reason },
    });
    this.path = path;
    this.reason = reason;
    this.detail = detail;
  }
}

function kindOf(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFDIR:
      return 'a directory';
    case constants.S_IFIFO:
      return 'a FIFO';
    case constants.S_IFCHR:
      return 'a character device';
    case constants.S_IFBLK:
      return 'a block device';
    case constants.S_IFSOCK:
      return 'a socket';
    default:
      return 'not a regular file';
  }
}

/**
 * The text of a regular file of at most maxBytes (a symlink is followed: the final target must
 * be a regular file). Throws UnreadableFileError for anything else, at once.
 */
export function readBoundedText(path: string, maxBytes = MAX_CONFIG_BYTES): string {
  return readBoundedFile(path, maxBytes).text;
}

/** readBoundedText, with the time the file was last written and its owner (from the same open descriptor: a pidfile's age and writer). */
export function readBoundedFile(path: string, maxBytes = MAX_CONFIG_BYTES): { text: string; mtimeMs: number; uid: number } {
  const { fd, stat } = openRegularFile(path);
  try {
    if (stat.size > maxBytes) throw new UnreadableFileError(path, 'too_large', `is ${stat.size} bytes, more than the limit of ${maxBytes}`);
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, length, buf.length - length, null);
      } catch (err) {
        throw new UnreadableFileError(path, 'unreadable', `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new UnreadableFileError(path, 'too_large', `is more than the limit of ${maxBytes} bytes`);
    }
    return { text: buf.toString('utf8', 0, length), mtimeMs: stat.mtimeMs, uid: stat.uid };
  } finally {
    closeSync(fd);
  }
}

/**
 * The first `bytes` bytes of a regular file (fewer when it is shorter), or undefined when the
 * path is missing, not a regular file or unreadable: for sniffing a header (a SQLite database's
 * first 100 bytes) without ever reading the file whole, nor opening anything but a regular file.
 */
export function readFileHead(path: string, bytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openRegularFile(path).fd;
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(bytes);
    let length = 0;
    while (length < bytes) {
      const n = readSync(fd, buf, length, bytes - length, length);
      if (n === 0) break;
      length += n;
    }
    return buf.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * An open descriptor of a regular file and its fstat, never an open of anything else; the caller
 * closes it. Throws UnreadableFileError (missing, not_regular, unreadable).
 */
function openRegularFile(path: string): { fd: number; stat: Stats } {
  // stat before opening: opening a FIFO, even without blocking, releases a writer blocked in its
  // own open (`echo secret > fifo.db`), whose data is then lost when berth closes it unread. A
  // device's open can have effects too. The fstat after the open checks it is the same file.
  let before: Stats;
  try {
    before = statSync(path);
  } catch (err) {
    throw openFailure(path, err);
  }
  if (!before.isFile()) throw new UnreadableFileError(path, 'not_regular', `is ${kindOf(before.mode)}, not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw openFailure(path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.dev !== before.dev || stat.ino !== before.ino) throw new UnreadableFileError(path, 'unreadable', 'it was replaced while berth read it');
    if (!stat.isFile()) throw new UnreadableFileError(path, 'not_regular', `is ${kindOf(stat.mode)}, not a regular file`);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Why a stat or open of the path failed (the two fail alike: both follow the same path). */
function openFailure(path: string, err: unknown): UnreadableFileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UnreadableFileError(path, 'missing', 'no such file');
  if (code === 'ELOOP') return new UnreadableFileError(path, 'unreadable', 'too many levels of symbolic links');
  return new UnreadableFileError(path, 'unreadable', `cannot open it (${code ?? (err as Error).message})`);
}
