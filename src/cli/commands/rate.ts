// berth rate NAME --limit 60/min [--burst N] [--timeout D] (--take | -- CMD…)
import type { Context } from '../context.ts';
import { UsageError } from '../../core/errors.ts';
import { runUnderRate, takeRateToken } from '../../app/rate.ts';
import type { TakeResult } from '../../core/rate/bucket.ts';

interface RateOptions {
  limit?: string;
  burst?: string;
  timeout?: string;
  take?: boolean;
}

function waited(ctx: Context, r: TakeResult): void {
  // stderr, so that the command's output (or the JSON document) stays alone on stdout
  ctx.out.note(`berth: took a token of "${r.name}" (${r.limit}) after waiting ${r.waitedMs} ms`);
}

export async function run(ctx: Context, name: string, argv: string[], opts: RateOptions): Promise<number> {
  if (opts.limit === undefined) throw new UsageError('--limit is required', 'berth rate NAME --limit 60/min --take', 'invalid_rate');
  const input = { name, limit: opts.limit, ...(opts.burst !== undefined ? { burst: opts.burst } : {}), ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) };
  if (opts.take === true) {
    if (argv.length > 0 && !(argv.length === 1 && argv[0] === '--')) throw new UsageError('--take takes a token and runs nothing: give either --take or -- CMD', 'berth rate NAME --limit 60/min --take');
    const r = await takeRateToken(ctx, input);
    waited(ctx, r);
    if (ctx.json) ctx.out.json(r);
    return 0;
  }
  const r = await runUnderRate(ctx, { ...input, argv, stdout: ctx.json ? 'stderr' : 'stdout', onTaken: (t) => waited(ctx, t) });
  if (ctx.json) ctx.out.json(r);
  return r.status;
}
