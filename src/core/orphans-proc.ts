// What `berth orphans` reads about a process besides its description: its whole initial
// environment (agent markers, BERTH_SESSION, the variables that tell two sessions apart) and its
// resident memory. (The git worktree and branch of its cwd are part of every process's
// description: inspect/git.ts.)
import { readFileSync } from 'node:fs';
import { PROC, readEnviron } from './inspect/procfs.ts';

/** The initial environment of a process (our own user's only) as a Map, or undefined when unreadable. */
export function readEnvironMap(pid: number): Map<string, string> | undefined {
  const env = readEnviron(pid);
  return env === undefined ? undefined : new Map(Object.entries(env));
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
