// What a person needs to know about a process: who runs it, what it runs, where (its cwd and the
// git worktree and branch that is in), since when.
import type { Identity } from '../identity.ts';
import { type GitInfo, readGitInfo } from './git.ts';
import { inspect, ticksToEpochMs } from './select.ts';
import type { SystemdUnit } from './units.ts';
import { userName } from './users.ts';

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
  const backend = inspect();
  const stat = backend.readStat(pid);
  if (stat === undefined) return undefined;
  const argv = backend.readArgv(pid) ?? [];
  const uid = backend.readUids(pid)?.[0] ?? -1;
  const cwd = backend.readCwd(pid) ?? null;
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
    identity: { pid, startTicks: stat.startTicks, bootId: backend.bootId() },
    unit: backend.processUnit(pid),
    git: readGitInfo(cwd),
  };
}
