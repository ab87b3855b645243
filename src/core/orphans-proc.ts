// What `berth orphans` reads about a process besides its description: its whole initial
// environment (agent markers, BERTH_SESSION, the variables that tell two sessions apart) and its
// resident memory. (The git worktree and branch of its cwd are part of every process's
// description: inspect/git.ts.)
import { inspect } from './inspect/select.ts';

/** The initial environment of a process (our own user's only) as a Map, or undefined when unreadable. */
export function readEnvironMap(pid: number): Map<string, string> | undefined {
  const env = inspect().readEnviron(pid);
  return env === undefined ? undefined : new Map(Object.entries(env));
}

/** Resident memory in bytes, or null when unknown. */
export function readRssBytes(pid: number): number | null {
  return inspect().readRssBytes(pid);
}
