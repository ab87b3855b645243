// The git worktree and branch a directory is in, read from the files git keeps (.git, HEAD),
// never by running git: `ports` describes every holder on the host, and a spawn per holder would
// cost more than the whole walk (docs/benchmarks.md). One module for every reader: projects take
// their name from the worktree's top (gitTopOf), who/ports/locks/orphans show its branch.
//
// The files are another user's or another program's, so they are read as hostile: a .git or
// HEAD that is a FIFO, a device or a huge file is read bounded and without blocking
// (bounded-read.ts), and a `gitdir:` pointer into /proc, /sys or /dev is not followed (a pointer
// to /proc/self/cwd would name berth's own branch, not the holder's). Answers are cached per
// directory for a short time, so a listing reads each distinct cwd's files once and a daemon
// serving a live page does not re-read them every second.
import { lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readBoundedText } from '../bounded-read.ts';

/** The most berth reads of a .git pointer file or a HEAD: both are one short line. */
const GIT_FILE_MAX_BYTES = 4096;
/** How long an answer about a directory is reused (a branch switched is seen after at most this). */
export const GIT_CACHE_TTL_MS = 2000;
/** Past this many cached directories the cache starts over: a bound on memory, not a tuning knob. */
const GIT_CACHE_MAX_ENTRIES = 4096;
/** Symbolic links followed in one path before giving up, as the kernel's ELOOP does. */
const MAX_SYMLINK_HOPS = 40;
/** Git's shortest abbreviated commit id. */
const SHORT_COMMIT_LENGTH = 7;
/** Pseudo-filesystems whose files are the reader's view (its own /proc/self), never a repository. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

export interface GitInfo {
  /** the worktree's top directory: the nearest ancestor holding `.git` (a directory, or a file `gitdir: …`) */
  worktree: string;
  /** the checked-out branch; the short commit id when HEAD is detached; null when HEAD is unreadable or names neither */
  branch: string | null;
  /** HEAD names a commit, not a branch: `branch` is then its short id */
  detached: boolean;
}

/** Reads git worktrees and branches with a per-directory cache; the clock is passed in for tests. */
export class GitReader {
  readonly #cache = new Map<string, { at: number; info: GitInfo | null }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(opts: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = opts.ttlMs ?? GIT_CACHE_TTL_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** The git worktree and branch around dir, or null when dir is in no worktree (or is not an absolute path). */
  read(dir: string | null): GitInfo | null {
    if (dir === null || !isAbsolute(dir)) return null;
    const now = this.#now();
    const hit = this.#cache.get(dir);
    if (hit !== undefined && now - hit.at < this.#ttlMs) return hit.info;
    const found = findDotGit(resolve(dir));
    const info = found === undefined ? null : { worktree: found.top, ...parseHead(readHead(found.top, found.dotGit)) };
    if (this.#cache.size >= GIT_CACHE_MAX_ENTRIES) this.#cache.clear();
    this.#cache.set(dir, { at: now, info });
    return info;
  }
}

const shared = new GitReader();

/** The git worktree and branch around dir, through the process-wide cache (GIT_CACHE_TTL_MS). */
export function readGitInfo(dir: string | null): GitInfo | null {
  return shared.read(dir);
}

/** The top of the git worktree around dir (the directory holding `.git`), read without spawning git and never cached. */
export function gitTopOf(dir: string): string | undefined {
  return findDotGit(resolve(dir))?.top;
}

/** The nearest ancestor of dir (itself included) holding a `.git`, as existsSync sees one: a dangling or unreadable .git is none. */
function findDotGit(dir: string): { top: string; dotGit: Stats } | undefined {
  if (inPseudoFs(dir)) return undefined;
  for (let current = dir; ; ) {
    const dotGit = statOrUndefined(join(current, '.git'));
    if (dotGit !== undefined) return { top: current, dotGit };
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The text of the worktree's HEAD, or undefined when its git directory or HEAD cannot be read safely. */
function readHead(top: string, dotGit: Stats): string | undefined {
  // a directory: the main worktree; a file: a linked worktree or a submodule naming its gitdir;
  // anything else (a FIFO, a socket): a top whose branch cannot be read
  const path = join(top, '.git');
  const real = isSymlink(path) ? resolveOutsidePseudoFs(path) : path;
  if (real === undefined) return undefined;
  const gitDir = dotGit.isDirectory() ? real : dotGit.isFile() ? followPointer(real, top) : undefined;
  if (gitDir === undefined) return undefined;
  const head = join(gitDir, 'HEAD');
  const headReal = isSymlink(head) ? resolveOutsidePseudoFs(head) : head;
  return headReal === undefined ? undefined : readSmall(headReal);
}

/** The gitdir a `.git` file points to, or undefined when it is unreadable, malformed, not a directory or in a pseudo-filesystem. */
function followPointer(file: string, base: string): string | undefined {
  const text = readSmall(file);
  const target = text === undefined ? undefined : /^gitdir:[ \t]*(.+?)[ \t]*$/m.exec(text)?.[1];
  if (target === undefined) return undefined;
  const gitDir = resolveOutsidePseudoFs(isAbsolute(target) ? target : `${base}/${target}`);
  return gitDir !== undefined && statOrUndefined(gitDir)?.isDirectory() === true ? gitDir : undefined;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The physical path of an absolute path, component by component, or undefined when it passes
 * through /proc, /sys or /dev on the way (realpath alone would not tell: it turns the magic link
 * /proc/self/cwd into the reader's own directory), is missing, or loops.
 */
function resolveOutsidePseudoFs(path: string): string | undefined {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.');
  let current = '/';
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    if (inPseudoFs(next)) return undefined;
    let link: string | undefined;
    try {
      link = lstatSync(next).isSymbolicLink() ? readlinkSync(next) : undefined;
    } catch {
      return undefined;
    }
    if (link === undefined) {
      current = next;
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return undefined;
    pending.unshift(...link.split('/').filter((p) => p !== '' && p !== '.'));
    if (link.startsWith('/')) current = '/';
  }
  return current;
}

function inPseudoFs(path: string): boolean {
  return PSEUDO_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

/** HEAD's meaning: `ref: refs/heads/NAME` is branch NAME, a bare commit id is a detached HEAD. */
export function parseHead(text: string | undefined): { branch: string | null; detached: boolean } {
  if (text === undefined) return { branch: null, detached: false };
  const line = text.split('\n', 1)[0]!.trim();
  const ref = /^ref:\s*refs\/heads\/(.+)$/.exec(line)?.[1];
  // a branch name with a control character is no branch git would make: shown as unknown, never printed raw
  if (ref !== undefined) return /[\u0000-\u001f\u007f]/.test(ref) ? { branch: null, detached: false } : { branch: ref, detached: false };
  if (/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(line)) return { branch: line.slice(0, SHORT_COMMIT_LENGTH), detached: true };
  return { branch: null, detached: false };
}

function readSmall(path: string): string | undefined {
  try {
    return readBoundedText(path, GIT_FILE_MAX_BYTES);
  } catch {
    return undefined;
  }
}
