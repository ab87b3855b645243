// berth lock NAME [--slots N] [--wait 30s] -- CMD…
import type { Context } from '../context.ts';
import { runUnderLock } from '../../app/lock.ts';

export async function run(ctx: Context, name: string, argv: string[], opts: { wait?: string; slots?: string }): Promise<number> {
  const result = await runUnderLock(ctx, {
    name,
    argv,
    ...(opts.wait !== undefined ? { wait: opts.wait } : {}),
    ...(opts.slots !== undefined ? { slots: opts.slots } : {}),
    stdout: ctx.json ? 'stderr' : 'stdout',
  });
  if (ctx.json) ctx.out.json(result);
  if (!result.acquired) {
    if (ctx.json) return 0;
    if ('holders' in result) {
      const pids = result.holders.map((h) => `pid ${h.pid}`).join(', ');
      ctx.out.line(`all ${result.slots} slots of "${result.name}" are held${pids ? ` (${pids})` : ''}`);
    } else {
      const holder = result.holder;
      ctx.out.line(holder ? `already running (pid ${holder.pid}): ${holder.command}` : `already running: lock "${result.name}" is held (holder not visible)`);
    }
    return 0;
  }
  return result.status;
}
