// `lock NAME [--slots N] -- CMD`: run a command only while holding a named lock, or one of N
// slots of a named semaphore. Acquire-and-run is a CLI verb only: the lock is held by the
// command's own process, which an MCP tool call cannot be. Agents list the named locks, the
// slots and their holders instead (inspect.ts listNamedLocks, listSlots).
import { BerthError, EXIT, UsageError } from '../core/errors.ts';
import { exitStatus, runLocked } from '../core/locks/run-locked.ts';
import type { LockHolder } from '../core/locks/named-lock.ts';
import { MAX_SLOTS, type SlotHolder } from '../core/locks/slots.ts';
import { parseCount, parseDuration, parseName } from '../core/validate.ts';
import type { Session } from './session.ts';

export type LockResult =
  | { acquired: false; alreadyRunning: true; name: string; holder: LockHolder | null }
  | { acquired: false; alreadyRunning: true; name: string; slots: number; holders: SlotHolder[] }
  | { acquired: true; name: string; pid: number; exitCode: number | null; signal: string | null; status: number }
  | { acquired: true; name: string; slots: number; slot: number; pid: number; exitCode: number | null; signal: string | null; status: number };

/** `lock --wait D` ran out: the lock (or every slot) is still held, and CMD did not run. */
export class LockWaitTimeoutError extends BerthError {
  constructor(name: string, waitMs: number, held: { holder: LockHolder | null } | { slots: number; holders: SlotHolder[] }) {
    const slotted = 'slots' in held;
    const holders = slotted ? held.holders : held.holder ? [held.holder] : [];
    const by = holders.length > 0 ? ` by ${holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ')}` : '';
    const what = !slotted ? `the lock "${name}" is` : held.slots === 1 ? `the 1 slot of "${name}" is` : `all ${held.slots} slots of "${name}" are`;
    super(slotted ? 'slot_busy' : 'lock_held', `waited ${waitMs} ms: ${what} still held${by}; the command did not run`, {
      hint: 'wait longer (--wait), or see who holds it: berth locks',
      exitCode: EXIT.conflict,
      details: { name, waitMs, ...(slotted ? { slots: held.slots } : {}), holders },
    });
  }
}

/** The command after an optional `--`; an empty one is a usage error naming `usage`. */
export function commandArgv(argv: string[], usage: string): string[] {
  const rest = argv[0] === '--' ? argv.slice(1) : argv;
  if (rest.length === 0) throw new UsageError('no command given', usage);
  return rest;
}

export async function runUnderLock(session: Session, input: { name: string; argv: string[]; wait?: string; slots?: string | number; stdout: 'stdout' | 'stderr' }): Promise<LockResult> {
  const name = parseName(input.name, 'lock name');
  const waitMs = input.wait === undefined ? 0 : parseDuration(input.wait, 'wait');
  const slots = input.slots === undefined ? undefined : parseCount(String(input.slots), 'slots', { min: 1, max: MAX_SLOTS });
  const argv = commandArgv(input.argv, 'berth lock NAME [--slots N] -- CMD [ARGS…]');
  const result = await runLocked({ home: session.home, registry: session.registry(), caller: session.caller, name, argv, waitMs, stdout: input.stdout, ...(slots === undefined ? {} : { slots }) });
  if (!result.acquired) {
    // with --wait, the caller asked for the lock and did not get it: a failure, CMD never ran;
    // without, "already running" is the answer a singleton cron job wants (exit 0)
    if (input.wait !== undefined) throw new LockWaitTimeoutError(name, waitMs, 'holders' in result ? { slots: result.slots, holders: result.holders } : { holder: result.holder });
    return { ...result, alreadyRunning: true };
  }
  return { ...result, status: exitStatus(result) };
}
