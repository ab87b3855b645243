// Token buckets shared by every process of a berth home, one row per name in the registry. A
// take is one IMMEDIATE transaction (read the row, refill, reserve, write), so two takers in
// two processes never both spend the same token; the taker then sleeps until its token is due,
// holding nothing. A taker killed while it waits wastes its token: the limit stays an upper
// bound. A taker that takes a token with a different limit replaces the bucket's (the latest
// taker wins, recorded in the audit log; a refused taker changes nothing): see docs/decisions/0021-slots-and-rate-limits.md.
import { BerthError, EXIT } from '../errors.ts';
import type { Caller } from '../owner.ts';
import { recordEvent } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';
import { formatRateLimit, type RateLimit, refill, reserveToken } from './limit.ts';

interface BucketRow {
  name: string;
  count: number;
  period_ms: number;
  burst: number;
  tokens: number;
  updated_at: number;
  created_at: number;
}

/** A bucket as `berth locks` shows it. */
export interface Bucket {
  name: string;
  /** the rate as written: "60/min" */
  limit: string;
  burst: number;
  /** whole tokens that can be taken now without waiting */
  tokensLeft: number;
  /** takers that reserved a token and are waiting for it to be due */
  waiting: number;
  /** when the bucket is full again (now if it is) */
  fullAt: string;
}

export interface TakeResult {
  name: string;
  limit: string;
  burst: number;
  /** how long the taker waited for its token */
  waitedMs: number;
  /** whole tokens left right after this take */
  tokensLeft: number;
  /** when the token was taken (the wait ended) */
  at: string;
}

/** No token will be due within the caller's timeout: nothing was taken. */
export class RateTimeoutError extends BerthError {
  constructor(name: string, limit: RateLimit, dueInMs: number, timeoutMs: number) {
    super('rate_timeout', `no token of "${name}" (${formatRateLimit(limit)}) within ${timeoutMs} ms: the next one is due in ${dueInMs} ms`, {
      hint: `try again in ${dueInMs < 1000 ? `${dueInMs} ms` : `${Math.ceil(dueInMs / 1000)} s`}, or give a longer --timeout`,
      exitCode: EXIT.failure,
      details: { name, limit: formatRateLimit(limit), dueInMs, timeoutMs },
    });
  }
}

function sameLimit(row: BucketRow, limit: RateLimit): boolean {
  return row.count === limit.count && row.period_ms === limit.periodMs && row.burst === limit.burst;
}

/** How far behind the bucket's last update a taker's clock may be and still be pinned to it. */
export const CLOCK_TOLERANCE_MS = 1000;

/**
 * The time a take happens at: the clock, read inside the write transaction, but never just
 * before the bucket's last update. A taker that read a clock a moment old, then waited for the
 * write lock while others took tokens, must not move the bucket's clock back (it would refill
 * twice and hand out a token early), so within CLOCK_TOLERANCE_MS it is pinned to updated_at.
 * Further back, the clock stepped (an update stamped in the future by a clock that was ahead):
 * pinning then would freeze the bucket until real time caught up, so the clock is taken as it is.
 */
export function bucketNow(clock: number, updatedAt: number | undefined): number {
  if (updatedAt === undefined || clock >= updatedAt) return clock;
  return updatedAt - clock <= CLOCK_TOLERANCE_MS ? updatedAt : clock;
}

/** The longest delay a Node timer keeps: a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const timer = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sleeps `ms`, in timers of at most MAX_TIMER_MS: a 1/day bucket with 30 takers has waits of
 * up to 29 days, which one setTimeout would end after 1 ms. Nothing is re-checked between the
 * chunks: the token is already reserved.
 */
export async function sleepFor(ms: number, wait: (ms: number) => Promise<void> = timer): Promise<void> {
  for (let left = ms; left > 0; left -= MAX_TIMER_MS) await wait(Math.min(left, MAX_TIMER_MS));
}

/**
 * Reserves one token of `name` in one write transaction; returns how long to wait for it.
 * Throws RateTimeoutError (taking nothing, changing nothing) when that wait is longer than
 * timeoutMs; only a taker that takes a token stores the limit it gave (the latest taker wins).
 */
export function reserveFromBucket(registry: Registry, caller: Caller, name: string, limit: RateLimit, timeoutMs = Infinity, clock: () => number = Date.now): { waitMs: number; tokensLeft: number } {
  const r = registry.transaction(() => {
    const row = registry.get<BucketRow>('SELECT * FROM rate_buckets WHERE name = ?', name);
    const now = bucketNow(clock(), row?.updated_at);
    // an update stamped later than `now` (the clock stepped back after it) refills nothing: it is
    // taken as made now, and the bucket refills from here on
    const reserved = reserveToken(row && { tokens: row.tokens, updatedAt: Math.min(row.updated_at, now) }, limit, now, timeoutMs);
    // a refused taker took nothing and changes nothing: neither the tokens nor the shared limit
    // (so it cannot re-time the waits other takers were promised)
    if (reserved.refused) return reserved;
    registry.run(
      `INSERT INTO rate_buckets (name, count, period_ms, burst, tokens, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET count = excluded.count, period_ms = excluded.period_ms, burst = excluded.burst, tokens = excluded.tokens, updated_at = excluded.updated_at`,
      name, limit.count, limit.periodMs, limit.burst, Math.min(reserved.state.tokens, limit.burst), now, now,
    );
    const to = { limit: formatRateLimit(limit), burst: limit.burst };
    if (!row) recordEvent(registry, caller, { verb: 'rate', subject: name, outcome: 'ok', details: { change: 'created', ...to } }, now);
    else if (!sameLimit(row, limit)) recordEvent(registry, caller, { verb: 'rate', subject: name, outcome: 'ok', details: { change: 'replaced', from: { limit: formatRateLimit({ count: row.count, periodMs: row.period_ms }), burst: row.burst }, to } }, now);
    return reserved;
  });
  if (r.refused) throw new RateTimeoutError(name, limit, r.waitMs, timeoutMs);
  return { waitMs: r.waitMs, tokensLeft: Math.max(0, Math.floor(r.state.tokens)) };
}

/** Takes one token of `name`, waiting until it is due (at most timeoutMs, else RateTimeoutError). */
export async function takeToken(registry: Registry, caller: Caller, name: string, limit: RateLimit, opts: { timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<TakeResult> {
  const started = Date.now();
  const { waitMs, tokensLeft } = reserveFromBucket(registry, caller, name, limit, opts.timeoutMs ?? Infinity);
  // +1: a timer may fire up to a millisecond before its delay on a coarse clock; never early.
  if (waitMs > 0) await sleepFor(waitMs + 1, opts.sleep);
  const at = Date.now();
  return { name, limit: formatRateLimit(limit), burst: limit.burst, waitedMs: at - started, tokensLeft, at: new Date(at).toISOString() };
}

/** Every bucket of this home, as of `now`. */
export function listBuckets(registry: Registry | undefined, now = Date.now()): Bucket[] {
  const rows = registry?.all<BucketRow>('SELECT * FROM rate_buckets ORDER BY name') ?? [];
  return rows.map((row) => {
    const limit = { count: row.count, periodMs: row.period_ms, burst: row.burst };
    const tokens = refill({ tokens: row.tokens, updatedAt: row.updated_at }, limit, now);
    const fullInMs = Math.ceil(((row.burst - tokens) * row.period_ms) / row.count);
    return {
      name: row.name,
      limit: formatRateLimit(limit),
      burst: row.burst,
      tokensLeft: Math.max(0, Math.floor(tokens)),
      waiting: tokens < 0 ? Math.ceil(-tokens) : 0,
      fullAt: new Date(now + Math.max(0, fullInMs)).toISOString(),
    };
  });
}
