// berth up [NAME…]: start what berth.yaml (or a Procfile) declares, dependencies first, each
// once its dependencies are ready.
import type { Context } from '../context.ts';
import { loadProject, startOrder } from '../../core/config/load.ts';
import type { RunResult } from '../../core/supervisor/api.ts';
import { parseDuration } from '../../core/validate.ts';
import { where } from '../format/service.ts';
import { withSpinner } from '../format/spinner.ts';
import { printLogTail } from './run.ts';

export async function run(ctx: Context, names: string[], opts: { timeout?: string }): Promise<number> {
  const project = loadProject(process.cwd());
  const order = startOrder(project, names);
  const timeoutMs = parseDuration(opts.timeout ?? '60s', '--timeout');
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const client = await ctx.client();
  const results: RunResult[] = [];
  for (const name of order) {
    const { spec } = project.services.get(name)!;
    try {
      const result = await withSpinner(ctx, `starting ${name}`, () => client.run({ spec, env, wait: true, timeoutMs, ...ctx.requester() }));
      results.push(result);
      if (!ctx.json) {
        ctx.out.line(
          result.outcome === 'already_running'
            ? `${name}: already running (pid ${result.service.pid})${result.service.port !== null ? ` on :${result.service.port}` : ''}`
            : `${name}: ${result.outcome} (${where(result.service)}), ${result.service.state} in ${((result.readyMs ?? 0) / 1000).toFixed(1)}s`,
        );
      }
    } catch (err) {
      if (ctx.json) ctx.out.json({ file: project.file, services: results, failed: name });
      printLogTail(ctx, err);
      throw err;
    }
  }
  if (ctx.json) ctx.out.json({ file: project.file, services: results });
  return 0;
}
