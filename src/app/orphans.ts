// `berth orphans` and `berth gc --orphans`: one function each, used by the CLI, the MCP server
// and doctor's orphans section alike. Listing is read-only and runs here; stopping is the
// daemon's when one runs (the single writer of evictions), else this process's, with the same
// core module (src/core/orphans-gc.ts).
import type { Finding } from '../core/doctor.ts';
import { UsageError } from '../core/errors.ts';
import { collectOrphans, type OrphanGcResult, type OrphanTarget } from '../core/orphans-gc.ts';
import { findOrphans, type Orphan } from '../core/orphans.ts';
import { recordEvent } from '../core/registry/events.ts';
import type { GcResult } from './maintenance.ts';
import type { Session } from './session.ts';

export type { Orphan, OrphanGcResult, OrphanTarget };

/** `gc` with pids but not orphans: refused (a pid names an orphan to stop; plain gc takes none), through every door. */
export function refusePidsWithoutOrphans(what: string): never {
  throw new UsageError(`${what} needs --orphans: plain gc stops no process by pid`, 'berth gc --orphans --pid PID:START (as berth orphans prints it); berth gc alone takes no pid', 'pid_without_orphans');
}

export interface OrphansReport {
  orphans: Orphan[];
  /** how many of them `berth gc --orphans` would stop */
  collectable: number;
}

/** The processes berth did not start that hold a port or a file lock and look abandoned. */
export function listOrphans(session: Session): OrphansReport {
  const orphans = findOrphans({ registry: session.existingRegistry(), home: session.home, protect: session.requester().protect ?? [] });
  return { orphans, collectable: orphans.filter((o) => o.collectable).length };
}

/** The grace between TERM and KILL for an orphan: as for `berth free`. */
export const ORPHAN_GRACE_MS = 5_000;

/**
 * gc of the collectable orphans (only `targets`, when given: PID or PID:START, each one not
 * collectable is reported with why): shown on a dry run, else stopped, identity-checked and
 * recorded, by the daemon when one runs.
 */
export async function collectOrphanGarbage(session: Session, dryRun: boolean, targets?: readonly OrphanTarget[], graceMs = ORPHAN_GRACE_MS): Promise<GcResult> {
  const req = session.requester();
  const client = await session.client();
  const only = targets !== undefined ? { targets: [...targets] } : {};
  const orphans =
    !dryRun && (await client.probe())
      ? await client.gcOrphans({ ...req, dryRun, graceMs, ...only })
      : await collectOrphans({
          registry: dryRun ? session.existingRegistry() : session.registry(),
          home: session.home,
          protect: req.protect ?? [],
          dryRun,
          graceMs,
          ...only,
          record: (event) => recordEvent(session.registry(), session.caller, event),
        });
  return { dryRun, actions: [], orphans };
}

/** doctor's orphans section: one warning per orphan, with the command that ends it. */
export function orphanFindings(report: OrphansReport): Finding[] {
  return report.orphans.map((o) => {
    const held = [...o.ports.map((p) => `:${p.port}`), ...o.files].join(', ');
    return {
      severity: 'warning',
      kind: 'orphan',
      subject: `pid ${o.pid}`,
      message: `pid ${o.pid} (${o.command}) holds ${held} and looks abandoned (${o.kind}): ${o.reasons.join('; ')}`,
      fix: `${o.fix} (or keep it under a name: ${o.adopt})`,
    };
  });
}
