// berth lock NAME [--slots N] [--wait 30s] -- CMD…
import type { Context } from '../context.ts';
import { runUnderLock } from '../../app/lock.ts';
import { UsageError } from '../../core/errors.ts';

export async function run(ctx: Context, name: string, argv: string[], opts: { wait?: string; timeout?: string; slots?: string }): Promise<number> {
  if (opts.wait !== undefined && opts.timeout !== undefined) throw new UsageError('give --wait or --timeout, not both', 'berth lock NAME --wait 30s -- CMD (--timeout is another name for --wait)');
  // `--timeout` is what `rate` and `run` call it: taken as --wait
  const wait = opts.wait ?? opts.timeout;
  const result = await runUnderLock(ctx, {
    name,
    argv,
    ...(wait !== undefined ? { wait } : {}),
    ...(opts.slots !== undefined ? { slots: opts.slots } : {}),
    stdout: ctx.json ? 'stderr' : 'stdout',
  });
  if (ctx.json) ctx.out.json(result);
  if (!result.acquired) {
    if (ctx.json) return 0;
    if ('holders' in result) {
      const pids = result.holders.map((h) => `pid ${h.pid}`).join(', ');
      ctx.out.line(`${result.slots === 1 ? 'the 1 slot' : `all ${result.slots} slots`} of "${result.name}" ${result.slots === 1 ? 'is' : 'are'} held${pids ? ` (${pids})` : ''}`);
    } else {
      const holder = result.holder;
      ctx.out.line(holder ? `already running (pid ${holder.pid}): ${holder.command}` : `already running: lock "${result.name}" is held (holder not visible)`);
    }
    return 0;
  }
  return result.status;
}
