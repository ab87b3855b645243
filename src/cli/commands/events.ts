// berth events [--since 1h] [-n 50]
import type { Context } from '../context.ts';
import { listEvents } from '../../core/registry/events.ts';
import { parseCount, parseDuration } from '../../core/validate.ts';
import { table } from '../format/table.ts';

/** The most events one call prints. */
const MAX_EVENTS = 1_000_000;

export function run(ctx: Context, opts: { since?: string; limit?: string }): number {
  const sinceMs = opts.since === undefined ? undefined : Date.now() - parseDuration(opts.since, '--since');
  const limit = opts.limit === undefined ? undefined : parseCount(opts.limit, '--limit', { min: 1, max: MAX_EVENTS });
  const registry = ctx.existingRegistry();
  const events = registry ? listEvents(registry, { ...(sinceMs === undefined ? {} : { sinceMs }), ...(limit === undefined ? {} : { limit }) }) : [];
  if (ctx.json) {
    ctx.out.json({ events });
    return 0;
  }
  if (events.length === 0) {
    ctx.out.line('No events.');
    return 0;
  }
  const rows = events.map((e) => [
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
