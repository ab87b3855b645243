// berth gc [--dry-run] [--orphans [--pid PID[:START] ...]]
import type { Context } from '../context.ts';
import { collectGarbage } from '../../app/maintenance.ts';
import { collectOrphanGarbage, type OrphanTarget, refusePidsWithoutOrphans } from '../../app/orphans.ts';
import { parseOrphanTarget } from '../../app/input.ts';
import { printOrphans } from './orphans.ts';

const VERB: Record<string, string> = { 'stop-service': 'stop service', 'reclaim-lease': 'reclaim lease', 'drop-lock-record': 'drop lock record', 'remove-tmpdir': 'remove TMPDIR' };

export async function run(ctx: Context, opts: { dryRun?: boolean; orphans?: boolean; pid?: string[] }): Promise<number> {
  if (opts.pid !== undefined && !opts.orphans) refusePidsWithoutOrphans('--pid');
  if (opts.orphans) return orphans(ctx, opts.dryRun === true, opts.pid?.map(parseOrphanTarget));
  const result = await collectGarbage(ctx, opts.dryRun === true);
  if (ctx.json) ctx.out.json(result);
  else {
    if (result.actions.length === 0) ctx.out.line('nothing to clean up');
    for (const a of result.actions) ctx.out.line(`${result.dryRun ? 'would ' : ''}${VERB[a.kind]} ${a.subject}: ${a.detail}`);
  }
  return 0;
}

async function orphans(ctx: Context, dryRun: boolean, targets: OrphanTarget[] | undefined): Promise<number> {
  const result = await collectOrphanGarbage(ctx, dryRun, targets);
  if (ctx.json) {
    ctx.out.json(result);
    return 0;
  }
  const { found, stopped, skipped } = result.orphans!;
  for (const s of skipped) ctx.out.line(`pid ${s.pid}: ${s.why}`);
  if (found.length === 0) {
    if (targets === undefined) ctx.out.line('no orphans abandoned by an agent session (berth orphans lists the others)');
    return 0;
  }
  if (dryRun) {
    ctx.out.line(`would stop ${found.length} orphan(s) abandoned by an agent session:`);
    printOrphans(ctx, found);
    return 0;
  }
  for (const s of stopped) {
    if (s.outcome === 'stopped') ctx.out.line(`stopped pid ${s.pid} (${s.command})${s.forced ? ' (killed after the grace)' : ''}`);
    else ctx.out.line(`left pid ${s.pid} (${s.command}): ${s.why}`);
  }
  return 0;
}
