// The slots a service declares in berth.yaml (`slots: {gpu: 1}`): one slot of each named
// semaphore (slots.ts), taken by the daemon before the service starts and handed to its leader
// as inherited fds, so that the service's own tree holds them, not the daemon: they are freed by
// the kernel when the tree exits, however it exits (SIGKILL, a crash of the daemon too), and a
// new daemon has nothing to take over. The daemon closes its copies right after the spawn.
// All or nothing: a service that gets `gpu` but not `api` lets `gpu` go again before it waits,
// so two services declaring both in any order never hold one each and wait forever.
// See docs/decisions/0021-slots-and-rate-limits.md ("slots: in berth.yaml").
import { BerthError, EXIT } from '../errors.ts';
import type { Identity } from '../identity.ts';
import type { Caller } from '../owner.ts';
import type { Registry } from '../registry/registry.ts';
import { recordLockHolder } from './named-lock.ts';
import { findSlotHolders, type HeldSlot, pauseJittered, type SlotHolder, slotLockName, tryBindSlot } from './slots.ts';

/** One slot a service now holds. */
export interface TakenSlot {
  name: string;
  slots: number;
  held: HeldSlot;
}

/** The slot groups a service declares (name → how many slots the group has), in a fixed order. */
export type SlotDemand = Record<string, number>;

/** Every declared slot is held by others: the service did not start. */
export class SlotBusyError extends BerthError {
  constructor(service: string, name: string, slots: number, holders: SlotHolder[], waitedMs: number) {
    const by = holders.length > 0 ? holders.map((h) => `${h.name}#${h.slot} by pid ${h.pid} (${h.command})`).join(', ') : 'other processes';
    super('slot_busy', `cannot start "${service}": all ${slots} slot${slots === 1 ? '' : 's'} of ${name} are held (${by})${waitedMs > 0 ? `; waited ${Math.round(waitedMs / 1000)}s` : ''}`, {
      hint: `wait longer (berth up --timeout), or stop a holder; see: berth locks`,
      exitCode: EXIT.conflict,
      details: { service, slot: name, slots, holders, waitedMs },
    });
  }
}

/** Tries once to take one slot of every group; all of them, or none (what it took is let go). */
async function tryTakeAll(home: string, demand: SlotDemand): Promise<{ taken: TakenSlot[] } | { busy: string }> {
  const taken: TakenSlot[] = [];
  for (const name of Object.keys(demand).sort()) {
    const slots = demand[name]!;
    const held = await tryBindSlot(home, name, slots);
    if (!held) {
      await releaseSlots(taken);
      return { busy: name };
    }
    taken.push({ name, slots, held });
  }
  return { taken };
}

/**
 * Takes one slot of each declared group, polling (jittered, as `berth lock --wait`) until
 * waitMs has passed; throws SlotBusyError naming the holders of the group still full then.
 * onWait is told once, when the first try finds a group full.
 */
export async function takeServiceSlots(
  home: string,
  registry: Registry | undefined,
  service: string,
  demand: SlotDemand,
  waitMs: number,
  onWait?: (name: string, holders: SlotHolder[]) => void,
  pollMs = 25,
): Promise<TakenSlot[]> {
  const t0 = Date.now();
  const deadline = t0 + waitMs;
  let told = false;
  for (;;) {
    const attempt = await tryTakeAll(home, demand);
    if ('taken' in attempt) return attempt.taken;
    const name = attempt.busy;
    if (Date.now() >= deadline) throw new SlotBusyError(service, name, demand[name]!, await findSlotHolders(home, registry, name, demand[name]!, 0), Date.now() - t0);
    if (!told && onWait) {
      told = true;
      onWait(name, await findSlotHolders(home, registry, name, demand[name]!, 0));
    }
    await pauseJittered(pollMs, deadline);
  }
}

/** The fds to hand to the service's leader (its fds 3, 4, …). */
export function slotFds(taken: TakenSlot[]): number[] {
  return taken.map((t) => t.held.held.fd);
}

/** Closes the daemon's copies: after the spawn the service's tree holds the slots alone. */
export async function releaseSlots(taken: TakenSlot[]): Promise<void> {
  await Promise.all(taken.map((t) => t.held.held.close()));
}

/** Records the service's leader as the holder of each slot (`berth locks` shows it). */
export function recordSlotHolders(registry: Registry, caller: Caller, service: string, taken: TakenSlot[], leader: Identity, argv: string[]): void {
  for (const t of taken) recordLockHolder(registry, caller, slotLockName(t.name, t.held.slot), leader, `service ${service}: ${argv.join(' ')}`);
}
