// berth doctor: the collision map; exit 3 when there is a conflict.
import type { Context } from '../context.ts';
import { runDoctor } from '../../app/maintenance.ts';
import { EXIT } from '../../core/errors.ts';

export async function run(ctx: Context): Promise<number> {
  const report = await runDoctor(ctx, process.cwd());
  if (ctx.json) ctx.out.json(report);
  else {
    if (report.findings.length === 0) ctx.out.line('All clear: no conflicts, no stale records.');
    for (const f of report.findings) {
      ctx.out.line(`${f.severity.toUpperCase().padEnd(7)} ${f.message}`);
      if (f.fix) ctx.out.line(`        fix: ${f.fix}`);
    }
  }
  return report.conflicts > 0 ? EXIT.conflict : EXIT.ok;
}
