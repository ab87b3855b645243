// berth gc [--dry-run]
import type { Context } from '../context.ts';
import { applyGcLocally, planGc } from '../../core/gc.ts';

export async function run(ctx: Context, opts: { dryRun?: boolean }): Promise<number> {
  const registry = ctx.existingRegistry();
  const actions = planGc(ctx.home, registry);
  if (!opts.dryRun && registry) {
    applyGcLocally(ctx.home, registry, ctx.caller, actions);
    const stops = actions.filter((a) => a.kind === 'stop-service');
    if (stops.length > 0) {
      const client = await ctx.client();
      for (const a of stops) await client.stop({ name: a.subject, graceMs: 10_000, ...ctx.requester() });
    }
  }
  if (ctx.json) {
    ctx.out.json({ dryRun: opts.dryRun === true, actions });
    return 0;
  }
  if (actions.length === 0) ctx.out.line('nothing to clean up');
  const verb: Record<string, string> = { 'stop-service': 'stop service', 'reclaim-lease': 'reclaim lease', 'drop-lock-record': 'drop lock record', 'remove-tmpdir': 'remove TMPDIR' };
  for (const a of actions) ctx.out.line(`${opts.dryRun ? 'would ' : ''}${verb[a.kind]} ${a.subject}: ${a.detail}`);
  return 0;
}
