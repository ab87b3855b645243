// berth restart NAME [--force] [--take]
import type { Context } from '../context.ts';
import { parseDuration } from '../../app/input.ts';
import { restartService } from '../../app/services.ts';
import { where } from '../format/service.ts';
import { withSpinner } from '../format/spinner.ts';
import { printLogTail } from './run.ts';

export async function run(ctx: Context, name: string, opts: { grace?: string; wait?: boolean; timeout?: string; force?: boolean; take?: boolean; project?: string }): Promise<number> {
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const timeoutMs = parseDuration(opts.timeout ?? '60s', '--timeout');
  try {
    const result = await withSpinner(ctx, `restarting ${name}`, () => restartService(ctx, { name, graceMs, wait: opts.wait !== false, timeoutMs, force: opts.force === true, take: opts.take === true, ...(opts.project !== undefined ? { project: opts.project } : {}) }));
    if (ctx.json) ctx.out.json(result);
    else ctx.out.line(`restarted ${result.service.name} (${where(result.service)})`);
    return 0;
  } catch (err) {
    printLogTail(ctx, err);
    throw err;
  }
}
