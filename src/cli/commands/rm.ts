// berth rm NAME: stop it and forget it (its lease is released)
import type { Context } from '../context.ts';
import { parseDuration, parseName } from '../../core/validate.ts';

export async function run(ctx: Context, nameArg: string, opts: { grace?: string }): Promise<number> {
  const name = parseName(nameArg, 'service name');
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const service = await (await ctx.client()).remove({ name, graceMs, ...ctx.requester() });
  if (ctx.json) ctx.out.json({ removed: service });
  else ctx.out.line(`removed ${name}${service.port !== null ? ` (port ${service.port} released)` : ''}`);
  return 0;
}
