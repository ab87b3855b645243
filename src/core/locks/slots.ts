// Counting semaphores from the same kernel-released locks as `berth lock`: N slots of NAME are
// N abstract socket names NAME#1..NAME#N, and holding one is holding the socket bound to it. A
// holder that dies, however it dies, frees its slot at once; there is no count to go stale.
// '#' is outside the alphabet of names (validate.ts), so a slot never collides with a plain lock.
// A taker asking for N slots tries NAME#1..NAME#N in order and binds the first free one; takers
// that disagree on N share the low slots (a taker with --slots 2 never takes NAME#3).
// See docs/decisions/0021-slots-and-rate-limits.md (fairness: waiters poll with jitter, no queue).
import type { Registry } from '../registry/registry.ts';
import { findLockHolder, type HeldLock, type LockHolder, listHeldLocks, tryBindLock } from './named-lock.ts';

/** The most slots one name can have: each is a socket name to try, so keep the scan short. */
export const MAX_SLOTS = 1024;

const SLOT_RE = /^(.+)#(\d+)$/;

/** The lock name of slot `slot` (1-based) of `name`. */
export function slotLockName(name: string, slot: number): string {
  return `${name}#${slot}`;
}

/** The semaphore and slot a lock name stands for, or undefined for a plain lock. */
export function parseSlotLockName(lockName: string): { name: string; slot: number } | undefined {
  const m = SLOT_RE.exec(lockName);
  return m ? { name: m[1]!, slot: Number(m[2]) } : undefined;
}

export interface HeldSlot {
  held: HeldLock;
  slot: number;
}

/** Tries each of the `slots` slots once, in order; the first free one, or undefined if all are held. */
export async function tryBindSlot(home: string, name: string, slots: number): Promise<HeldSlot | undefined> {
  for (let slot = 1; slot <= slots; slot++) {
    const held = await tryBindLock(home, slotLockName(name, slot));
    if (held) return { held, slot };
  }
  return undefined;
}

/**
 * Takes a free slot, polling until waitMs has passed; undefined if all are still held then.
 * The poll interval is jittered so that waiters released together do not all try at the same
 * instant, which would hand a freed slot to whoever the scheduler favours every time.
 */
export async function acquireSlot(home: string, name: string, slots: number, waitMs = 0, pollMs = 25): Promise<HeldSlot | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const held = await tryBindSlot(home, name, slots);
    if (held || Date.now() >= deadline) return held;
    await pauseJittered(pollMs, deadline);
  }
}

/** One jittered poll interval (pollMs/2 to 3·pollMs/2), cut short at the deadline. */
export function pauseJittered(pollMs: number, deadline: number): Promise<void> {
  const jittered = pollMs / 2 + Math.random() * pollMs;
  return new Promise((r) => setTimeout(r, Math.min(jittered, Math.max(1, deadline - Date.now()))));
}

export interface SlotHolder extends LockHolder {
  /** the slot it holds, 1-based */
  slot: number;
}

/** Holders of slots 1..slots of `name` right now (waiting for records being written, as for locks). */
export async function findSlotHolders(home: string, registry: Registry | undefined, name: string, slots: number, settleMs?: number): Promise<SlotHolder[]> {
  const out: SlotHolder[] = [];
  for (let slot = 1; slot <= slots; slot++) {
    const holder = await findLockHolder(home, registry, slotLockName(name, slot), settleMs);
    if (holder) out.push({ ...holder, name, slot });
  }
  return out;
}

/** Every held lock of this home, plain locks and slots apart. */
export function listHeldLocksAndSlots(home: string, registry: Registry | undefined): { named: LockHolder[]; slots: SlotHolder[] } {
  const named: LockHolder[] = [];
  const slots: SlotHolder[] = [];
  for (const holder of listHeldLocks(home, registry)) {
    const slot = parseSlotLockName(holder.name);
    if (slot) slots.push({ ...holder, name: slot.name, slot: slot.slot });
    else named.push(holder);
  }
  slots.sort((a, b) => a.name.localeCompare(b.name) || a.slot - b.slot);
  return { named, slots };
}
