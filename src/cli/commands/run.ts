// berth run NAME [--port auto|N] [--health SPEC] … -- CMD…
import type { Context } from '../context.ts';
import { type RunInput, runService } from '../../app/services.ts';
import { BerthError } from '../../core/errors.ts';
import { MAX_RESTARTS_LIMIT, parseCount, parseDuration, parseWatchdog } from '../../app/input.ts';
import { changedText, evictionLines, where } from '../format/service.ts';
import { withSpinner } from '../format/spinner.ts';

export interface RunOptions {
  project?: string;
  port?: string;
  health?: string;
  watchdog?: string;
  purpose?: string;
  cwd?: string;
  env?: string[];
  restart?: string;
  maxRestarts?: string;
  keep?: boolean;
  untilSessionEnds?: boolean;
  ephemeral?: boolean;
  onConflict?: string;
  lock?: string[];
  portFromListener?: boolean;
  wait?: boolean;
  timeout?: string;
  force?: boolean;
}

export async function run(ctx: Context, name: string, argv: string[], opts: RunOptions): Promise<number> {
  const maxRestarts = opts.maxRestarts === undefined ? undefined : parseCount(opts.maxRestarts, '--max-restarts', { max: MAX_RESTARTS_LIMIT, code: 'invalid_max_restarts' });
  const input: RunInput = {
    name,
    ...(opts.project !== undefined ? { project: opts.project } : {}),
    argv,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.health !== undefined ? { health: opts.health } : {}),
    ...(opts.watchdog !== undefined ? { watchdogMs: parseWatchdog(opts.watchdog, '--watchdog') } : {}),
    ...(opts.purpose !== undefined ? { purpose: opts.purpose } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.restart !== undefined ? { restart: opts.restart } : {}),
    ...(maxRestarts !== undefined ? { maxRestarts } : {}),
    ...(opts.onConflict !== undefined ? { onConflict: opts.onConflict } : {}),
    ...(opts.lock !== undefined ? { locks: opts.lock } : {}),
    keep: opts.keep === true,
    untilSessionEnds: opts.untilSessionEnds === true,
    ...(opts.portFromListener === true ? { portFromListener: true } : {}),
    ephemeral: opts.ephemeral === true,
    wait: opts.wait !== false,
    timeoutMs: parseDuration(opts.timeout ?? '60s', '--timeout'),
    force: opts.force === true,
  };
  try {
    const result = await withSpinner(ctx, `starting ${name}`, () => runService(ctx, input));
    if (ctx.json) {
      ctx.out.json(result);
      return 0;
    }
    for (const line of evictionLines(result)) ctx.out.line(line);
    if (result.outcome === 'already_running') ctx.out.line(`already running (pid ${result.service.pid}) ${result.service.port !== null ? `on :${result.service.port}` : ''}`.trimEnd());
    else {
      const ready = result.readyMs === null ? 'not waiting for it to be ready' : `${result.service.state} in ${(result.readyMs / 1000).toFixed(1)}s`;
      ctx.out.line(`${result.outcome} ${name} (${where(result.service)}), ${ready}${changedText(result)}`);
    }
    const owner = result.service.owner;
    // a lifetime flag the running service did not take; else what happens to it when this
    // session ends, said once where the agent reads it (decision 0017)
    for (const warning of result.warnings) ctx.out.note(`warning: ${warning}`);
    if (result.warnings.length === 0 && result.service.lifetime === 'session' && owner?.process !== undefined) ctx.out.note(`${name} stops when session ${owner.session} ends (berth run --keep keeps it running)`);
    return 0;
  } catch (err) {
    printLogTail(ctx, err);
    throw err;
  }
}

/** For a service that failed to start, its last log lines say why: show them. */
export function printLogTail(ctx: Context, err: unknown): void {
  if (ctx.json || !(err instanceof BerthError)) return;
  const tail = err.details?.logTail;
  if (Array.isArray(tail) && tail.length > 0) {
    ctx.out.note(`--- last ${tail.length} log lines ---`);
    for (const line of tail) ctx.out.note(String(line));
    ctx.out.note('---');
  }
}
