// Named locks as an exclusive flock(2) on $BERTH_HOME/locks/<escaped name>.lock, for systems
// without Linux's abstract socket namespace (macOS), or when BERTH_LOCKS=flock.
//
// A flock belongs to the open file description, not to a process: it is released when the last
// descriptor of that description is closed, which the kernel does when its last holder dies,
// however it dies. So the guarantees of the socket locks carry over: the descriptor handed to a
// command as fd 3 keeps the lock alive after a SIGKILL of `berth lock`. That same property lets
// a short-lived helper take the lock for us when Node cannot (Node has no flock binding): berth
// opens the file, the helper flocks the inherited descriptor and exits, and the lock stays with
// berth's descriptor. In order: koffi (in-process, when the optional package loads), else perl
// (on every macOS). The lock files are never deleted: removing one while another process has it
// open would let two processes lock two different files of one name.
// See docs/decisions/0028-flock-locks.md.
import { closeSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { ensureHome } from '../home.ts';
import type { FileTarget, FileUse } from '../inspect/backend.ts';
import { inspect } from '../inspect/select.ts';
import { ensurePrivateDir, lstatOrUndefined, openChecked } from '../private-fs.ts';

const LOCK_EX = 2;
const LOCK_NB = 4;
const SUFFIX = '.lock';

/** A lock this process holds, whatever its kind: its descriptor can be handed to a child. */
export interface HeldLock {
  fd: number;
  /** lets go of this process's copy (a child given the fd keeps holding it) */
  close(): Promise<void>;
  /** the lock alone must not keep the event loop alive */
  unref(): void;
}

/** The directory of a home's lock files. */
export function locksDir(home: string): string {
  return join(home, 'locks');
}

/**
 * A lock name as a file name that cannot leave the directory: bytes outside A-Z a-z 0-9 _ -
 * and a '.' that is not the first character become %XX (so '/' is %2F, '#' of a slot %23, and
 * neither '.' nor '..' can be produced).
 */
export function escapeLockName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    const plain = /[A-Za-z0-9_-]/.test(ch) || (ch === '.' && out.length > 0);
    out += plain ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The name a lock file stands for, or undefined for a file berth did not name. */
export function unescapeLockFile(file: string): string | undefined {
  if (!file.endsWith(SUFFIX)) return undefined;
  const escaped = file.slice(0, -SUFFIX.length);
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})(?:[A-Za-z0-9._-]|%[0-9A-F]{2})*$/.test(escaped)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '%') {
      bytes.push(parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(escaped.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The lock file of a name. */
export function lockFilePath(home: string, name: string): string {
  return join(locksDir(home), escapeLockName(name) + SUFFIX);
}

/**
 * Opens (creating it 0600, never through a symlink) a lock file of the home: the home and its
 * locks/ directory are checked (0700, ours) as every state berth writes (private-fs.ts).
 */
export function openLockFile(path: string, home: string): number {
  ensureHome(home);
  ensurePrivateDir(locksDir(home));
  return openChecked(path, constants.O_RDONLY | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
}

/** How the flock is taken: in-process through koffi, or by a helper process (perl). */
export type FlockMethod = 'koffi' | 'perl';

/** Takes an exclusive flock on the file once; undefined if another open file description holds it. */
export async function tryFlock(home: string, path: string, method?: FlockMethod): Promise<HeldLock | undefined> {
  const fd = openLockFile(path, home);
  let locked: boolean;
  try {
    locked = await flockNonBlocking(fd, method);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!locked) {
    closeSync(fd);
    return undefined;
  }
  let closed = false;
  return {
    fd,
    close: async () => {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
    unref: () => {},
  };
}

/** A file lock that could not be taken or asked about for a reason of this machine, not because another process holds it. */
export class FlockUnavailableError extends BerthError {
  constructor(message: string) {
    super('internal', message, { hint: 'install perl (or the koffi package), or on Linux use BERTH_LOCKS=abstract' });
  }
}

/** flock(fd, LOCK_EX | LOCK_NB): true if taken, false if held elsewhere. */
export async function flockNonBlocking(fd: number, method: FlockMethod | undefined = loadFlock() ? 'koffi' : 'perl'): Promise<boolean> {
  if (method === 'koffi') {
    const lib = loadFlock();
    if (!lib) throw new FlockUnavailableError('flock through koffi is not available here');
    if (lib.flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
    const errno = lib.errno();
    if (errno === osConstants.errno.EWOULDBLOCK || errno === osConstants.errno.EAGAIN) return false;
    throw new FlockUnavailableError(`flock failed: errno ${errno}`);
  }
  return flockByPerl(fd);
}

// The helper flocks its stdin (our descriptor, the same open file description) and exits:
// 0 taken, 1 held elsewhere, 2 any other failure.
const PERL_FLOCK = 'use Fcntl qw(:flock); exit(flock(STDIN, LOCK_EX | LOCK_NB) ? 0 : ($!{EWOULDBLOCK} ? 1 : 2));';

function flockByPerl(fd: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = process.getBuiltinModule('node:child_process').spawn('perl', ['-e', PERL_FLOCK], { stdio: [fd, 'ignore', 'ignore'] });
    child.once('error', (err) => reject(new FlockUnavailableError(`cannot take a file lock: neither the koffi package nor perl is available (${err.message})`)));
    child.once('exit', (code) => {
      if (code === 0 || code === 1) resolve(code === 0);
      else reject(new FlockUnavailableError(`perl could not flock the lock file (exit ${code})`));
    });
  });
}

interface FlockLib {
  flock(fd: number, op: number): number;
  errno(): number;
}

let flockLib: FlockLib | null | undefined;

/** libc's flock through koffi, once; null where koffi or the library cannot load. */
function loadFlock(): FlockLib | null {
  if (flockLib !== undefined) return flockLib;
  flockLib = null;
  const libName = process.platform === 'linux' ? 'libc.so.6' : process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : undefined;
  if (libName === undefined) return flockLib;
  try {
    // koffi is CommonJS with a native part: loaded at run time, never bundled
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): (...args: unknown[]) => unknown };
      errno(): number;
    };
    const flock = koffi.load(libName).func('int flock(int, int)') as FlockLib['flock'];
    flockLib = { flock, errno: () => koffi.errno() };
  } catch {
    flockLib = null;
  }
  return flockLib;
}

/** The lock file as the inspection backend is asked about it (a regular file, never followed), or undefined. */
function targetOf(path: string): FileTarget | undefined {
  const st = lstatOrUndefined(path);
  return st === undefined || !st.isFile() ? undefined : { path, dev: st.dev, ino: st.ino };
}

/**
 * The pids holding a lock file, from what the backend says of it: those whose lock it lists
 * (proc: flocks per descriptor, from /proc/locks; portable: lsof's lock letter, kind unknown);
 * where the backend lists no lock at all, undefined: it cannot tell a holder from a process that
 * merely has the file open (macOS lsof does not show every flock).
 */
function lockersOf(use: FileUse): number[] | undefined {
  const lockers = new Set(use.locks.filter((l) => !l.waiting && (l.kind === 'FLOCK' || l.kind === 'UNKNOWN') && l.holder !== null).map((l) => l.holder!));
  if (lockers.size > 0) {
    // A child given the locked descriptor (the command of `berth lock`, fd 3) shares the lock, but
    // lsof (and /proc/locks) name only the process that took it: a child of a locker that has the
    // file open holds it too.
    for (const { pid } of use.opens) if (!lockers.has(pid) && lockers.has(inspect().readStat(pid)?.ppid ?? 0)) lockers.add(pid);
    return [...lockers];
  }
  return inspect().name === 'proc' || use.opens.length === 0 ? [] : undefined;
}

/** True if the lock file is held; false if not (or there is no such file); undefined where the backend cannot tell. */
export function isFlocked(path: string): boolean | undefined {
  const target = targetOf(path);
  if (target === undefined) return false; // never taken under this name
  const lockers = lockersOf(inspect().fileUses([target]).uses[0]!);
  return lockers === undefined ? undefined : lockers.length > 0;
}

/**
 * The pids holding the lock file: those whose lock the backend lists, else, where it lists none
 * but cannot tell, every process with the file open.
 */
export function flockHolderPids(path: string): number[] {
  const target = targetOf(path);
  if (target === undefined) return []; // no such file: never taken
  const use = inspect().fileUses([target]).uses[0]!;
  return lockersOf(use) ?? [...new Set(use.opens.map((o) => o.pid))];
}

/** The pids holding each held lock file of the home, by lock name (one question to the backend for all of them). */
export function flockHolders(home: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let files: string[];
  try {
    files = readdirSync(locksDir(home));
  } catch {
    return out;
  }
  const named: Array<{ name: string; target: FileTarget }> = [];
  for (const file of files) {
    const name = unescapeLockFile(file);
    const target = name === undefined ? undefined : targetOf(join(locksDir(home), file));
    if (name !== undefined && target !== undefined) named.push({ name, target });
  }
  if (named.length === 0) return out;
  const { uses } = inspect().fileUses(named.map((n) => n.target));
  named.forEach(({ name }, i) => {
    const use = uses[i]!;
    const pids = lockersOf(use) ?? [...new Set(use.opens.map((o) => o.pid))];
    if (pids.length > 0) out.set(name, pids);
  });
  return out;
}
