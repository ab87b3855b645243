// A process is (pid, start time in clock ticks since boot, boot id). A pid alone is a lie
// waiting to happen: after the process ends the kernel hands the number to someone else.
import { inspect } from './inspect/select.ts';

export interface Identity {
  pid: number;
  startTicks: number;
  bootId: string;
}

/** The identity of a live process, or undefined if no such process exists. */
export function readIdentity(pid: number): Identity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const backend = inspect();
  const stat = backend.readStat(pid);
  if (stat === undefined || stat.state === 'Z') return undefined;
  return { pid, startTicks: stat.startTicks, bootId: backend.bootId() };
}

/** True only when the pid is alive, started at the recorded tick, in the current boot. */
export function isAlive(identity: Identity): boolean {
  const now = readIdentity(identity.pid);
  return now !== undefined && sameIdentity(now, identity);
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.pid === b.pid && a.startTicks === b.startTicks && a.bootId === b.bootId;
}
