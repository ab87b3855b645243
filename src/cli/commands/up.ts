// berth up [NAME…] [--force]: start what berth.yaml (or a Procfile) declares, dependencies first, each
// once its dependencies are ready.
import type { Context } from '../context.ts';
import { upProject } from '../../app/services.ts';
import type { RunResult } from '../../core/supervisor/api.ts';
import { parseDuration } from '../../app/input.ts';
import { changedText, evictionLines, where } from '../format/service.ts';
import { withSpinner } from '../format/spinner.ts';
import { printLogTail } from './run.ts';

export async function run(ctx: Context, names: string[], opts: { timeout?: string; force?: boolean; project?: string }): Promise<number> {
  const timeoutMs = parseDuration(opts.timeout ?? '60s', '--timeout');
  const report = (r: RunResult): void => {
    if (ctx.json) return;
    const s = r.service;
    for (const line of evictionLines(r)) ctx.out.line(`${s.name}: ${line}`);
    ctx.out.line(
      r.outcome === 'already_running'
        ? `${s.name}: already running (pid ${s.pid})${s.port !== null ? ` on :${s.port}` : ''}`
        : `${s.name}: ${r.outcome} (${where(s)}), ${s.state} in ${((r.readyMs ?? 0) / 1000).toFixed(1)}s${changedText(r)}`,
    );
  };
  try {
    const result = await withSpinner(ctx, 'starting', () => upProject(ctx, process.cwd(), names, timeoutMs, report, { force: opts.force === true, project: opts.project }));
    if (ctx.json) ctx.out.json(result);
    return 0;
  } catch (err) {
    printLogTail(ctx, err);
    throw err;
  }
}
