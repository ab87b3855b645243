// berth down [NAME…]: stop what berth.yaml declares, dependents before their dependencies.
import type { Context } from '../context.ts';
import { loadProject, startOrder } from '../../core/config/load.ts';
import { BerthError } from '../../core/errors.ts';
import type { ServiceView } from '../../core/supervisor/api.ts';
import { parseDuration } from '../../core/validate.ts';

export async function run(ctx: Context, names: string[], opts: { grace?: string }): Promise<number> {
  const project = loadProject(process.cwd());
  const order = startOrder(project, names).reverse();
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const client = await ctx.client();
  const stopped: ServiceView[] = [];
  for (const name of order) {
    try {
      stopped.push(await client.stop({ name, graceMs, ...ctx.requester() }));
      if (!ctx.json) ctx.out.line(`${name}: stopped`);
    } catch (err) {
      // never started: nothing to stop
      if (err instanceof BerthError && err.code === 'not_found') continue;
      throw err;
    }
  }
  if (ctx.json) ctx.out.json({ file: project.file, services: stopped });
  else if (stopped.length === 0) ctx.out.line('nothing to stop');
  return 0;
}
