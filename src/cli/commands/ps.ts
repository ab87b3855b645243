// berth ps [NAME] [--all] [--mine] [--project P]: services grouped by project (sorted by full name)
import type { Context } from '../context.ts';
import { DRIFT_HINT, listServices } from '../../app/services.ts';
import { table } from '../format/table.ts';
import { describeLastExit, uptime } from '../format/service.ts';
import { span } from '../format/time.ts';

/** The HEALTH column: the check, and the watchdog interval when it has one ("notify, watchdog 2s"). */
function healthText(s: { health: string | null; watchdogMs: number | null }): string {
  if (s.watchdogMs === null) return s.health ?? '-';
  const every = s.watchdogMs < 1000 || s.watchdogMs % 1000 !== 0 ? `${s.watchdogMs}ms` : span(s.watchdogMs);
  return `${s.health ?? '-'}, watchdog ${every}`;
}

export async function run(ctx: Context, name: string | undefined, opts: { all?: boolean; mine?: boolean; project?: string }): Promise<number> {
  const { services, total } = await listServices(ctx, { ...opts, ...(name !== undefined ? { name } : {}) });
  if (ctx.json) {
    ctx.out.json({ services });
    return 0;
  }
  if (services.length === 0) {
    ctx.out.line(total === 0 ? 'No services. Start one with: berth run NAME -- CMD' : `No running services (${total} stopped: berth ps --all).`);
    return 0;
  }
  const sorted = [...services].sort((a, b) => a.fullName.localeCompare(b.fullName));
  const rows = sorted.map((s) => [
    s.project ?? '-',
    s.name,
    s.state,
    s.pid === null ? '-' : String(s.pid),
    s.port === null ? '-' : String(s.port),
    healthText(s),
    s.owner ? `${s.owner.session}${s.ownerGone ? ' (gone)' : ''}` : '-',
    s.lifetime,
    uptime(s),
    String(s.restarts),
    describeLastExit(s),
    s.purpose ?? '',
  ]);
  for (const line of table(['PROJECT', 'NAME', 'STATE', 'PID', 'PORT', 'HEALTH', 'OWNER', 'LIFETIME', 'UPTIME', 'RESTARTS', 'LAST EXIT', 'PURPOSE'], rows, 40)) ctx.out.line(line);
  // why it is down or ailing (reaped with its session, a port mismatch, a crash): shown, not only in --json
  for (const s of sorted) if (s.detail && ['backoff', 'failed', 'unhealthy', 'stopped', 'exited'].includes(s.state)) ctx.out.line(`  ${s.fullName}: ${s.detail}`);
  // what a running service last said (sd_notify STATUS=, berth beat --status)
  for (const s of sorted) if (s.status) ctx.out.line(`  ${s.fullName}: ${s.status}`);
  for (const s of sorted) if (s.configChanged) ctx.out.line(`  ${s.fullName}: ${DRIFT_HINT} (${s.configChanged.join(', ')} changed in ${s.configFile})`);
  return 0;
}
