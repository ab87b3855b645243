// berth rm NAME [--force]: stop it and forget it (its lease is released)
import type { Context } from '../context.ts';
import { parseDuration } from '../../app/input.ts';
import { removeService } from '../../app/services.ts';

export async function run(ctx: Context, name: string, opts: { grace?: string; force?: boolean; project?: string }): Promise<number> {
  const doc = await removeService(ctx, name, parseDuration(opts.grace ?? '10s', '--grace'), { force: opts.force === true, project: opts.project });
  if (ctx.json) ctx.out.json(doc);
  else ctx.out.line(`removed ${doc.removed.name}${doc.removed.port !== null ? ` (port ${doc.removed.port} released)` : ''}`);
  return 0;
}
