// free, gc and doctor: the operations that settle or report conflicts, shared by the CLI and MCP.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findConfig, loadProject } from '../core/config/load.ts';
import { diagnose, type DoctorReport } from '../core/doctor.ts';
import { evictHolder, FreeRefusedError, type FreeTarget, holdersOf, planFree, StillHeldError, targetLabel } from '../core/free.ts';
import { applyGcLocally, type GcAction, planGc } from '../core/gc.ts';
import { PathNotFoundError } from '../core/inspect/holders.ts';
import { parseTarget } from '../core/validate.ts';
import type { Session } from './session.ts';

export function parseFreeTarget(text: string, baseDir = process.cwd()): FreeTarget {
  const target = parseTarget(text);
  if (target.kind === 'port') return target;
  const path = resolve(baseDir, target.path);
  if (!existsSync(path)) throw new PathNotFoundError(text);
  return { kind: 'path', path };
}

export interface FreeResult {
  target: string;
  stopped: Array<{ pid: number; command: string; service: string | null; forced: boolean }>;
}

/** Stops what holds the target: berth services through the supervisor, other processes by identity. */
export async function freeTarget(session: Session, target: FreeTarget, force: boolean, graceMs: number): Promise<FreeResult> {
  const steps = planFree(target, session.existingRegistry(), session.caller.owner, force, session.home);
  const stopped: FreeResult['stopped'] = [];
  for (const step of steps) {
    if (step.service) {
      await (await session.client()).stop({ name: step.service, graceMs, ...session.requester() });
      stopped.push({ pid: step.process.pid, command: step.process.command, service: step.service, forced: false });
    } else {
      const { forced } = await evictHolder(step, target, session.registry(), session.caller, graceMs, session.home);
      stopped.push({ pid: step.process.pid, command: step.process.command, service: null, forced });
    }
  }
  // A holder that re-forks on TERM leaves the port held by a new pid: say so, never "freed".
  // (Not for files: once the lock holders are gone, readers that merely have it open remain.)
  if (stopped.length > 0 && target.kind === 'port') await waitUntilFree(target);
  return { target: targetLabel(target), stopped };
}

const FREE_SETTLE_MS = 2_000;

async function waitUntilFree(target: FreeTarget): Promise<void> {
  const deadline = Date.now() + FREE_SETTLE_MS;
  for (;;) {
    let holders: ReturnType<typeof holdersOf>;
    try {
      holders = holdersOf(target);
    } catch (err) {
      if (err instanceof FreeRefusedError) throw new StillHeldError(targetLabel(target), []);
      throw err;
    }
    if (holders.length === 0) return;
    if (Date.now() >= deadline) throw new StillHeldError(targetLabel(target), holders);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface GcResult {
  dryRun: boolean;
  actions: GcAction[];
}

export async function collectGarbage(session: Session, dryRun: boolean): Promise<GcResult> {
  const registry = session.existingRegistry();
  const actions = planGc(session.home, registry);
  if (!dryRun && registry) {
    applyGcLocally(session.home, registry, session.caller, actions);
    const stops = actions.filter((a) => a.kind === 'stop-service');
    if (stops.length > 0) {
      const client = await session.client();
      for (const a of stops) await client.stop({ name: a.subject, graceMs: 10_000, ...session.requester() });
    }
  }
  return { dryRun, actions };
}

/** The collision map for a directory's project (if it has one) and the berth home. */
export async function runDoctor(session: Session, dir: string): Promise<DoctorReport> {
  const project = findConfig(dir) ? loadProject(dir) : undefined;
  const daemonRunning = (await (await session.client()).probe()) !== undefined;
  return diagnose(session.existingRegistry(), project, daemonRunning);
}
