// berth doctor: the collision map; exit 3 when there is a conflict.
import type { Context } from '../context.ts';
import { findConfig, loadProject } from '../../core/config/load.ts';
import { diagnose } from '../../core/doctor.ts';
import { EXIT } from '../../core/errors.ts';

export async function run(ctx: Context): Promise<number> {
  const project = findConfig(process.cwd()) ? loadProject(process.cwd()) : undefined;
  const daemonRunning = (await (await ctx.client()).probe()) !== undefined;
  const report = diagnose(ctx.existingRegistry(), project, daemonRunning);
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
