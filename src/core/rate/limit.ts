// A rate limit as people write it (10/s, 60/min, 1000/h) and the pure arithmetic of a token
// bucket that hands out reservations: a taker always takes its token, possibly into debt
// (tokens below zero), and waits until the bucket has refilled past it. Reserving instead of
// retrying queues takers in the order they asked (no thundering herd when a token frees up, no
// starvation of an unlucky poller) and tells each one at once how long it will wait, so a
// --timeout that cannot be met fails immediately. No I/O here: bucket.ts stores the state.
import { UsageError } from '../errors.ts';

export interface RateLimit {
  /** tokens per period */
  count: number;
  periodMs: number;
  /** how many tokens can be taken at once after a quiet spell */
  burst: number;
}

const PERIOD_MS: Record<string, number> = {
  ms: 1,
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

const MAX_COUNT = 1_000_000_000;

/** `10/s`, `60/min`, `1000/h`, `5/day`; burst defaults to 1 (never more than the rate at once). */
export function parseRateLimit(text: string, burstText?: string | number): RateLimit {
  const m = /^(\d{1,10})\s*\/\s*([a-z]+)$/i.exec(text.trim());
  const count = m ? Number(m[1]) : NaN;
  const periodMs = m ? PERIOD_MS[m[2]!.toLowerCase()] : undefined;
  if (!m || periodMs === undefined || !(count >= 1 && count <= MAX_COUNT)) {
    throw new UsageError(`invalid rate limit ${JSON.stringify(text)}`, 'write COUNT/UNIT with a count from 1 and a unit of s, min, h or day: 10/s, 60/min, 1000/h', 'invalid_rate');
  }
  let burst = 1;
  if (burstText !== undefined) {
    const b = String(burstText).trim();
    burst = /^\d{1,10}$/.test(b) ? Number(b) : NaN;
    if (!(burst >= 1 && burst <= MAX_COUNT)) throw new UsageError(`invalid burst ${JSON.stringify(String(burstText))}: a whole number from 1 to ${MAX_COUNT}`, 'for example: --burst 5', 'invalid_rate');
  }
  return { count, periodMs, burst };
}

/** The limit as it was written: "60/min". */
export function formatRateLimit(limit: { count: number; periodMs: number }): string {
  const unit = limit.periodMs === 1000 ? 's' : limit.periodMs === 60_000 ? 'min' : limit.periodMs === 3_600_000 ? 'h' : limit.periodMs === 86_400_000 ? 'day' : `${limit.periodMs}ms`;
  return `${limit.count}/${unit}`;
}

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/** The bucket refilled up to `now` (a clock that went back refills nothing). */
export function refill(state: BucketState | undefined, limit: RateLimit, now: number): number {
  if (!state) return limit.burst;
  const elapsed = Math.max(0, now - state.updatedAt);
  return Math.min(limit.burst, state.tokens + (elapsed * limit.count) / limit.periodMs);
}

/** How long until `tokens` (possibly negative) has refilled to zero: a reservation's wait. */
export function msUntilDue(tokens: number, limit: RateLimit): number {
  return tokens >= 0 ? 0 : Math.ceil((-tokens * limit.periodMs) / limit.count);
}

/**
 * One reservation: the state after taking a token at `now` and how long the taker waits for
 * it, or `refused` with that wait when it is longer than `maxWaitMs` (the state is unchanged).
 */
export function reserveToken(state: BucketState | undefined, limit: RateLimit, now: number, maxWaitMs = Infinity): { state: BucketState; waitMs: number; refused: boolean } {
  const available = refill(state, limit, now);
  const after = available - 1;
  const waitMs = msUntilDue(after, limit);
  if (waitMs > maxWaitMs) return { state: state ?? { tokens: available, updatedAt: now }, waitMs, refused: true };
  return { state: { tokens: after, updatedAt: now }, waitMs, refused: false };
}
