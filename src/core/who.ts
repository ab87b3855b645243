// The answers to "who holds this port?" and "who holds this file?", joined with what berth knows.
import { realpathSync } from 'node:fs';
import { type Identity, isAlive } from './identity.ts';
import { findFileHolders, type HoldersReport } from './inspect/holders.ts';
import { type KnownAs, knownProcesses } from './known.ts';
import { findListeners, type Listener } from './inspect/listeners.ts';
import { readProcessTable, descendantsOf } from './inspect/tree.ts';
import { detectOwner, type Owner } from './owner.ts';
import { leaseLapse, listPortRecords, type PortRecord } from './ports/ports.ts';
import type { Registry } from './registry/registry.ts';
import { serviceOf, type ServiceTree, serviceTrees } from './supervisor/trees.ts';

/**
 * ok: held by its recorded holder (or, with none recorded, by a process of the owner's session);
 * conflict: held by anyone else; idle: reserved or leased, nothing listening;
 * lapsed: a lease whose TTL passed or whose holder is gone (reclaimed at the next lease).
 */
export type PortStatus = 'ok' | 'conflict' | 'idle' | 'lapsed';

export interface PortClaim extends PortRecord {
  status: PortStatus;
  /** pids listening on the port that are not its owner's */
  strangers: number[];
}

export interface PortAnswer {
  port: number;
  listeners: Listener[];
  claim: PortClaim | null;
  /** what berth knows each listening pid as (a lock holder, a lease holder), by pid */
  known: Record<number, KnownAs[]>;
  /** the session each holding pid runs for (BERTH_SESSION, its agent CLI, or its terminal), by pid */
  owners: Record<number, Owner>;
  unreadable: number;
}

export interface FileAnswer extends HoldersReport {
  known: Record<number, KnownAs[]>;
  owners: Record<number, Owner>;
}

function ownersOf(pids: number[]): Record<number, Owner> {
  return Object.fromEntries([...new Set(pids)].map((pid) => [pid, detectOwner(pid)]));
}

/** Who listens on a port (TCP listeners and bound UDP sockets), and what berth has on record for it. */
export function whoListens(port: number, registry?: Registry): PortAnswer {
  const { listeners, unreadable } = findListeners({ port });
  const record = registry ? listPortRecords(registry).find((r) => r.port === port) : undefined;
  const pids = listeners.flatMap((l) => l.processes.map((p) => p.pid));
  // which service a listener belongs to matters only when something listens
  const trees = pids.length > 0 ? serviceTrees(registry) : [];
  const { known, owners } = joinServices(registry, trees, pids);
  return { port, listeners, claim: record ? judgeClaim(record, listeners, trees) : null, known, owners, unreadable };
}

/** Who holds a file open or locked (and its SQLite companions), and what berth knows them as. */
export function whoHolds(path: string, registry?: Registry): FileAnswer {
  const report = findFileHolders(path);
  const pids = [report, ...report.companions].flatMap((f) => f.holders.map((h) => h.process.pid));
  const trees = pids.length > 0 ? serviceTrees(registry) : [];
  return { ...report, ...joinServices(registry, trees, pids, report.path) };
}

/**
 * What berth knows each pid as, with the berth service whose tree it is in (and, for a file,
 * whether that service declares it under locks:); a service's processes run for the service's
 * owner session, not for the daemon's terminal they descend from.
 */
function joinServices(registry: Registry | undefined, trees: ServiceTree[], pids: number[], path?: string): { known: Record<number, KnownAs[]>; owners: Record<number, Owner> } {
  const known = knownProcesses(registry, pids);
  const owners = ownersOf(pids);
  for (const pid of new Set(pids)) {
    const svc = serviceOf(trees, pid);
    if (!svc) continue;
    const declared = path !== undefined ? { declared: (svc.record.spec.locks ?? []).some((lock) => sameFile(lock, path)) } : {};
    (known[pid] ??= []).push({ kind: 'service', name: svc.record.spec.name, ...declared });
    if (svc.record.owner) owners[pid] = svc.record.owner;
  }
  return { known, owners };
}

/**
 * Compares a reservation or lease with the processes actually listening on its port. Its
 * owner is, in order: the berth service of the same name, recorded or `declared` (its process
 * tree, none when it is not running), the holder process the lease records (its tree), or else
 * (a reservation made by hand with `berth port --reserve`) any process of the owner's session.
 */
export function judgeClaim(record: PortRecord, listeners: Listener[], trees: ServiceTree[] = [], declared: ReadonlySet<string> = new Set()): PortClaim {
  const pids = [...new Set(listeners.filter((l) => l.port === record.port).flatMap((l) => l.processes.map((p) => p.pid)))];
  if (leaseLapse(record) !== undefined) return { ...record, status: 'lapsed', strangers: pids };
  if (pids.length === 0) return { ...record, status: 'idle', strangers: [] };
  // a service's port (recorded, or declared in berth.yaml though never started) is held rightly
  // by its own tree only: a process of the same session is not the service (issue 12)
  const service = trees.find((t) => t.record.spec.name === record.name) ?? (declared.has(record.name) ? { pids: new Set<number>() } : undefined);
  const strangers = service
    ? pids.filter((pid) => !service.pids.has(pid))
    : record.holder
      ? outsideTree(record.holder, pids)
      : outsideSession(record, pids);
  return { ...record, status: strangers.length > 0 ? 'conflict' : 'ok', strangers };
}

function outsideTree(holder: Identity, pids: number[]): number[] {
  if (!isAlive(holder)) return pids;
  const table = readProcessTable();
  const pgid = table.stats.get(holder.pid)?.pgid;
  const tree = new Set([holder.pid, ...descendantsOf(holder.pid, table)]);
  return pids.filter((pid) => !tree.has(pid) && table.stats.get(pid)?.pgid !== pgid);
}

function outsideSession(record: PortRecord, pids: number[]): number[] {
  const session = record.owner?.session;
  if (session === undefined) return [];
  return pids.filter((pid) => detectOwner(pid).session !== session);
}

/** A declared lock path (as written, resolved) against a holder report's real path. */
function sameFile(declared: string, real: string): boolean {
  if (declared === real) return true;
  try {
    return realpathSync(declared) === real;
  } catch {
    return false;
  }
}
