// What `berth orphans` reads about a process besides its description: its whole initial
// environment (agent markers, BERTH_SESSION, the variables that tell two sessions apart), its
// resident memory, and the git worktree and branch of its cwd. The worktree is read from the
// files (.git, HEAD), not by running git: a listing walks every holder on the host, and a
// spawn per holder would cost more than the whole walk. The git files are read bounded: a
// hostile .git file must not make berth read gigabytes.
import { lstatSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readBoundedText } from './bounded-read.ts';
import { PROC } from './inspect/procfs.ts';
import { gitTopOf } from './project.ts';

const GIT_FILE_MAX_BYTES = 4096;

/** The initial environment of a process (our own user's only), or undefined when unreadable. */
export function readEnviron(pid: number): Map<string, string> | undefined {
  // /proc files are the kernel's (bounded by it), not a path a user points berth at
  let text: string;
  try {
    text = readFileSync(`${PROC}/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const env = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** Resident memory in bytes (VmRSS of /proc/PID/status), or null when unknown. */
export function readRssBytes(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`${PROC}/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

export interface Worktree {
  /** the worktree's top directory (where its .git is) */
  top: string;
  /** the checked-out branch, or null when HEAD is detached or unreadable */
  branch: string | null;
}

/**
 * The git worktree a directory is in (its top, as projects find it: gitTopOf), and the branch
 * its HEAD names: .git is a directory (the main worktree) or a file `gitdir: PATH` (a linked
 * worktree or a submodule).
 */
export function findWorktree(dir: string | null): Worktree | null {
  if (dir === null || !isAbsolute(dir)) return null;
  const top = gitTopOf(dir);
  if (top === undefined) return null;
  const dotGit = join(top, '.git');
  let gitDir: string | undefined;
  try {
    const st = lstatSync(dotGit);
    gitDir = st.isDirectory() ? dotGit : st.isFile() ? readGitDirPointer(dotGit, top) : undefined;
  } catch {
    gitDir = undefined;
  }
  return { top, branch: gitDir === undefined ? null : readBranch(gitDir) };
}

function readGitDirPointer(file: string, base: string): string | undefined {
  const text = readSmall(file);
  const target = text === undefined ? undefined : /^gitdir:\s*(.+?)\s*$/m.exec(text)?.[1];
  return target === undefined ? undefined : resolve(base, target);
}

function readBranch(gitDir: string): string | null {
  const head = readSmall(join(gitDir, 'HEAD'));
  return head === undefined ? null : (/^ref:\s*refs\/heads\/(.+?)\s*$/m.exec(head)?.[1] ?? null);
}

function readSmall(path: string): string | undefined {
  try {
    return readBoundedText(path, GIT_FILE_MAX_BYTES);
  } catch {
    return undefined;
  }
}
