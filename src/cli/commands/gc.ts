// berth gc [--dry-run]
import type { Context } from '../context.ts';
import { collectGarbage } from '../../app/maintenance.ts';

const VERB: Record<string, string> = { 'stop-service': 'stop service', 'reclaim-lease': 'reclaim lease', 'drop-lock-record': 'drop lock record', 'remove-tmpdir': 'remove TMPDIR' };

export async function run(ctx: Context, opts: { dryRun?: boolean }): Promise<number> {
  const result = await collectGarbage(ctx, opts.dryRun === true);
  if (ctx.json) ctx.out.json(result);
  else {
    if (result.actions.length === 0) ctx.out.line('nothing to clean up');
    for (const a of result.actions) ctx.out.line(`${result.dryRun ? 'would ' : ''}${VERB[a.kind]} ${a.subject}: ${a.detail}`);
  }
  return 0;
}
