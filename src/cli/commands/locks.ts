// berth locks
import type { Context } from '../context.ts';
import { listLocks } from '../../app/inspect.ts';
import { table } from '../format/table.ts';
import { ago } from '../format/time.ts';

export function run(ctx: Context): number {
  const doc = listLocks(ctx);
  const { named, slots, buckets, files } = doc;
  if (ctx.json) {
    ctx.out.json(doc);
    return 0;
  }
  ctx.out.line(named.length === 0 ? 'No named locks are held.' : 'Named locks:');
  const namedRows = named.map((l) => [l.name, String(l.pid), ago(l.acquiredAt), l.owner?.session ?? '-', l.command]);
  if (named.length > 0) for (const line of table(['NAME', 'PID', 'SINCE', 'OWNER', 'COMMAND'], namedRows)) ctx.out.line(`  ${line}`);
  if (slots.length > 0) {
    ctx.out.line();
    ctx.out.line('Semaphore slots:');
    const slotRows = slots.map((l) => [`${l.name}#${l.slot}`, String(l.pid), ago(l.acquiredAt), l.owner?.session ?? '-', l.command]);
    for (const line of table(['SLOT', 'PID', 'SINCE', 'OWNER', 'COMMAND'], slotRows)) ctx.out.line(`  ${line}`);
  }
  if (buckets.length > 0) {
    ctx.out.line();
    ctx.out.line('Rate limits:');
    const bucketRows = buckets.map((b) => [b.name, b.limit, String(b.burst), String(b.tokensLeft), String(b.waiting)]);
    for (const line of table(['NAME', 'LIMIT', 'BURST', 'TOKENS', 'WAITING'], bucketRows)) ctx.out.line(`  ${line}`);
  }
  ctx.out.line();
  ctx.out.line(files.length === 0 ? 'No file locks on this host.' : 'File locks:');
  const fileRows = files.map((l) => [
    l.path ?? `inode ${l.major}:${l.minor}:${l.inode}`,
    l.description,
    l.process ? String(l.process.pid) : l.pid > 0 ? String(l.pid) : '-',
    l.process?.command ?? '-',
  ]);
  if (files.length > 0) for (const line of table(['FILE', 'LOCK', 'PID', 'COMMAND'], fileRows)) ctx.out.line(`  ${line}`);
  return 0;
}
