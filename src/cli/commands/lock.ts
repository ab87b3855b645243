// berth lock NAME [--wait 30s] -- CMD…
import type { Context } from '../context.ts';
import { runUnderLock } from '../../app/lock.ts';

export async function run(ctx: Context, name: string, argv: string[], opts: { wait?: string }): Promise<number> {
  const result = await runUnderLock(ctx, { name, argv, ...(opts.wait !== undefined ? { wait: opts.wait } : {}), stdout: ctx.json ? 'stderr' : 'stdout' });
  if (ctx.json) ctx.out.json(result);
  if (!result.acquired) {
    const holder = result.holder;
    if (!ctx.json) ctx.out.line(holder ? `already running (pid ${holder.pid}): ${holder.command}` : `already running: lock "${result.name}" is held (holder not visible)`);
    return 0;
  }
  return result.status;
}
