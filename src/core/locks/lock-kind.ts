// Which kernel object a named lock is: an abstract Unix socket (Linux only: the namespace does
// not exist on macOS) or an exclusive flock(2) on a file in the home (every Unix). BERTH_LOCKS
// picks one; the default is abstract where the namespace exists, flock elsewhere. Read on every
// use, not cached: the value of the process's environment is the only source.
// See docs/decisions/0028-flock-locks.md.
import { UsageError } from '../errors.ts';

export type LockKind = 'abstract' | 'flock';

/** True where Unix sockets can be bound in the abstract namespace (Linux). */
export function hasAbstractNamespace(): boolean {
  return process.platform === 'linux';
}

/** The lock kind of this process: BERTH_LOCKS, else the platform's default. Throws UsageError (exit 2) on anything else. */
export function lockKind(env: NodeJS.ProcessEnv = process.env): LockKind {
  const value = env.BERTH_LOCKS;
  if (value === undefined || value === '') return hasAbstractNamespace() ? 'abstract' : 'flock';
  if (value === 'flock') return 'flock';
  if (value === 'abstract') {
    if (hasAbstractNamespace()) return 'abstract';
    throw new UsageError(`BERTH_LOCKS=abstract needs Linux's abstract socket namespace, which ${process.platform} does not have`, 'unset BERTH_LOCKS (flock is the default here)');
  }
  throw new UsageError(`invalid BERTH_LOCKS ${JSON.stringify(value)}: use abstract or flock`, 'unset it for the platform default (abstract on Linux, flock elsewhere)');
}
