// berth events [--since 1h] [-n 200]
import type { Context } from '../context.ts';
import { readEvents } from '../../app/inspect.ts';
import { table } from '../format/table.ts';

export function run(ctx: Context, opts: { since?: string; limit?: string }): number {
  const doc = readEvents(ctx, { ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}) });
  if (ctx.json) {
    ctx.out.json(doc);
    return 0;
  }
  if (doc.events.length === 0) {
    ctx.out.line('No events.');
    return 0;
  }
  const rows = doc.events.map((e) => [
    e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    e.verb,
    e.subject,
    e.outcome,
    e.owner?.session ?? '-',
    e.details ? Object.entries(e.details).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ') : '',
  ]);
  for (const line of table(['TIME', 'VERB', 'SUBJECT', 'OUTCOME', 'OWNER', 'DETAILS'], rows)) ctx.out.line(line);
  return 0;
}
