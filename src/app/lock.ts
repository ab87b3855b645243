// `lock NAME -- CMD`: run a command only while holding a named lock. Acquire-and-run is a CLI
// verb only: the lock is held by the command's own process, which an MCP tool call cannot be.
// Agents list the named locks and their holders instead (inspect.ts listNamedLocks).
import { UsageError } from '../core/errors.ts';
import { exitStatus, runLocked } from '../core/locks/run-locked.ts';
import type { LockHolder } from '../core/locks/named-lock.ts';
import { parseDuration, parseName } from '../core/validate.ts';
import type { Session } from './session.ts';

export type LockResult =
  | { acquired: false; alreadyRunning: true; name: string; holder: LockHolder | null }
  | { acquired: true; name: string; pid: number; exitCode: number | null; signal: string | null; status: number };

export async function runUnderLock(session: Session, input: { name: string; argv: string[]; wait?: string; stdout: 'stdout' | 'stderr' }): Promise<LockResult> {
  const name = parseName(input.name, 'lock name');
  const waitMs = input.wait === undefined ? 0 : parseDuration(input.wait, 'wait');
  const argv = input.argv[0] === '--' ? input.argv.slice(1) : input.argv;
  if (argv.length === 0) throw new UsageError('no command given', 'berth lock NAME -- CMD [ARGS…]');
  const result = await runLocked({ home: session.home, registry: session.registry(), caller: session.caller, name, argv, waitMs, stdout: input.stdout });
  if (!result.acquired) return { ...result, alreadyRunning: true };
  return { ...result, status: exitStatus(result) };
}
