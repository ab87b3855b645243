// The audit log: one row per start, stop, eviction, kill, lease and lock, with who asked.
import type { Caller, Owner } from '../owner.ts';
import { parseOwner } from '../owner.ts';
import type { Registry } from './registry.ts';

export type Outcome = 'ok' | 'refused' | 'failed' | 'reclaimed';

export interface EventInput {
  verb: string;
  subject: string;
  outcome: Outcome;
  details?: Record<string, unknown>;
}

export interface BerthEvent extends EventInput {
  id: number;
  at: string;
  actor: string;
  owner: Owner | null;
}

interface EventRow {
  id: number;
  at: number;
  actor: string;
  owner: string | null;
  verb: string;
  subject: string;
  outcome: Outcome;
  details: string | null;
}

export function recordEvent(registry: Registry, caller: Caller, event: EventInput, now = Date.now()): void {
  registry.run(
    'INSERT INTO events (at, actor, owner, verb, subject, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
    now,
    caller.actor,
    JSON.stringify(caller.owner),
    event.verb,
    event.subject,
    event.outcome,
    event.details === undefined ? null : JSON.stringify(event.details),
  );
}

export interface EventQuery {
  /** only events with a larger id (for following the log) */
  afterId?: number;
  sinceMs?: number;
  limit?: number;
  subject?: string;
  /** only this verb ("stop", "lease") */
  verb?: string;
  /** only events acted on behalf of this owner session */
  session?: string;
  /** only events whose subject is a service or name of this project ("shop/…") */
  project?: string;
}

/** Events, oldest first; with a limit, the newest `limit` of them. */
export function listEvents(registry: Registry, query: EventQuery = {}): BerthEvent[] {
  const where: string[] = [];
  const params: Array<number | string> = [];
  if (query.afterId !== undefined) {
    where.push('id > ?');
    params.push(query.afterId);
  }
  if (query.sinceMs !== undefined) {
    where.push('at >= ?');
    params.push(query.sinceMs);
  }
  if (query.subject !== undefined) {
    where.push('subject = ?');
    params.push(query.subject);
  }
  if (query.verb !== undefined) {
    where.push('verb = ?');
    params.push(query.verb);
  }
  if (query.session !== undefined) {
    where.push("json_extract(owner, '$.session') = ?");
    params.push(query.session);
  }
  if (query.project !== undefined) {
    // a prefix compare, not LIKE: a project name may hold _ which LIKE reads as a wildcard
    where.push('substr(subject, 1, ?) = ?');
    params.push(query.project.length + 1, `${query.project}/`);
  }
  const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  const rows = registry.all<EventRow>(sql, ...params, query.limit ?? -1);
  return rows.reverse().map((r) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    owner: parseOwner(r.owner),
    verb: r.verb,
    subject: r.subject,
    outcome: r.outcome,
    ...(r.details ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
  }));
}
