// Where berth keeps its state: $BERTH_HOME, else $XDG_STATE_HOME/berth, else the platform's
// place for a program's own state: ~/.local/state/berth (the XDG default; Linux and other Unixes)
// and on macOS ~/Library/Application Support/berth, unless a ~/.local/state/berth is already
// there (a home is never moved: services, leases and logs live in it). Decision 0029.
// The home is private: berth creates it (and any missing parent, as the XDG spec asks) with
// mode 0700, and refuses an existing one that is not a directory of the current user that only
// that user can write, or a symlink to such a thing. It never changes the mode of a directory
// it finds (BERTH_HOME=/tmp must not lock other users out of /tmp). Read-only verbs only
// look (checkHome): they never create it. See docs/decisions/0008-private-state.md.
import { accessSync, constants, lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { HomeUnsafeError, HomeUnwritableError, isErrno } from './errors.ts';
import { currentUid, ensurePrivateDir, unsafeDirReason } from './private-fs.ts';

export function resolveHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.BERTH_HOME) return resolve(env.BERTH_HOME);
  if (env.XDG_STATE_HOME) return resolve(env.XDG_STATE_HOME, 'berth');
  const user = env.HOME || homedir();
  const xdg = join(user, '.local', 'state', 'berth');
  if (platform !== 'darwin' || isThere(xdg)) return xdg;
  return join(user, 'Library', 'Application Support', 'berth');
}

/** Whether anything is at path (a link included); checkHome judges what it is. */
function isThere(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks at the home without creating anything: 'missing' if there is none (or it cannot be
 * there: a parent is a file, or a path under /proc), 'ok' if it is safe to use; throws
 * HomeUnsafeError if something berth must not use is there.
 */
export function checkHome(home: string): 'missing' | 'ok' {
  let link: Stats;
  try {
    link = lstatSync(home);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return 'missing';
    throw new HomeUnwritableError(home, err);
  }
  let st = link;
  if (link.isSymbolicLink()) {
    // A link another user planted (e.g. in /tmp) could be re-pointed at any time.
    if (link.uid !== currentUid()) throw new HomeUnsafeError(home, 'other_owner', 'it is a symbolic link that belongs to another user');
    try {
      st = statSync(home);
    } catch (err) {
      throw new HomeUnsafeError(home, 'symlink', `it is a symbolic link to nothing (${isErrno(err) ? err.code : String(err)})`);
    }
  }
  const reason = unsafeDirReason(st);
  if (reason !== undefined) throw new HomeUnsafeError(home, reason);
  return 'ok';
}

/** Creates the home (0700) if needed; checks that it is a safe directory this user can write. */
export function ensureHome(home: string): void {
  if (checkHome(home) === 'missing') createHome(home);
  try {
    accessSync(home, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new HomeUnwritableError(home, err);
  }
}

function createHome(home: string): void {
  // mkdir -p by hand: Node's recursive mkdir loops forever on a path it can never create
  // (BERTH_HOME=/proc/xyz). Each missing directory is made once, 0700, or the call fails.
  const missing: string[] = [home];
  for (let dir = dirname(home); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      lstatSync(dir);
      break;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) break;
      missing.unshift(dir);
    }
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      // made meanwhile by a concurrent berth (checkHome below judges what is there)
      if (!isErrno(err, 'EEXIST')) throw new HomeUnwritableError(home, err);
    }
  }
  if (checkHome(home) === 'missing') throw new HomeUnwritableError(home, 'it vanished as it was created');
}

/**
 * The directory for Node's compile cache, or undefined: only inside a home that already exists
 * and is safe (the cache must neither create the home nor make it readable by others).
 */
export function compileCacheDir(home: string): string | undefined {
  try {
    if (checkHome(home) !== 'ok') return undefined;
    const dir = join(home, 'cache', 'compile');
    ensurePrivateDir(join(home, 'cache'));
    ensurePrivateDir(dir);
    return dir;
  } catch {
    return undefined;
  }
}

export function registryPath(home: string): string {
  return join(home, 'berth.db');
}
