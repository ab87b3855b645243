// free, gc and doctor: the operations that settle or report conflicts, shared by the CLI and MCP.
// free and gc change state, so the daemon does them when it runs; this process acts itself, with
// the same core modules, only when no daemon answers.
import { daemonSocketPlace } from '../core/settings.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findConfig, loadProject } from '../core/config/load.ts';
import { diagnose, type DoctorReport } from '../core/doctor.ts';
import { applyFree, type FreeResult, type FreeTarget } from '../core/free.ts';
import { type GcAction, runGc } from '../core/gc.ts';
import { PathNotFoundError } from '../core/inspect/holders.ts';
import type { OrphanGcResult } from '../core/orphans-gc.ts';
import { unitDirsFromEnv } from '../core/inspect/units.ts';
import { recordEvent } from '../core/registry/events.ts';
import { parseTarget } from '../core/validate.ts';
import { currentProject } from './names.ts';
import { listOrphans, orphanFindings } from './orphans.ts';
import type { Session } from './session.ts';

export function parseFreeTarget(text: string, baseDir = process.cwd()): FreeTarget {
  const target = parseTarget(text);
  if (target.kind === 'port') return target;
  const path = resolve(baseDir, target.path);
  if (!existsSync(path)) throw new PathNotFoundError(text);
  return { kind: 'path', path };
}

export type { FreeResult };

/**
 * Stops what holds the target: berth services through the supervisor, other processes by the
 * one eviction. The daemon does it when one runs (the single writer of evictions); else this
 * process, with the same module.
 */
export async function freeTarget(session: Session, target: FreeTarget, force: boolean, graceMs: number): Promise<FreeResult> {
  const client = await session.client();
  const req = session.requester();
  if (await client.probe()) return client.free({ ...req, target, force, graceMs });
  return applyFree(target, {
    registry: session.existingRegistry(),
    record: (event) => recordEvent(session.registry(), session.caller, event),
    caller: session.caller,
    home: session.home,
    protect: req.protect ?? [],
    force,
    graceMs,
    stopService: async (name, force) => {
      await client.stop({ name, graceMs, force, ...req });
    },
  });
}

export interface GcResult {
  dryRun: boolean;
  actions: GcAction[];
  /** `gc --orphans` only (src/app/orphans.ts): the agent-abandoned orphans, and what became of them */
  orphans?: OrphanGcResult;
}

/** gc in the daemon when one runs; else here (planning needs no daemon, stopping a service starts one). */
export async function collectGarbage(session: Session, dryRun: boolean): Promise<GcResult> {
  const client = await session.client();
  const req = session.requester();
  if (!dryRun && (await client.probe())) return client.gc({ ...req, dryRun });
  return runGc(session.home, session.existingRegistry(), session.caller, dryRun, async (name) => {
    await client.stop({ name, graceMs: GC_STOP_GRACE_MS, ...req });
  });
}

const GC_STOP_GRACE_MS = 10_000;

/** The collision map for a directory's project (if it has one) and the berth home. */
export async function runDoctor(session: Session, dir: string): Promise<DoctorReport> {
  const project = findConfig(dir) ? loadProject(dir) : undefined;
  const daemonRunning = (await (await session.client()).probe()) !== undefined;
  const { project: projectName } = project ? await currentProject(session, { cwd: dir }, false) : { project: null };
  // not session.settings: a bad BERTH_PORT_RANGE is no reason for doctor to fail
  const unitDirs = unitDirsFromEnv({ BERTH_SYSTEM_UNIT_DIRS: session.envVar('BERTH_SYSTEM_UNIT_DIRS'), BERTH_USER_UNIT_DIRS: session.envVar('BERTH_USER_UNIT_DIRS') });
  const report = diagnose(session.existingRegistry(), project, daemonRunning, projectName, unitDirs);
  // the orphans section: warnings, so they never change doctor's exit code
  report.findings.push(...orphanFindings(listOrphans(session)));
  const socket = daemonSocketPlace(session.home);
  if (socket.fallback) {
    report.findings.push({ severity: 'info', kind: 'socket_fallback', subject: socket.path, message: `the home's path is too long for a Unix socket: berthd's socket is ${socket.path} (in a 0700 directory of yours)`, fix: null });
  }
  const order = { error: 0, warning: 1, info: 2 };
  report.findings.sort((a, b) => order[a.severity] - order[b.severity]);
  return report;
}
