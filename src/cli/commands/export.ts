// berth export systemd|launchd [NAME…] [--user] [--out DIR]
import type { Context } from '../context.ts';
import { exportUnits, parseFormat } from '../../app/export.ts';

export async function run(ctx: Context, format: string, names: string[], opts: { user?: boolean; out?: string }): Promise<number> {
  const result = await exportUnits(ctx, process.cwd(), parseFormat(format), names, { user: opts.user === true, out: opts.out ?? null });
  if (ctx.json) ctx.out.json(result);
  else if (result.dir !== null) for (const f of result.files) ctx.out.line(`wrote ${result.dir}/${f.path}`);
  else for (const f of result.files) ctx.out.line(`# ${f.path}\n${f.content}`);
  return 0;
}
