// `berth lock NAME [--slots N] -- CMD`: run a command only while holding a named lock, or one
// of N slots of a named semaphore (slots.ts).
import { constants } from 'node:os';
import type { Caller } from '../owner.ts';
import type { Registry } from '../registry/registry.ts';
import { acquireLock, findLockHolder, forgetLockHolder, type HeldLock, type LockHolder, recordLockHolder } from './named-lock.ts';
import { startGuarded } from './run-child.ts';
import { acquireSlot, findSlotHolders, type SlotHolder, slotLockName } from './slots.ts';

export interface RunLockedOptions {
  home: string;
  registry: Registry;
  caller: Caller;
  name: string;
  argv: string[];
  waitMs?: number;
  /** take one of this many slots of NAME instead of the lock NAME */
  slots?: number;
  /** where the command's stdout goes: berth's stdout, or its stderr (to keep stdout for JSON) */
  stdout?: 'stdout' | 'stderr';
}

export type RunLockedResult =
  | { acquired: false; name: string; holder: LockHolder | null }
  | { acquired: false; name: string; slots: number; holders: SlotHolder[] }
  | { acquired: true; name: string; pid: number; exitCode: number | null; signal: string | null }
  | { acquired: true; name: string; slots: number; slot: number; pid: number; exitCode: number | null; signal: string | null };

export async function runLocked(opts: RunLockedOptions): Promise<RunLockedResult> {
  let held: HeldLock;
  let lockName: string;
  let slot: { slots: number; slot: number } | undefined;
  if (opts.slots === undefined) {
    const taken = await acquireLock(opts.home, opts.name, opts.waitMs ?? 0);
    if (!taken) return { acquired: false, name: opts.name, holder: (await findLockHolder(opts.home, opts.registry, opts.name)) ?? null };
    [held, lockName] = [taken, opts.name];
  } else {
    const taken = await acquireSlot(opts.home, opts.name, opts.slots, opts.waitMs ?? 0);
    if (!taken) return { acquired: false, name: opts.name, slots: opts.slots, holders: await findSlotHolders(opts.home, opts.registry, opts.name, opts.slots) };
    [held, lockName, slot] = [taken.held, slotLockName(opts.name, taken.slot), { slots: opts.slots, slot: taken.slot }];
  }

  // The child gets the lock socket as fd 3, so it holds the lock itself: if this berth process
  // is killed, even with SIGKILL, the lock lives on until the command ends. We keep our copy
  // too, so a command that closes inherited fds still runs under the lock while we live.
  let child;
  try {
    child = await startGuarded(opts.argv, { fd: held.fd, ...(opts.stdout ? { stdout: opts.stdout } : {}) });
  } catch (err) {
    await held.close();
    throw err;
  }
  recordLockHolder(opts.registry, opts.caller, lockName, child.identity, opts.argv.join(' '));
  const { exitCode, signal } = await child.exited;
  await held.close();
  forgetLockHolder(opts.registry, opts.caller, lockName, child.identity, { exitCode, signal });
  return { acquired: true, name: opts.name, ...slot, pid: child.pid, exitCode, signal };
}

/** The shell convention for a command's status: its exit code, or 128 + the signal number. */
export function exitStatus(result: { exitCode: number | null; signal: string | null }): number {
  if (result.exitCode !== null) return result.exitCode;
  const num = result.signal ? (constants.signals as Record<string, number>)[result.signal] : undefined;
  return 128 + (num ?? 0);
}
