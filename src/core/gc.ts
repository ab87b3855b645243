// `berth gc`: what nobody needs any more. Session-scoped services whose owner session is gone,
// leases whose TTL passed or whose holder is gone, lock records whose holder is gone, and
// private TMPDIRs of services that are not running.
import { isAlive } from './identity.ts';
import { type Caller, isOwnerGone } from './owner.ts';
import { leaseLapse, listPortRecords, reclaimLapsedLeases } from './ports/ports.ts';
import { recordEvent } from './registry/events.ts';
import type { Registry } from './registry/registry.ts';
import { isLive } from './supervisor/state.ts';
import { loadServices } from './supervisor/store.ts';
import { reapableServices } from './supervisor/lifetime.ts';
import { splitName } from './project.ts';
import { listServiceTmps, removeServiceTmp, serviceTmpDir } from './supervisor/tmpdir.ts';

export type GcKind = 'stop-service' | 'reclaim-lease' | 'drop-lock-record' | 'remove-tmpdir';

export interface GcAction {
  kind: GcKind;
  subject: string;
  detail: string;
}

interface LockRow {
  name: string;
  pid: number;
  start_ticks: number;
  boot_id: string;
}

export function planGc(home: string, registry: Registry | undefined): GcAction[] {
  if (!registry) return [];
  const actions: GcAction[] = [];
  const services = loadServices(registry);
  // the owner watch's rule (lifetime.ts): what it did not get to (no daemon ran) gc stops
  for (const s of reapableServices(services, isOwnerGone)) {
    actions.push({ kind: 'stop-service', subject: s.spec.name, detail: `it ends with its session, and ${s.owner!.session} is gone` });
  }
  for (const p of listPortRecords(registry)) {
    const lapse = leaseLapse(p);
    if (lapse) actions.push({ kind: 'reclaim-lease', subject: p.name, detail: `port ${p.port}: ${lapse === 'expired' ? 'its TTL passed' : 'its holder process is gone'}` });
  }
  for (const l of registry.all<LockRow>('SELECT name, pid, start_ticks, boot_id FROM locks')) {
    if (!isAlive({ pid: l.pid, startTicks: l.start_ticks, bootId: l.boot_id })) actions.push({ kind: 'drop-lock-record', subject: l.name, detail: `holder pid ${l.pid} is gone` });
  }
  const running = new Set(services.filter((s) => isLive(s.state) || s.state === 'backoff').map((s) => s.spec.name));
  const projects = new Set([
    ...registry.all<{ name: string }>('SELECT name FROM projects').map((r) => r.name),
    ...services.map((s) => splitName(s.spec.name).project).filter((p) => p !== null),
  ]);
  for (const dir of listServiceTmps(home, projects)) if (!running.has(dir)) actions.push({ kind: 'remove-tmpdir', subject: dir, detail: `${serviceTmpDir(home, dir)}: its service is not running` });
  return actions;
}

/** Applies the actions that need no supervisor (all but stopping services), with events. */
export function applyGcLocally(home: string, registry: Registry, caller: Caller, actions: GcAction[]): void {
  if (actions.some((a) => a.kind === 'reclaim-lease')) registry.transaction(() => reclaimLapsedLeases(registry, caller));
  for (const a of actions) {
    if (a.kind === 'drop-lock-record') {
      registry.run('DELETE FROM locks WHERE name = ?', a.subject);
      recordEvent(registry, caller, { verb: 'gc', subject: a.subject, outcome: 'ok', details: { action: a.kind, detail: a.detail } });
    } else if (a.kind === 'remove-tmpdir') {
      removeServiceTmp(home, a.subject);
    }
  }
}

/** Plans and (unless dryRun) applies gc: services are stopped through stopService (the supervisor). */
export async function runGc(home: string, registry: Registry | undefined, caller: Caller, dryRun: boolean, stopService: (name: string) => Promise<void>): Promise<{ dryRun: boolean; actions: GcAction[] }> {
  const actions = planGc(home, registry);
  if (!dryRun && registry) {
    applyGcLocally(home, registry, caller, actions);
    for (const a of actions) if (a.kind === 'stop-service') await stopService(a.subject);
  }
  return { dryRun, actions };
}
