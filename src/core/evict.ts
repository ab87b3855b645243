// The one eviction: who holds a port or a file, which of those berth may stop, and stopping one
// on the record. `berth free`, a service's `on_conflict: evict` and the pre-start command of an
// exported unit (`berth free PORT --force --quiet`) all go through here, so they find the same
// holders, refuse the same processes and write the same event. Before, clearTheWay looked at TCP
// only and lock holders only, without the uid or ancestor-of-berth checks, while planFree looked
// at TCP+UDP and anyone with the file open; each wrote its own event verb with its own fields.
//
// The rules (docs/cli.md "Conflicts", docs/decisions/0012-settings.md for the settings):
// - a port is held by every socket bound to it, TCP listeners and UDP sockets alike; a socket
//   whose process berth cannot read (another user's, to a non-root berth) is a hidden holder;
// - a file is held by the processes with a granted lock on it or its SQLite companions (-wal,
//   -shm, -journal); when nobody holds a lock, by every process that has it open;
// - berth never stops: another user's process, pid 1, itself, its ancestors, the requester and
//   its ancestors, its daemon and the users of its registry (protect.ts), an ancestor of its
//   daemon (stopping it would take berth down), or a process of a berth service (those are
//   stopped as services, through the ownership rule, or not at all);
// - a holder is stopped with its descendants (never its process group), identity-checked before
//   every signal, TERM then KILL after the grace, and recorded as one `evict` event.
import { findFileHolders } from './inspect/holders.ts';
import { findListeners } from './inspect/listeners.ts';
import type { ProcessInfo } from './inspect/process.ts';
import type { Owner } from './owner.ts';
import { berthProcessCheck, refusalFor, signalGuard } from './protect.ts';
import type { EventInput } from './registry/events.ts';
import { type Guard, holderTree, type Spared, stopHolder } from './supervisor/process-tree.ts';
import { serviceOf, type ServiceTree } from './supervisor/trees.ts';

export type EvictTarget = { kind: 'port'; port: number } | { kind: 'path'; path: string };

/** A socket on the port whose holder berth cannot read: only its owner's uid is known. */
export interface HiddenHolder {
  uid: number;
  user: string;
}

export interface Holders {
  holders: ProcessInfo[];
  hidden: HiddenHolder[];
}

/** ":8765" or the file's path, as events and messages name the target. */
export function targetLabel(target: EvictTarget): string {
  return target.kind === 'port' ? `:${target.port}` : target.path;
}

/** "8765" or the file's path, as `berth who` and `berth free` take it. */
export function targetArg(target: EvictTarget): string {
  return target.kind === 'port' ? String(target.port) : target.path;
}

/** Who holds the target, by the one rule above. */
export function findHolders(target: EvictTarget): Holders {
  if (target.kind === 'port') {
    const listeners = findListeners({ port: target.port }).listeners;
    return { holders: dedupe(listeners.flatMap((l) => l.processes)), hidden: hiddenHolders(listeners) };
  }
  const report = findFileHolders(target.path);
  const files = [report, ...report.companions];
  const lockers = files.flatMap((f) => f.holders.filter((h) => h.locks.some((l) => !l.waiting)));
  const chosen = lockers.length > 0 ? lockers : files.flatMap((f) => f.holders);
  return { holders: dedupe(chosen.map((h) => h.process)), hidden: [] };
}

/** The owners of sockets that no readable process holds. */
export function hiddenHolders(listeners: Array<{ uid: number; user: string; processes: unknown[] }>): HiddenHolder[] {
  const byUid = new Map<number, HiddenHolder>();
  for (const l of listeners) if (l.processes.length === 0) byUid.set(l.uid, { uid: l.uid, user: l.user });
  return [...byUid.values()];
}

function dedupe(list: ProcessInfo[]): ProcessInfo[] {
  return [...new Map(list.map((p) => [p.pid, p])).values()];
}

export interface EvictionScope {
  /** the berth home whose daemon and registry users are never stopped */
  home?: string;
  /** the requester and its ancestors */
  protect?: readonly number[];
  /** the live berth services, whose processes are never evicted */
  trees: ServiceTree[];
}

export type EvictionRefusalReason = 'other_user' | 'pid1' | 'self' | 'ancestor' | 'requester' | 'daemon' | 'registry' | 'ancestor_of_berth' | 'service';

/** Why berth will not evict a holder, as data: callers build their messages from these fields. */
export interface EvictionRefusal {
  pid: number;
  reason: EvictionRefusalReason;
  /** "it is pid 1 (init)" */
  why: string;
  /** the berth service the holder belongs to (reason 'service') */
  service?: string;
  /** the pid of berth below it (reason 'ancestor_of_berth') */
  below?: number;
}

/** The refusal for evicting this holder, or undefined when berth may stop it. */
export function evictionRefusal(p: ProcessInfo, scope: EvictionScope): EvictionRefusal | undefined {
  const svc = serviceOf(scope.trees, p.pid);
  if (svc) return { pid: p.pid, reason: 'service', why: `it is part of berth service "${svc.record.spec.name}"`, service: svc.record.spec.name };
  const me = process.getuid?.() ?? -1;
  if (p.uid !== me) return { pid: p.pid, reason: 'other_user', why: `it belongs to user ${p.user}` };
  const refusal = refusalFor(p.pid, scope);
  if (refusal?.reason === 'ancestor' && berthProcessCheck(scope.home)(process.pid) === 'daemon') {
    // acting inside the daemon, its ancestors are berth's: stopping one would take berth down
    return { pid: p.pid, reason: 'ancestor_of_berth', why: `it is an ancestor of berth's daemon (pid ${process.pid})`, below: process.pid };
  }
  if (refusal) return { pid: p.pid, reason: refusal.reason as EvictionRefusalReason, why: refusal.why };
  // Its descendants are stopped with it, but not berth's daemon (under a holder that is a
  // subreaper, or that started berth mcp): stopping the holder would then take berth down.
  const below = holderTree(p.identity, undefined, evictionGuard(scope)).spared.find((s) => isBerthItself(refusalFor(s.pid, { home: scope.home })?.reason));
  if (below) return { pid: p.pid, reason: 'ancestor_of_berth', why: `it is an ancestor of berth (pid ${below.pid}: ${below.reason})`, below: below.pid };
  return undefined;
}

function isBerthItself(reason: string | undefined): boolean {
  return reason === 'daemon' || reason === 'registry';
}

/** What an eviction never signals: what the guard protects, and processes of berth services. */
export function evictionGuard(scope: EvictionScope): Guard {
  const base = signalGuard(scope);
  return (pid) => {
    const svc = serviceOf(scope.trees, pid);
    return svc ? `it is part of berth service "${svc.record.spec.name}"` : base(pid);
  };
}

/** Why a holder was evicted. */
export type EvictionCause = 'free' | 'on_conflict';

/** One eviction that happened: what `run`/`up` and `free` report, and what the event records. */
export interface Eviction {
  /** ":8765" or the file's path */
  target: string;
  port: number | null;
  path: string | null;
  /** the service the way was cleared for (on_conflict), or null (free) */
  service: string | null;
  cause: EvictionCause;
  pid: number;
  command: string;
  cwd: string | null;
  user: string;
  /** the agent session the holder ran for, when berth can tell */
  owner: string | null;
  /** true if the grace ran out and KILL was needed */
  forced: boolean;
  /** every pid signalled */
  pids: number[];
  spared: Spared[];
}

/**
 * Stops one holder berth may evict (the caller checked evictionRefusal) with its descendants:
 * TERM, KILL after graceMs, every signal identity-checked.
 */
export async function evictProcess(p: ProcessInfo, owner: Owner | null, scope: EvictionScope, graceMs: number, context: { target: EvictTarget; service: string | null; cause: EvictionCause }): Promise<Eviction> {
  const outcome = await stopHolder(p.identity, graceMs, evictionGuard(scope));
  return {
    target: targetLabel(context.target),
    port: context.target.kind === 'port' ? context.target.port : null,
    path: context.target.kind === 'path' ? context.target.path : null,
    service: context.service,
    cause: context.cause,
    pid: p.pid,
    command: p.command,
    cwd: p.cwd,
    user: p.user,
    owner: owner?.session ?? null,
    forced: outcome.killed,
    pids: outcome.pids,
    spared: outcome.spared,
  };
}

/** The one `evict` event: the same fields for free and on_conflict. */
export function evictionEvent(e: Eviction): EventInput {
  return {
    verb: 'evict',
    subject: e.service ?? e.target,
    outcome: 'ok',
    details: {
      cause: e.cause,
      reason: e.cause === 'free' ? `berth free ${e.target}` : `a stranger held ${e.target} (on_conflict: evict)`,
      target: e.target,
      service: e.service,
      ...(e.port !== null ? { port: e.port } : { path: e.path }),
      pid: e.pid,
      command: e.command,
      cwd: e.cwd,
      user: e.user,
      owner: e.owner,
      forced: e.forced,
      pids: e.pids,
      ...(e.spared.length > 0 ? { spared: e.spared } : {}),
    },
  };
}
