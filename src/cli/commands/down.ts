// berth down [NAME…] [--force]: stop what berth.yaml declares, dependents before their dependencies.
import type { Context } from '../context.ts';
import { downProject } from '../../app/services.ts';
import { parseDuration } from '../../app/input.ts';

export async function run(ctx: Context, names: string[], opts: { grace?: string; force?: boolean; project?: string }): Promise<number> {
  const result = await downProject(ctx, process.cwd(), names, parseDuration(opts.grace ?? '10s', '--grace'), { force: opts.force === true, project: opts.project });
  if (ctx.json) ctx.out.json(result);
  else if (result.services.length === 0) ctx.out.line('nothing to stop');
  else for (const s of result.services) ctx.out.line(`${s.name}: stopped`);
  return 0;
}
