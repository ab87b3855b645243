// berth stop NAME [--grace 10s]
import type { Context } from '../context.ts';
import { parseDuration, parseName } from '../../core/validate.ts';
import { withSpinner } from '../format/spinner.ts';

export async function run(ctx: Context, nameArg: string, opts: { grace?: string }): Promise<number> {
  const name = parseName(nameArg, 'service name');
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const client = await ctx.client();
  const service = await withSpinner(ctx, `stopping ${name}`, () => client.stop({ name, graceMs, ...ctx.requester() }));
  if (ctx.json) ctx.out.json({ service });
  else ctx.out.line(`stopped ${name}`);
  return 0;
}
