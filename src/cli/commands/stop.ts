// berth stop NAME [--grace 10s]
import type { Context } from '../context.ts';
import { stopSession } from '../../app/services.ts';
import { UsageError } from '../../core/errors.ts';
import { parseDuration, parseName } from '../../core/validate.ts';
import { withSpinner } from '../format/spinner.ts';

export async function run(ctx: Context, nameArg: string | undefined, opts: { grace?: string; mine?: boolean; session?: string }): Promise<number> {
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const client = await ctx.client();
  const bySession = opts.mine ? ctx.caller.owner.session : opts.session;
  if ((nameArg === undefined) === (bySession === undefined)) throw new UsageError('give a service name, or --mine, or --session S', 'berth stop NAME | berth stop --mine | berth stop --session S');
  if (bySession !== undefined) {
    const stopped = await stopSession(ctx, bySession, graceMs);
    if (ctx.json) ctx.out.json({ session: bySession, services: stopped });
    else ctx.out.line(stopped.length === 0 ? `no running services of session ${bySession}` : `stopped ${stopped.map((s) => s.name).join(', ')}`);
    return 0;
  }
  const name = parseName(nameArg!, 'service name');
  const service = await withSpinner(ctx, `stopping ${name}`, () => client.stop({ name, graceMs, ...ctx.requester() }));
  if (ctx.json) ctx.out.json({ service });
  else ctx.out.line(`stopped ${name}`);
  return 0;
}
