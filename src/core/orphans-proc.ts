// What `berth orphans` reads about a process besides its description: its whole initial
// environment (agent markers, BERTH_SESSION, the variables that tell two sessions apart) and its
// resident memory. (The git worktree and branch of its cwd are part of every process's
// description: inspect/git.ts.)
import { readFileSync } from 'node:fs';
import { PROC } from './inspect/procfs.ts';

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
