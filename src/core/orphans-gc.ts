// `berth gc --orphans`: stops the orphans the listing marks agent-abandoned, and only on that
// explicit command. Each is stopped the way an eviction stops a holder (its descendants, never
// its group; TERM, KILL after the grace; through the guard), after checking that the pid is
// still the process listed: its identity (pid, start time, boot id) is read at listing time,
// compared again here, and once more by signalProcess right before every signal, so a pid
// handed to another process in between is never signalled. Each stop is a `gc` event.
import { sameIdentity } from './identity.ts';
import { evictionGuard, evictionRefusal, type EvictionScope } from './evict.ts';
import { describeProcess } from './inspect/process.ts';
import { UsageError } from './errors.ts';
import { type Orphan, type OrphanScope, surveyOrphans } from './orphans.ts';
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
  /** the collectable orphans of this user (only those asked for, when targets are given) */
  found: Orphan[];
  /** empty on a dry run */
  stopped: OrphanStop[];
  /** each target that is not a collectable orphan, and why */
  skipped: Array<{ pid: number; why: string }>;
}

/** A process gc was asked to stop: a pid, and the start time the listing printed (`PID:START`), when given. */
export interface OrphanTarget {
  pid: number;
  startTicks: number | null;
}

export interface OrphanGcOptions extends OrphanScope {
  dryRun: boolean;
  /** only these (each must be listed as collectable, with this start time when given) */
  targets?: readonly OrphanTarget[];
  graceMs: number;
  record: (event: EventInput) => void;
}

/** Lists the collectable orphans (only the targets, when given) and, unless dryRun, stops them. */
export async function collectOrphans(opts: OrphanGcOptions): Promise<OrphanGcResult> {
  const targets = opts.targets;
  const survey = surveyOrphans(opts, targets?.map((t) => t.pid) ?? []);
  const skipped: OrphanGcResult['skipped'] = [];
  let found = survey.orphans.filter((o) => o.collectable);
  if (targets !== undefined) {
    found = [];
    for (const t of targets) {
      const o = survey.orphans.find((x) => x.pid === t.pid);
      const why = o === undefined ? (survey.spared.get(t.pid) ?? 'not found') : notCollectable(o, t);
      if (why === undefined) {
        if (!found.includes(o!)) found.push(o!);
      } else if (!skipped.some((x) => x.pid === t.pid)) skipped.push({ pid: t.pid, why });
    }
  }
  if (opts.dryRun) return { found, stopped: [], skipped };
  const scope: EvictionScope = { home: opts.home, protect: opts.protect, trees: serviceTrees(opts.registry) };
  const stopped: OrphanStop[] = [];
  for (const orphan of found) stopped.push(await stopOrphan(orphan, scope, opts.graceMs, opts.record));
  return { found, stopped, skipped };
}

/** Why a listed orphan is not stopped for this target, or undefined when it is. */
function notCollectable(o: Orphan, t: OrphanTarget): string | undefined {
  if (t.startTicks !== null && t.startTicks !== o.identity.startTicks) return `not found: pid ${t.pid} now names another process (started at ${o.identity.startTicks}, not ${t.startTicks}): not signalled`;
  if (o.collectable) return undefined;
  if (o.kind !== 'agent-abandoned') return `not abandoned by an agent session (${o.kind}): gc --orphans stops only those; ${o.fix} ends it`;
  if (o.uid !== process.getuid?.()) return `another user's (${o.user})`;
  return `possibly of a live session: ${o.reasons[o.reasons.length - 1] ?? ''}`;
}

/** Reads `PID` or `PID:START` (the form `berth orphans` prints in its commands). */
export function parseOrphanTarget(text: string): OrphanTarget {
  const m = /^([1-9][0-9]{0,9})(?::([0-9]{1,20}))?$/.exec(text.trim());
  const pid = m ? Number(m[1]) : NaN;
  if (!m || pid > 2 ** 22) throw new UsageError(`invalid --pid ${JSON.stringify(text)}: use PID or PID:START as berth orphans prints it`, 'for example: --pid 4242:918273', 'invalid_pid');
  return { pid, startTicks: m[2] === undefined ? null : Number(m[2]) };
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
