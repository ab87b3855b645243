// berth free PORT|PATH [--force] [--grace 5s] [--quiet]
import type { Context } from '../context.ts';
import { freeTarget, parseFreeTarget } from '../../app/maintenance.ts';
import { parseDuration } from '../../app/input.ts';

export async function run(ctx: Context, targetArg: string, opts: { force?: boolean; grace?: string; quiet?: boolean }): Promise<number> {
  const target = parseFreeTarget(targetArg);
  const result = await freeTarget(ctx, target, opts.force === true, parseDuration(opts.grace ?? '5s', '--grace'));
  if (ctx.json) ctx.out.json(result);
  else if (!opts.quiet) {
    if (result.stopped.length === 0) ctx.out.line(`nothing holds ${result.target}`);
    for (const d of result.stopped) {
      ctx.out.line(d.service ? `stopped service "${d.service}" (pid ${d.pid}) holding ${result.target}` : `stopped pid ${d.pid} (${d.command}) holding ${result.target}${d.forced ? ' (killed after the grace)' : ''}`);
    }
  }
  return 0;
}
