// Running the command a berth verb guards (`berth lock`, `berth rate`): berth stays its parent,
// passes on the signals a user sends it (Ctrl-C, a TERM from a supervisor) to the command only
// after re-checking the command's identity, and reports how it ended. One place, so the lock and
// the rate limiter cannot drift apart in how they run a command.
import { spawn } from 'node:child_process';
import { type Identity, readIdentity } from '../identity.ts';
import { awaitSpawn } from '../spawn.ts';
import { signalProcess } from '../signal.ts';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface GuardedChild {
  pid: number;
  identity: Identity;
  /** resolves when the command ends */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts argv with berth's stdin and stderr, and stdout on berth's stdout or stderr (to keep
 * stdout for a JSON document); `fd`, if given, is handed to the command as its fd 3 (a held lock
 * socket, so the command holds the lock itself). Throws CommandFailedToStartError.
 */
export async function startGuarded(argv: string[], opts: { stdout?: 'stdout' | 'stderr'; fd?: number } = {}): Promise<GuardedChild> {
  const command = argv.join(' ');
  const stdio: Array<'inherit' | number> = ['inherit', opts.stdout === 'stderr' ? 2 : 'inherit', 'inherit'];
  if (opts.fd !== undefined) stdio.push(opts.fd);
  const child = spawn(argv[0]!, argv.slice(1), { stdio });
  const exitedRaw = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (exitCode, signal) => resolve({ exitCode, signal })),
  );
  const pid = await awaitSpawn(child, command);
  const identity = readIdentity(pid) ?? { pid, startTicks: 0, bootId: '' };
  const forward = (signal: NodeJS.Signals): void => {
    try {
      signalProcess(identity, signal as 'SIGTERM');
    } catch {
      // already gone
    }
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  const exited = exitedRaw.then((r) => {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    return r;
  });
  return { pid, identity, exited };
}
