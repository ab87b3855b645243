// berth ports
import type { Context } from '../context.ts';
import { listPorts } from '../../app/inspect.ts';
import { branchOf } from '../format/git.ts';
import { table } from '../format/table.ts';
import { until } from '../format/time.ts';
import { unitOf } from '../format/unit.ts';

export function run(ctx: Context): number {
  const doc = listPorts(ctx);
  const { claims, listeners, unreadable } = doc;
  if (ctx.json) {
    ctx.out.json(doc);
    return 0;
  }
  ctx.out.line(claims.length === 0 ? 'No reservations or leases.' : 'Reserved and leased:');
  if (claims.length > 0) {
    const rows = claims.map((c) => [
      String(c.port),
      c.name,
      c.kind,
      c.kind === 'lease' ? until(c.expiresAt) : '-',
      c.owner?.session ?? '-',
      c.status === 'conflict' ? `CONFLICT: pid ${c.strangers.join(', ')}` : c.status,
    ]);
    for (const line of table(['PORT', 'NAME', 'KIND', 'EXPIRES', 'OWNER', 'STATUS'], rows)) ctx.out.line(`  ${line}`);
  }
  ctx.out.line();
  ctx.out.line(listeners.length === 0 ? 'Nothing listens on this host.' : 'Listening:');
  const claimed = new Map(claims.map((c) => [c.port, c]));
  const rows = listeners.map((l) => {
    const claim = claimed.get(l.port);
    return [
      String(l.port),
      l.protocol,
      l.family === 'ipv6' ? `[${l.address}]` : l.address,
      l.processes.map((p) => p.pid).join(',') || '?',
      claim ? `${claim.kind} ${claim.name}${claim.status === 'conflict' ? ' CONFLICT' : ''}` : '-',
      (l.processes[0] && unitOf(l.processes[0])) ?? '-',
      (l.processes[0] && branchOf(l.processes[0].git)) ?? '-',
      l.processes[0]?.command ?? `(socket of ${l.user})`,
    ];
  });
  // the UNIT and BRANCH columns only where some listener runs in a systemd service or a git
  // worktree: without systemd, or on a host with no checkouts, they are all dashes
  const optional = [5, 6].filter((i) => rows.some((r) => r[i] !== '-'));
  const headers = ['PORT', 'PROTO', 'ADDRESS', 'PID', 'BERTH', 'UNIT', 'BRANCH', 'COMMAND'];
  const shown = (r: string[]): string[] => r.filter((_, i) => (i !== 5 && i !== 6) || optional.includes(i));
  if (rows.length > 0) for (const line of table(shown(headers), rows.map(shown))) ctx.out.line(`  ${line}`);
  if (unreadable > 0) ctx.out.line(`(${unreadable} processes could not be inspected)`);
  return 0;
}
