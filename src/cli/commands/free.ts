// berth free PORT|PATH [--force] [--grace 5s] [--quiet]
import type { Context } from '../context.ts';
import { evictHolder, planFree, targetLabel, type FreeTarget } from '../../core/free.ts';
import { PathNotFoundError } from '../../core/inspect/holders.ts';
import { parseDuration, parsePort } from '../../core/validate.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export async function run(ctx: Context, targetArg: string, opts: { force?: boolean; grace?: string; quiet?: boolean }): Promise<number> {
  let target: FreeTarget;
  if (/^:?\d+$/.test(targetArg.trim())) target = { kind: 'port', port: parsePort(targetArg) };
  else {
    if (!existsSync(targetArg)) throw new PathNotFoundError(targetArg);
    target = { kind: 'path', path: resolve(targetArg) };
  }
  const graceMs = parseDuration(opts.grace ?? '5s', '--grace');
  const steps = planFree(target, ctx.existingRegistry(), ctx.caller.owner, opts.force === true);
  const done: Array<{ pid: number; command: string; service: string | null; forced: boolean }> = [];
  for (const step of steps) {
    if (step.service) {
      await (await ctx.client()).stop({ name: step.service, graceMs, ...ctx.requester() });
      done.push({ pid: step.process.pid, command: step.process.command, service: step.service, forced: false });
    } else {
      const { forced } = await evictHolder(step, target, ctx.registry(), ctx.caller, graceMs);
      done.push({ pid: step.process.pid, command: step.process.command, service: null, forced });
    }
  }
  if (ctx.json) ctx.out.json({ target: targetLabel(target), stopped: done });
  else if (!opts.quiet) {
    if (done.length === 0) ctx.out.line(`nothing holds ${targetLabel(target)}`);
    for (const d of done) {
      ctx.out.line(d.service ? `stopped service "${d.service}" (pid ${d.pid}) holding ${targetLabel(target)}` : `stopped pid ${d.pid} (${d.command}) holding ${targetLabel(target)}${d.forced ? ' (killed after the grace)' : ''}`);
    }
  }
  return 0;
}
