// berth beat [--ready] [--status TEXT]: a heartbeat (WATCHDOG=1) from a shell script that berth runs.
import type { Context } from '../context.ts';
import { beatService } from '../../app/beat.ts';

export async function run(ctx: Context, opts: { ready?: boolean; status?: string }): Promise<number> {
  const doc = await beatService(ctx, { ready: opts.ready === true, ...(opts.status !== undefined ? { status: opts.status } : {}) });
  if (ctx.json) ctx.out.json(doc);
  return 0;
}
