// `berth lock NAME -- CMD`: run a command only while holding a named lock.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { readIdentity } from '../identity.ts';
import { awaitSpawn } from '../spawn.ts';
import type { Caller } from '../owner.ts';
import type { Registry } from '../registry/registry.ts';
import { signalProcess } from '../signal.ts';
import { acquireLock, findLockHolder, forgetLockHolder, type LockHolder, recordLockHolder } from './named-lock.ts';

export interface RunLockedOptions {
  home: string;
  registry: Registry;
  caller: Caller;
  name: string;
  argv: string[];
  waitMs?: number;
  /** where the command's stdout goes: berth's stdout, or its stderr (to keep stdout for JSON) */
  stdout?: 'stdout' | 'stderr';
}

export type RunLockedResult =
  | { acquired: false; name: string; holder: LockHolder | null }
  | { acquired: true; name: string; pid: number; exitCode: number | null; signal: string | null };

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runLocked(opts: RunLockedOptions): Promise<RunLockedResult> {
  const held = await acquireLock(opts.home, opts.name, opts.waitMs ?? 0);
  if (!held) return { acquired: false, name: opts.name, holder: (await findLockHolder(opts.home, opts.registry, opts.name)) ?? null };

  const command = opts.argv.join(' ');
  // The child gets the lock socket as fd 3, so it holds the lock itself: if this berth process
  // is killed, even with SIGKILL, the lock lives on until the command ends. We keep our copy
  // too, so a command that closes inherited fds still runs under the lock while we live.
  const child = spawn(opts.argv[0]!, opts.argv.slice(1), {
    stdio: ['inherit', opts.stdout === 'stderr' ? 2 : 'inherit', 'inherit', held.fd],
  });
  let pid: number;
  try {
    pid = await awaitSpawn(child, command);
  } catch (err) {
    await held.close();
    throw err;
  }
  const identity = readIdentity(pid) ?? { pid, startTicks: 0, bootId: '' };
  recordLockHolder(opts.registry, opts.caller, opts.name, identity, command);

  const forward = (signal: NodeJS.Signals): void => {
    try {
      signalProcess(identity, signal as 'SIGTERM');
    } catch {
      // already gone
    }
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, sig) => resolve([code, sig])),
  );
  for (const s of FORWARDED_SIGNALS) process.off(s, forward);
  await held.close();
  forgetLockHolder(opts.registry, opts.caller, opts.name, identity, { exitCode, signal });
  return { acquired: true, name: opts.name, pid, exitCode, signal };
}

/** The shell convention for a command's status: its exit code, or 128 + the signal number. */
export function exitStatus(result: { exitCode: number | null; signal: string | null }): number {
  if (result.exitCode !== null) return result.exitCode;
  const num = result.signal ? (constants.signals as Record<string, number>)[result.signal] : undefined;
  return 128 + (num ?? 0);
}
