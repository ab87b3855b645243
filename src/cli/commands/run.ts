// berth run NAME [--port auto|N] [--health SPEC] … -- CMD…
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../context.ts';
import { BerthError, UsageError } from '../../core/errors.ts';
import { parseEnvPairs, parseOnConflict, parseRestart, type PortRequest, type ServiceSpec } from '../../core/supervisor/spec.ts';
import { parseDuration, parseName, parsePort } from '../../core/validate.ts';
import { where } from '../format/service.ts';
import { withSpinner } from '../format/spinner.ts';

export interface RunOptions {
  port?: string;
  health?: string;
  purpose?: string;
  cwd?: string;
  env?: string[];
  restart?: string;
  maxRestarts?: string;
  ephemeral?: boolean;
  onConflict?: string;
  lock?: string[];
  wait?: boolean;
  timeout?: string;
}

export function parsePortOption(text: string | undefined): PortRequest {
  if (text === undefined) return { kind: 'none' };
  if (text === 'auto') return { kind: 'auto' };
  return { kind: 'fixed', port: parsePort(text) };
}

function parseCwd(text: string | undefined): string {
  const dir = resolve(text ?? process.cwd());
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--cwd ${JSON.stringify(text)} is not a directory`, undefined, 'invalid_cwd');
  return dir;
}

export async function run(ctx: Context, nameArg: string, argv: string[], opts: RunOptions): Promise<number> {
  const name = parseName(nameArg, 'service name');
  let maxRestarts: number | null = null;
  if (opts.maxRestarts !== undefined) {
    maxRestarts = Number(opts.maxRestarts);
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new UsageError(`invalid --max-restarts ${JSON.stringify(opts.maxRestarts)}: a whole number`, undefined, 'invalid_max_restarts');
  }
  const spec: ServiceSpec = {
    name,
    argv,
    cwd: parseCwd(opts.cwd),
    env: parseEnvPairs(opts.env ?? []),
    port: parsePortOption(opts.port),
    health: opts.health ?? null,
    restart: parseRestart(opts.restart ?? 'on-failure'),
    maxRestarts,
    purpose: opts.purpose ?? null,
    ephemeral: opts.ephemeral === true,
    onConflict: parseOnConflict(opts.onConflict ?? 'refuse'),
    locks: (opts.lock ?? []).map((p) => resolve(p)),
  };
  const timeoutMs = parseDuration(opts.timeout ?? '60s', '--timeout');
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const client = await ctx.client();
  try {
    const result = await withSpinner(ctx, `starting ${name}`, () =>
      client.run({ spec, env, wait: opts.wait !== false, timeoutMs, ...ctx.requester() }),
    );
    if (ctx.json) ctx.out.json(result);
    else if (result.outcome === 'already_running') ctx.out.line(`already running (pid ${result.service.pid}) ${result.service.port !== null ? `on :${result.service.port}` : ''}`.trimEnd());
    else {
      const ready = result.readyMs === null ? 'not waiting for it to be ready' : `${result.service.state} in ${(result.readyMs / 1000).toFixed(1)}s`;
      ctx.out.line(`${result.outcome === 'replaced' ? 'replaced' : 'started'} ${name} (${where(result.service)}), ${ready}`);
    }
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
