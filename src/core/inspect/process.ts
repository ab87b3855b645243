// What a person needs to know about a process: who runs it, what it runs, where (its cwd and the
// git worktree and branch that is in), since when.
import type { Identity } from '../identity.ts';
import { type GitInfo, readGitInfo } from './git.ts';
import { readProcessUnit, type SystemdUnit } from './units.ts';
import { readArgv, readBootId, readCwd, readStat, readUid, ticksToEpochMs, userName } from './procfs.ts';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  uid: number;
  user: string;
  argv: string[];
  command: string;
  cwd: string | null;
  startedAt: string;
  identity: Identity;
  /** the systemd service it runs in, from its cgroup (null: none, a scope, or no systemd) */
  unit: SystemdUnit | null;
  /** the git worktree its cwd is in and the branch checked out there (null: not in a worktree, or the cwd is unreadable) */
  git: GitInfo | null;
}

/** Reads a process's description; undefined if it has exited. */
export function describeProcess(pid: number): ProcessInfo | undefined {
  const stat = readStat(pid);
  if (stat === undefined) return undefined;
  const argv = readArgv(pid) ?? [];
  const uid = readUid(pid) ?? -1;
  const cwd = readCwd(pid) ?? null;
  return {
    pid,
    ppid: stat.ppid,
    pgid: stat.pgid,
    uid,
    user: uid < 0 ? '?' : userName(uid),
    argv,
    command: argv.length > 0 ? argv.join(' ') : `[${stat.comm}]`,
    cwd,
    startedAt: new Date(ticksToEpochMs(stat.startTicks)).toISOString(),
    identity: { pid, startTicks: stat.startTicks, bootId: readBootId() },
    unit: readProcessUnit(pid),
    git: readGitInfo(cwd),
  };
}
