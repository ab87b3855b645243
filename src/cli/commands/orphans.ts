// berth orphans: processes berth did not start that hold a port or a file lock and look
// abandoned, each with why and the safe command. Lists only; never signals.
import type { Context } from '../context.ts';
import type { Orphan } from '../../core/orphans.ts';
import { listOrphans } from '../../app/orphans.ts';
import { branchOf } from '../format/git.ts';
import { table } from '../format/table.ts';
import { span } from '../format/time.ts';

export function run(ctx: Context): number {
  const report = listOrphans(ctx);
  if (ctx.json) {
    ctx.out.json(report);
    return 0;
  }
  if (report.orphans.length === 0) {
    ctx.out.line('no orphans: nothing berth did not start holds a port or a file lock and looks abandoned');
    return 0;
  }
  printOrphans(ctx, report.orphans);
  // each one's own scoped command: the unscoped gc would stop every agent-abandoned process of this user, other sessions' too
  if (report.collectable > 0) ctx.out.line(`${report.collectable} abandoned by an agent session: each one's "stop it" command above stops that one alone (berth gc --orphans --pid PID:START)`);
  return 0;
}

/** The orphans as a table, then each one's reasons and commands (shared with gc --orphans). */
export function printOrphans(ctx: Context, orphans: Orphan[]): void {
  const rows = orphans.map((o) => [String(o.pid), o.kind, held(o), span(o.ageMs), o.rssBytes === null ? '?' : `${Math.round(o.rssBytes / 1048576)}M`, where(o), o.command]);
  for (const line of table(['PID', 'KIND', 'HOLDS', 'AGE', 'RSS', 'CWD', 'COMMAND'], rows)) ctx.out.line(line);
  for (const o of orphans) {
    ctx.out.line(`pid ${o.pid}: ${o.reasons.join('; ')}`);
    ctx.out.line(`  stop it: ${o.fix}    keep it: ${o.adopt}`);
  }
}

function held(o: Orphan): string {
  return [...o.ports.map((p) => `${p.protocol === 'udp' ? 'udp ' : ''}:${p.port}`), ...o.files].join(', ');
}

function where(o: Orphan): string {
  const cwd = o.cwd ?? '?';
  const branch = branchOf(o.git);
  return branch ? `${cwd} [${branch}]` : cwd;
}
