// berth logs NAME [-f] [-n 100]: read straight from the service's log file; no daemon needed.
import type { Context } from '../context.ts';
import { lstatOrUndefined } from '../../core/private-fs.ts';
import { followFile, logPath, tailLines } from '../../core/supervisor/logs.ts';
import { ServiceNotFoundError } from '../../core/supervisor/errors.ts';
import { loadService } from '../../core/supervisor/store.ts';
import { parseCount, parseName } from '../../core/validate.ts';

/** The most lines one call prints. */
const MAX_LINES = 1_000_000;

export async function run(ctx: Context, nameArg: string, opts: { follow?: boolean; lines?: string }): Promise<number> {
  const name = parseName(nameArg, 'service name');
  const n = parseCount(opts.lines ?? '100', '-n', { max: MAX_LINES, code: 'invalid_lines' });
  const path = logPath(ctx.home, name);
  // read first: a logs/ or log that is a link is refused, not taken for a missing log
  const lines = tailLines(path, n);
  const registry = ctx.existingRegistry();
  if (lstatOrUndefined(path) === undefined && !(registry && loadService(registry, name))) throw new ServiceNotFoundError(name);
  if (ctx.json && !opts.follow) {
    ctx.out.json({ name, path, lines });
    return 0;
  }
  for (const line of lines) ctx.out.raw(line);
  if (!opts.follow) return 0;
  await follow(ctx, path);
  return 0;
}

/** Prints what is appended to the log until interrupted. */
function follow(ctx: Context, path: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = followFile(path, (line) => (ctx.json ? ctx.out.line(JSON.stringify({ line })) : ctx.out.raw(line)));
    const end = (): void => {
      stop();
      resolve();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
}
