// berth lock NAME [--wait 30s] -- CMD…
import type { Context } from '../context.ts';
import { exitStatus, runLocked } from '../../core/locks/run-locked.ts';
import { parseDuration, parseName } from '../../core/validate.ts';
import { UsageError } from '../../core/errors.ts';

export async function run(ctx: Context, nameArg: string, argv: string[], opts: { wait?: string }): Promise<number> {
  const name = parseName(nameArg, 'lock name');
  const waitMs = opts.wait === undefined ? 0 : parseDuration(opts.wait, '--wait');
  if (argv[0] === '--') argv = argv.slice(1);
  if (argv.length === 0) throw new UsageError('no command given', 'berth lock NAME -- CMD [ARGS…]');
  const result = await runLocked({ home: ctx.home, registry: ctx.registry(), caller: ctx.caller, name, argv, waitMs, stdout: ctx.json ? 'stderr' : 'stdout' });
  if (!result.acquired) {
    const holder = result.holder;
    if (ctx.json) ctx.out.json({ ...result, alreadyRunning: true });
    else ctx.out.line(holder ? `already running (pid ${holder.pid}): ${holder.command}` : `already running: lock "${name}" is held (holder not visible)`);
    return 0;
  }
  const status = exitStatus(result);
  if (ctx.json) ctx.out.json({ ...result, status });
  return status;
}
