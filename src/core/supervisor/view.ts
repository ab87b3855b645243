// How a service record reads to its users (ps, run, the API): liveness checked now, uptime,
// whether its owner session is gone.
import { isAlive } from '../identity.ts';
import { isOwnerGone } from '../owner.ts';
import type { ServiceView } from './api.ts';
import { expandPort } from './health.ts';
import { logPath } from './logs.ts';
import { isLive } from './state.ts';
import { lifetimeOf } from './lifetime.ts';
import { splitName } from '../project.ts';
import type { ServiceRecord } from './store.ts';

/** notify: what the running instance last said through NOTIFY_SOCKET or `berth beat` (in the daemon's memory). */
export function toView(record: ServiceRecord, home: string, notify?: { status: string | null; mainPid: number | null }): ServiceView {
  const spec = record.spec;
  const live = record.identity !== null && isLive(record.state) && isAlive(record.identity);
  const { project, service } = splitName(spec.name);
  return {
    name: service,
    project,
    fullName: spec.name,
    state: record.state,
    pid: live ? record.identity!.pid : null,
    identity: live ? record.identity : null,
    port: record.port,
    // as it is checked: $PORT expanded
    health: spec.health !== null ? expandPort(spec.health, record.port) : record.port !== null ? 'port' : null,
    owner: record.owner,
    ownerGone: record.owner ? isOwnerGone(record.owner) : false,
    purpose: spec.purpose,
    command: spec.argv.join(' '),
    argv: spec.argv,
    cwd: spec.cwd,
    restartPolicy: spec.restart,
    watchdogMs: spec.watchdogMs ?? null,
    ephemeral: spec.ephemeral,
    lifetime: lifetimeOf(spec),
    onConflict: spec.onConflict ?? 'refuse',
    configFile: spec.configFile ?? null,
    startedAt: live && record.startedAt !== null ? new Date(record.startedAt).toISOString() : null,
    uptimeMs: live && record.startedAt !== null ? Date.now() - record.startedAt : null,
    restarts: record.restarts,
    lastExit: record.lastExit,
    detail: record.detail,
    status: live ? (notify?.status ?? null) : null,
    mainPid: live ? (notify?.mainPid ?? null) : null,
    logPath: logPath(home, spec.name),
  };
}
