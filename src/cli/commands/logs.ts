// berth logs NAME [-f] [-n 100]: read straight from the service's log file; no daemon needed.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Context } from '../context.ts';
import { UsageError } from '../../core/errors.ts';
import { logPath, tailLines } from '../../core/supervisor/logs.ts';
import { ServiceNotFoundError } from '../../core/supervisor/errors.ts';
import { loadService } from '../../core/supervisor/store.ts';
import { parseName } from '../../core/validate.ts';

const FOLLOW_POLL_MS = 200;

export async function run(ctx: Context, nameArg: string, opts: { follow?: boolean; lines?: string }): Promise<number> {
  const name = parseName(nameArg, 'service name');
  const n = Number(opts.lines ?? '100');
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid -n ${JSON.stringify(opts.lines)}: a whole number`, undefined, 'invalid_lines');
  const path = logPath(ctx.home, name);
  const registry = ctx.existingRegistry();
  if (!existsSync(path) && !(registry && loadService(registry, name))) throw new ServiceNotFoundError(name);
  const lines = tailLines(path, n);
  if (ctx.json && !opts.follow) {
    ctx.out.json({ name, path, lines });
    return 0;
  }
  for (const line of lines) ctx.out.line(line);
  if (!opts.follow) return 0;
  await follow(ctx, path);
  return 0;
}

/** Prints what is appended to the file until interrupted; starts over when the log is rotated. */
async function follow(ctx: Context, path: string): Promise<void> {
  let offset = existsSync(path) ? statSync(path).size : 0;
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let pending = '';
  while (!stop) {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size < offset) offset = 0; // truncated by rotation
    if (size > offset) {
      const fd = openSync(path, 'r');
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      closeSync(fd);
      offset = size;
      const text = pending + buf.toString('utf8');
      const parts = text.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) ctx.json ? ctx.out.line(JSON.stringify({ line })) : ctx.out.line(line);
    }
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
}
