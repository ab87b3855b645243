// berth stop NAME | --mine | --session S [--grace 10s] [--force]
import type { Context } from '../context.ts';
import { parseDuration } from '../../app/input.ts';
import { stopVerb } from '../../app/services.ts';
import { withSpinner } from '../format/spinner.ts';

export async function run(ctx: Context, name: string | undefined, opts: { grace?: string; mine?: boolean; session?: string; force?: boolean; project?: string }): Promise<number> {
  const graceMs = parseDuration(opts.grace ?? '10s', '--grace');
  const doc = await withSpinner(ctx, name !== undefined ? `stopping ${name}` : 'stopping', () =>
    stopVerb(ctx, { ...(name !== undefined ? { name } : {}), mine: opts.mine === true, ...(opts.session !== undefined ? { session: opts.session } : {}), graceMs, force: opts.force === true, ...(opts.project !== undefined ? { project: opts.project } : {}) }),
  );
  if (ctx.json) ctx.out.json(doc);
  else if ('service' in doc) ctx.out.line(`stopped ${doc.service.name}`);
  else ctx.out.line(doc.services.length === 0 ? `no running services of session ${doc.session}` : `stopped ${doc.services.map((s) => s.name).join(', ')}`);
  return 0;
}
