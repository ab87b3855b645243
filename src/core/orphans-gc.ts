// `berth gc --orphans`: stops the orphans the listing marks agent-abandoned, and only on that
// explicit command. Each is stopped the way an eviction stops a holder (its descendants, never
// its group; TERM, KILL after the grace; through the guard), after checking that the pid is
// still the process listed: its identity (pid, start time, boot id) is read at listing time,
// compared again here, and once more by signalProcess right before every signal, so a pid
// handed to another process in between is never signalled. Each stop is a `gc` event.
import { sameIdentity } from './identity.ts';
import { evictionGuard, evictionRefusal, type EvictionScope } from './evict.ts';
import { describeProcess } from './inspect/process.ts';
import { findOrphans, type Orphan, type OrphanScope } from './orphans.ts';
import type { EventInput } from './registry/events.ts';
import { type Spared, stopHolder } from './supervisor/process-tree.ts';
import { serviceTrees } from './supervisor/trees.ts';

/** What became of one orphan gc was to stop. */
export interface OrphanStop {
  pid: number;
  command: string;
  /** stopped; gone (exited, or its pid now names another process: not signalled); refused (the guard) */
  outcome: 'stopped' | 'gone' | 'refused';
  /** why it was not stopped */
  why: string | null;
  /** true if the grace ran out and KILL was needed */
  forced: boolean;
  /** every pid signalled */
  pids: number[];
  spared: Spared[];
}

export interface OrphanGcResult {
  /** the agent-abandoned orphans of this user (only those with the pids asked for, when given) */
  found: Orphan[];
  /** empty on a dry run */
  stopped: OrphanStop[];
}

export interface OrphanGcOptions extends OrphanScope {
  dryRun: boolean;
  /** only these pids (each must be listed as collectable) */
  pids?: readonly number[];
  graceMs: number;
  record: (event: EventInput) => void;
}

/** Lists the collectable orphans and, unless dryRun, stops them. */
export async function collectOrphans(opts: OrphanGcOptions): Promise<OrphanGcResult> {
  const found = findOrphans(opts).filter((o) => o.collectable && (opts.pids === undefined || opts.pids.includes(o.pid)));
  if (opts.dryRun) return { found, stopped: [] };
  const scope: EvictionScope = { home: opts.home, protect: opts.protect, trees: serviceTrees(opts.registry) };
  const stopped: OrphanStop[] = [];
  for (const orphan of found) stopped.push(await stopOrphan(orphan, scope, opts.graceMs, opts.record));
  return { found, stopped };
}

/** Stops one listed orphan if its pid still names the process listed and the guard allows it. */
export async function stopOrphan(orphan: Orphan, scope: EvictionScope, graceMs: number, record: (event: EventInput) => void): Promise<OrphanStop> {
  const base = { pid: orphan.pid, command: orphan.command, forced: false, pids: [], spared: [] };
  const now = describeProcess(orphan.pid);
  if (now === undefined || !sameIdentity(now.identity, orphan.identity)) {
    return { ...base, outcome: 'gone', why: now === undefined ? 'it has exited' : 'its pid now belongs to another process (pid reuse): not signalled' };
  }
  const refusal = evictionRefusal(now, scope);
  if (refusal) {
    record(orphanEvent(orphan, 'refused', { why: refusal.why }));
    return { ...base, outcome: 'refused', why: refusal.why };
  }
  const outcome = await stopHolder(orphan.identity, graceMs, evictionGuard(scope));
  record(orphanEvent(orphan, 'ok', { forced: outcome.killed, pids: outcome.pids, ...(outcome.spared.length > 0 ? { spared: outcome.spared } : {}) }));
  return { ...base, outcome: 'stopped', why: null, forced: outcome.killed, pids: outcome.pids, spared: outcome.spared };
}

function orphanEvent(o: Orphan, outcome: 'ok' | 'refused', extra: Record<string, unknown>): EventInput {
  const port = o.ports[0]?.port ?? null;
  return {
    verb: 'gc',
    subject: port !== null ? `:${port}` : (o.files[0] ?? `pid ${o.pid}`),
    outcome,
    details: {
      action: 'stop-orphan',
      kind: o.kind,
      pid: o.pid,
      command: o.command,
      cwd: o.cwd,
      port,
      ports: o.ports.map((p) => p.port),
      files: o.files,
      session: o.session,
      agent: o.agent,
      reasons: o.reasons,
      ...extra,
    },
  };
}
