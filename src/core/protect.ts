// The processes berth must never stop, gathered in one guard that every stop goes through:
// pid 1, berth itself and its ancestors, other users' processes (signal.ts), the process that
// asked and its ancestors (an eviction must not hit its requester, e.g. `server | berth run …`
// puts both in one process group), and berth's own machinery for this home: its daemon (found by
// the abstract socket it holds) and any process using its registry (berth.db and its WAL files),
// so that `berth free $BERTH_HOME/logs/berthd.log` cannot take berth down.
import { realpathSync } from 'node:fs';
import { SignalRefusedError } from './errors.ts';
import { registryPath } from './home.ts';
import { inspect } from './inspect/select.ts';
import { abstractHolders, daemonAddress } from './locks/named-lock.ts';
import { daemonLockPath } from './locks/daemon-lock.ts';
import { assertSignallable } from './signal.ts';
import type { Guard } from './supervisor/process-tree.ts';

export interface GuardOptions {
  /** the berth home whose daemon and registry users are protected */
  home?: string;
  /** the requester and its ancestors */
  protect?: readonly number[];
}

/** The refusal for one pid, or undefined when berth may signal it. */
export function refusalFor(pid: number, opts: GuardOptions, isBerth: BerthCheck = berthProcessCheck(opts.home)): SignalRefusedError | undefined {
  // berth's own machinery is named as such first: inside the daemon (which frees and evicts when
  // it runs) the daemon is also "self", and the more specific reason is the one that helps
  const berth = pid > 1 ? isBerth(pid) : undefined;
  if (berth === undefined) {
    try {
      assertSignallable(pid);
    } catch (err) {
      if (err instanceof SignalRefusedError) return err;
      throw err;
    }
    if (opts.protect?.includes(pid)) return new SignalRefusedError(pid, 'requester', 'it is the process that asked, or one of its ancestors');
  }
  if (berth === 'daemon') return new SignalRefusedError(pid, 'daemon', `it is berth's daemon for ${opts.home}`);
  if (berth === 'registry') return new SignalRefusedError(pid, 'registry', `it has berth's registry open (${registryPath(opts.home!)}): berth itself, or a program using berth's library`);
  return undefined;
}

/** A guard for stopProcesses: the reason a pid is spared, or undefined. */
export function signalGuard(opts: GuardOptions): Guard {
  const isBerth = berthProcessCheck(opts.home);
  return (pid) => refusalFor(pid, opts, isBerth)?.why;
}

/** Is this pid berth's daemon for the home, or a process with its registry open? */
export type BerthCheck = (pid: number) => 'daemon' | 'registry' | undefined;

export function berthProcessCheck(home: string | undefined): BerthCheck {
  if (home === undefined) return () => undefined;
  // the backend names open files by their real path (lsof): a home reached through a symlink
  // (macOS's /tmp and /var/folders are) is matched under both names
  const homes = [...new Set([home, realHome(home)])];
  const files = new Set(homes.flatMap((h) => [registryPath(h), `${registryPath(h)}-wal`, `${registryPath(h)}-shm`, `${registryPath(h)}-journal`]));
  const lockFiles = homes.map(daemonLockPath);
  let daemonPids: number[] | undefined;
  return (pid) => {
    daemonPids ??= abstractHolders(daemonAddress(home));
    if (daemonPids.includes(pid)) return 'daemon';
    const paths = inspect().openPathsOf(pid) ?? [];
    // the daemon's singleton lock file (held on every platform: locks/daemon-lock.ts)
    if (lockFiles.some((f) => paths.includes(f))) return 'daemon';
    return paths.some((path) => files.has(path)) ? 'registry' : undefined;
  };
}

function realHome(home: string): string {
  try {
    return realpathSync(home);
  } catch {
    return home;
  }
}

