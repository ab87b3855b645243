// The lock that makes a process the one daemon of a berth home. The daemon always takes a flock
// on $BERTH_HOME/berthd.lock, whatever BERTH_LOCKS says, and on Linux also binds the abstract
// socket daemons before it bound: two clients that disagree on BERTH_LOCKS, or a daemon of an
// older berth still running during an upgrade, can never give a home two daemons. Both are
// released by the kernel when the daemon dies. See docs/decisions/0028-flock-locks.md.
import { join } from 'node:path';
import { tryFlock, flockHolderPids, type HeldLock } from './flock.ts';
import { hasAbstractNamespace } from './lock-kind.ts';
import { abstractHolders, daemonAddress, tryBindAddress } from './named-lock.ts';

/** The daemon's lock file in a home. */
export function daemonLockPath(home: string): string {
  return join(home, 'berthd.lock');
}

/** Takes the daemon lock of the home (both kinds on Linux), or undefined if another daemon holds either. */
export async function takeDaemonLock(home: string): Promise<HeldLock | undefined> {
  const file = await tryFlock(home, daemonLockPath(home));
  if (!file) return undefined;
  if (!hasAbstractNamespace()) return file;
  const socket = await tryBindAddress(daemonAddress(home));
  if (!socket) {
    await file.close();
    return undefined;
  }
  return {
    fd: file.fd,
    close: async () => {
      await socket.close();
      await file.close();
    },
    unref: () => socket.unref(),
  };
}

/** The pid of the daemon holding the home's lock, when it can be found. */
export function daemonLockHolder(home: string): number | undefined {
  return abstractHolders(daemonAddress(home))[0] ?? flockHolderPids(daemonLockPath(home))[0];
}
