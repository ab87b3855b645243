// berth logs NAME [-f] [-n 100]: read straight from the service's log file; no daemon needed.
import type { Context } from '../context.ts';
import { followLogs, readLogs } from '../../app/logs.ts';

export async function run(ctx: Context, name: string, opts: { follow?: boolean; lines?: string; project?: string }): Promise<number> {
  const doc = await readLogs(ctx, name, opts.lines ?? '100', { project: opts.project });
  if (ctx.json && !opts.follow) {
    ctx.out.json(doc);
    return 0;
  }
  for (const line of doc.lines) ctx.out.raw(line);
  if (!opts.follow) return 0;
  await follow(ctx, doc.path);
  return 0;
}

/** Prints what is appended to the log until interrupted. */
function follow(ctx: Context, path: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = followLogs(path, (line) => (ctx.json ? ctx.out.line(JSON.stringify({ line })) : ctx.out.raw(line)));
    const end = (): void => {
      stop();
      resolve();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
}
