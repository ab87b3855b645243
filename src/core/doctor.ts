// `berth doctor`: the collision map. Every finding has a severity and the exact command that
// fixes it. An error is a conflict berth refused to resolve (a stranger on a claimed port or
// lock, a service kept down by one); `berth doctor` exits 3 exactly when it reports an error.
// A service that failed for its own reasons (command not found, exits 1) is a warning: its log
// says why. What stands in a failed service's way is looked up again (findObstacles), never read
// back out of the `detail` text.
import { existsSync } from 'node:fs';
import { configDrift } from './config/drift.ts';
import { joinName, splitName } from './project.ts';
import { declaredLocks, DRIFT_HINT } from './supervisor/spec.ts';
import { diagnoseSqlite } from './doctor-sqlite.ts';
import type { Project } from './config/load.ts';
import { isAlive } from './identity.ts';
import { findListeners } from './inspect/listeners.ts';
import { isOwnerGone } from './owner.ts';
import { listPortRecords } from './ports/ports.ts';
import type { Registry } from './registry/registry.ts';
import { describeObstacleHolder, findObstacles } from './supervisor/conflicts.ts';
import { lifetimeOf } from './supervisor/lifetime.ts';
import { isLive } from './supervisor/state.ts';
import { loadServices } from './supervisor/store.ts';
import { serviceTrees } from './supervisor/trees.ts';
import { judgeClaim } from './who.ts';
import { oneLine } from './text.ts';
import { findUnitConflicts } from './doctor-units.ts';
import type { ProcessInfo } from './inspect/process.ts';
import { listUnitFiles, machineUnitDirs, type UnitDirs, unitLabel } from './inspect/units.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  kind:
    | 'port_conflict'
    | 'port_ok'
    | 'declared_port'
    | 'owner_gone'
    | 'lock_held'
    | 'lock_ok'
    | 'stale_lease'
    | 'stale_lock'
    | 'stale_service'
    | 'crash_loop'
    | 'service_failed'
    | 'config_changed'
    | 'sqlite_rollback'
    | 'write_intents'
    | 'orphan'
    | 'unit_start_limit'
    | 'socket_fallback';
  subject: string;
  message: string;
  fix: string | null;
}

export interface DoctorReport {
  findings: Finding[];
  /** the number of error findings: `berth doctor` exits 3 exactly when it is not 0 */
  conflicts: number;
  config: string | null;
}

interface LockRow {
  name: string;
  pid: number;
  start_ticks: number;
  boot_id: string;
}

/** A holder as doctor names it: its command, and the systemd service it runs in if any. */
function describeHolder(p: ProcessInfo): string {
  return `${oneLine(p.command)}${p.unit ? ` (${unitLabel(p.unit)})` : ''}`;
}

/** unitDirs: where systemd unit files are read (null: this machine's, none without systemd). */
export function diagnose(registry: Registry | undefined, project: Project | undefined, daemonRunning: boolean, projectName: string | null = null, unitDirs: UnitDirs | null = null): DoctorReport {
  // the project's services are recorded, leased and reserved under project/name
  const full = (name: string): string => (projectName !== null ? joinName(projectName, name) : name);
  const findings: Finding[] = [];
  const { listeners } = findListeners();
  const trees = serviceTrees(registry);
  const records = registry ? listPortRecords(registry) : [];
  const services = registry ? loadServices(registry) : [];

  const declared = new Set([...(project?.services.keys() ?? [])].map(full));
  for (const claim of records.map((r) => judgeClaim(r, listeners, trees, declared))) {
    if (claim.status === 'conflict') {
      const holderOf = (pid: number): string => {
        const p = listeners.flatMap((l) => l.processes).find((q) => q.pid === pid);
        return p ? describeHolder(p) : '?';
      };
      const who = claim.strangers.map((pid) => `pid ${pid}: ${holderOf(pid)}`).join('; ');
      findings.push({ severity: 'error', kind: 'port_conflict', subject: `:${claim.port}`, message: `port ${claim.port}, ${claim.kind === 'reservation' ? 'reserved' : 'leased'} for "${claim.name}", is held by ${who}`, fix: `berth free ${claim.port}` });
    } else if (claim.status === 'ok' || claim.status === 'idle') {
      const pids = listeners.filter((l) => l.port === claim.port).flatMap((l) => l.processes.map((p) => p.pid));
      findings.push({
        severity: 'info',
        kind: 'port_ok',
        subject: `:${claim.port}`,
        message: `port ${claim.port}, ${claim.kind === 'reservation' ? 'reserved' : 'leased'} for "${claim.name}": ${claim.status === 'ok' ? `held by its owner (pid ${pids.join(', ')})` : 'nothing listens'}`,
        fix: null,
      });
    } else if (claim.status === 'lapsed') {
      findings.push({ severity: 'warning', kind: 'stale_lease', subject: claim.name, message: `the lease of port ${claim.port} for "${claim.name}" has lapsed`, fix: 'berth gc' });
    }
  }

  for (const [name, svc] of project?.services ?? []) {
    const tree = trees.find((t) => t.record.spec.name === full(name) && t.pids.size > 0);
    const mine = (pid: number): boolean => tree?.pids.has(pid) ?? false;
    if (svc.spec.port.kind === 'fixed') {
      const port = svc.spec.port.port;
      const holders = listeners.filter((l) => l.port === port && l.protocol === 'tcp').flatMap((l) => l.processes);
      const strangers = holders.filter((p) => !mine(p.pid));
      if (strangers.length > 0 && !records.some((r) => r.port === port)) {
        findings.push({ severity: 'error', kind: 'declared_port', subject: `:${port}`, message: `port ${port}, declared for "${name}" in ${project!.file}, is held by pid ${strangers[0]!.pid}: ${describeHolder(strangers[0]!)}`, fix: svc.spec.onConflict === 'evict' ? `berth up ${name}` : `berth free ${port}` });
      }
    }
    for (const lock of declaredLocks(svc.spec)) {
      const path = lock.path;
      if (!existsSync(path)) continue;
      const obstacle = findObstacles(null, [lock])[0];
      if (!obstacle) continue;
      const strangers = obstacle.holders.filter((p) => !mine(p.pid));
      if (strangers.length > 0) {
        // a holder that is another berth service is named as that service, and stopped as one:
        // `berth free PATH` would stop every holder of the file, this service and readers too
        const serviceOf = (pid: number): string | undefined => trees.find((t) => t.pids.has(pid))?.record.spec.name;
        const services = [...new Set(strangers.map((p) => serviceOf(p.pid)).filter((s) => s !== undefined))];
        const loose = strangers.filter((p) => serviceOf(p.pid) === undefined);
        const holders = [
          ...services.map((s) => `"${s}" (pid ${strangers.filter((p) => serviceOf(p.pid) === s).map((p) => p.pid).join(', ')})`),
          ...loose.map((p) => `pid ${p.pid}: ${oneLine(p.command)}`),
        ];
        const fixes = [
          ...services.map((s) => `berth stop ${s}`),
          ...(loose.length === 0 ? [] : services.length > 0 || obstacle.othersHold ? [`stop pid ${loose.map((p) => p.pid).join(', ')}`] : [`berth free ${path}`]),
        ];
        findings.push({ severity: 'error', kind: 'lock_held', subject: path, message: `${path}, declared by "${name}", is locked by ${holders.join('; ')}`, fix: fixes.join('; ') });
      } else {
        findings.push({ severity: 'info', kind: 'lock_ok', subject: path, message: `${path} is held by "${name}" (pid ${obstacle.holders[0]!.pid})`, fix: null });
      }
    }
  }

  // the databases declared under locks:, in berth.yaml and by the recorded services
  const declaredFiles = new Map<string, string[]>();
  const declare = (path: string, service: string): void => {
    const by = declaredFiles.get(path) ?? [];
    if (!by.includes(service)) declaredFiles.set(path, [...by, service]);
  };
  for (const [name, svc] of project?.services ?? []) for (const path of svc.spec.locks) declare(path, full(name));
  for (const s of services) for (const path of s.spec.locks ?? []) declare(path, s.spec.name);
  findings.push(...diagnoseSqlite(declaredFiles));

  const drift = configDrift(services.filter((s) => isLive(s.state) && s.identity !== null && isAlive(s.identity)).map((s) => s.spec));
  for (const [name, changed] of drift) {
    const file = services.find((s) => s.spec.name === name)!.spec.configFile!;
    findings.push({ severity: 'warning', kind: 'config_changed', subject: name, message: `"${name}" runs a spec that ${file} no longer declares (${changed.join(', ')} changed): ${DRIFT_HINT}`, fix: `berth up ${splitName(name).service}` });
  }
  for (const s of services) {
    const alive = s.identity !== null && isAlive(s.identity);
    if (isLive(s.state) && alive && s.owner && isOwnerGone(s.owner)) {
      if (lifetimeOf(s.spec) === 'keep') {
        // kept on purpose (--keep, berth.yaml, a terminal's default): running on is its intended state
        findings.push({ severity: 'info', kind: 'owner_gone', subject: s.spec.name, message: `"${s.spec.name}" is kept running after its session ${s.owner.session} ended`, fix: null });
      } else {
        const who = daemonRunning ? 'the daemon reaps it' : 'no daemon runs to reap it';
        findings.push({ severity: 'warning', kind: 'owner_gone', subject: s.spec.name, message: `"${s.spec.name}" ends with its session ${s.owner.session}, which is gone: ${who}`, fix: daemonRunning ? null : 'berth gc' });
      }
    }
    if (isLive(s.state) && !alive && !daemonRunning) {
      findings.push({ severity: 'warning', kind: 'stale_service', subject: s.spec.name, message: `"${s.spec.name}" is recorded as ${s.state}, but its process is gone and no daemon watches it`, fix: 'berth ps' });
    }
    if (s.state === 'backoff' || s.state === 'failed') {
      const own = trees.find((t) => t.record.spec.name === s.spec.name)?.pids ?? new Set<number>();
      // what holds its port or a declared lock now, other than its own processes: the conflict that keeps it down
      const blocker = findObstacles(s.port, declaredLocks(s.spec)).find((o) => o.hidden.length > 0 || o.holders.some((p) => !own.has(p.pid)));
      const state = s.state === 'backoff' ? `in a crash loop (${s.restarts} restarts)` : 'failed';
      if (blocker) {
        const target = blocker.port !== null ? String(blocker.port) : blocker.subject;
        // `berth free PATH` stops every holder of a lock file, readers too: when others hold it
        // besides those in the way, only the processes in the way are named (as in a refusal's hint)
        const inWay = blocker.holders.filter((p) => !own.has(p.pid)).map((p) => p.pid);
        const fix = blocker.othersHold && inWay.length > 0 ? `stop pid ${inWay.join(', ')} (berth free ${target} would stop its readers too)` : `berth free ${target}`;
        findings.push({ severity: 'error', kind: 'crash_loop', subject: s.spec.name, message: `"${s.spec.name}" is ${state}: ${blocker.subject} is held by ${describeObstacleHolder(blocker)}`, fix });
      } else {
        findings.push({ severity: 'warning', kind: 'service_failed', subject: s.spec.name, message: `"${s.spec.name}" is ${state}: ${s.detail ?? 'see its log'}`, fix: `berth logs ${s.spec.name} (then fix it, or remove it: berth rm ${s.spec.name})` });
      }
    }
  }
  for (const l of registry?.all<LockRow>('SELECT name, pid, start_ticks, boot_id FROM locks') ?? []) {
    if (!isAlive({ pid: l.pid, startTicks: l.start_ticks, bootId: l.boot_id })) {
      findings.push({ severity: 'warning', kind: 'stale_lock', subject: l.name, message: `the record of lock "${l.name}" names pid ${l.pid}, which is gone`, fix: 'berth gc' });
    }
  }
  findings.push(...findUnitConflicts(listUnitFiles(unitDirs ?? machineUnitDirs()), listeners));
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  findings.sort((a, b) => order[a.severity] - order[b.severity]);
  return { findings, conflicts: findings.filter((f) => f.severity === 'error').length, config: project?.file ?? null };
}
