// berth restart NAME
import type { Context } from '../context.ts';
import { parseDuration, parseName } from '../../core/validate.ts';
import { where } from '../format/service.ts';
import { withSpinner } from '../format/spinner.ts';
import { printLogTail } from './run.ts';

export async function run(ctx: Context, nameArg: string, opts: { grace?: string; wait?: boolean; timeout?: string }): Promise<number> {
  const name = parseName(nameArg, 'service name');
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const timeoutMs = parseDuration(opts.timeout ?? '60s', '--timeout');
  const client = await ctx.client();
  try {
    const result = await withSpinner(ctx, `restarting ${name}`, () =>
      client.restart({ name, graceMs, wait: opts.wait !== false, timeoutMs, ...ctx.requester() }),
    );
    if (ctx.json) ctx.out.json(result);
    else ctx.out.line(`restarted ${name} (${where(result.service)})`);
    return 0;
  } catch (err) {
    printLogTail(ctx, err);
    throw err;
  }
}
