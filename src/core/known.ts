// What berth itself knows about processes: which hold one of its named locks, which hold a
// recorded lease. Services join in with the supervisor.
import { isAlive } from './identity.ts';
import type { Registry } from './registry/registry.ts';

export interface KnownAs {
  kind: 'lock' | 'lease' | 'reservation' | 'service';
  name: string;
  /** a service holding a file: whether it declares the file under locks: */
  declared?: boolean;
}

/** For each of the pids that berth has on record, what it is to berth. */
export function knownProcesses(registry: Registry | undefined, pids: number[]): Record<number, KnownAs[]> {
  const out: Record<number, KnownAs[]> = {};
  if (!registry || pids.length === 0) return out;
  const wanted = new Set(pids);
  const add = (pid: number, entry: KnownAs): void => {
    (out[pid] ??= []).push(entry);
  };
  for (const row of registry.all<{ name: string; pid: number; start_ticks: number; boot_id: string }>('SELECT name, pid, start_ticks, boot_id FROM locks')) {
    if (wanted.has(row.pid) && isAlive({ pid: row.pid, startTicks: row.start_ticks, bootId: row.boot_id })) add(row.pid, { kind: 'lock', name: row.name });
  }
  for (const row of registry.all<{ name: string; kind: 'lease' | 'reservation'; holder_pid: number; holder_start_ticks: number; holder_boot_id: string }>(
    'SELECT name, kind, holder_pid, holder_start_ticks, holder_boot_id FROM ports WHERE holder_pid IS NOT NULL',
  )) {
    if (wanted.has(row.holder_pid) && isAlive({ pid: row.holder_pid, startTicks: row.holder_start_ticks, bootId: row.holder_boot_id })) {
      add(row.holder_pid, { kind: row.kind, name: row.name });
    }
  }
  return out;
}
