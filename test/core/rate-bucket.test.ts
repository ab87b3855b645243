// The token bucket's clock under contention: a taker that read the time, then waited for the
// registry's write lock while others took tokens, must not move the bucket's clock back (the
// bucket would refill twice and hand out a token early: seen as "10 tokens 874 ms after the
// first" at 10/s in the 30-taker test on a loaded machine).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketNow, CLOCK_TOLERANCE_MS, MAX_TIMER_MS, reserveFromBucket, sleepFor, takeToken } from '../../src/core/rate/bucket.ts';
import { parseRateLimit } from '../../src/core/rate/limit.ts';
import { Registry } from '../../src/core/registry/registry.ts';
import { tempHome } from '../helpers/home.ts';

const caller = { actor: 'test', owner: { session: 'unit', source: 'env' as const, user: 'test' } };

test('a taker with a stale clock waits its turn: every token of 10/s is due 100 ms after the one before', (t) => {
  const registry = Registry.open(tempHome(t).home);
  t.after(() => registry.close());
  const limit = parseRateLimit('10/s', 1);
  // three takers; the second read its clock before the first committed
  const clocks = [1_000_000, 999_900, 1_000_000];
  const waits = clocks.map((now) => reserveFromBucket(registry, caller, 'api', limit, Infinity, () => now).waitMs);
  assert.deepEqual(waits, [0, 100, 200]);
});

test('a forward clock step does not freeze a bucket: once the clock is back, it refills from the time it reads', (t) => {
  const registry = Registry.open(tempHome(t).home);
  t.after(() => registry.close());
  const limit = parseRateLimit('1/s', 1);
  const T = 1_000_000;
  // the clock jumps an hour ahead for one take, then is set right again
  const clocks = [T, T + 3_600_000, T + 5000, T + 10_000];
  const waits = clocks.map((now) => reserveFromBucket(registry, caller, 'api', limit, Infinity, () => now).waitMs);
  // before: every take after the step stayed pinned to the future update and queued forever
  // ([0, 0, 1000, 2000]); now the 5 s between the last two refill the bucket
  assert.deepEqual(waits, [0, 0, 1000, 0]);
});

test('a clock a moment behind the last update is pinned to it; one far behind is taken as it is', () => {
  assert.equal(bucketNow(5000, undefined), 5000);
  assert.equal(bucketNow(5000, 4000), 5000);
  assert.equal(bucketNow(5000, 5000 + CLOCK_TOLERANCE_MS), 5000 + CLOCK_TOLERANCE_MS);
  assert.equal(bucketNow(5000, 5001 + CLOCK_TOLERANCE_MS), 5000);
});

test('a wait longer than a timer can hold (1/day, 30 takers: the last waits 29 days) sleeps in chunks, never ends early', async (t) => {
  const registry = Registry.open(tempHome(t).home);
  t.after(() => registry.close());
  const limit = parseRateLimit('1/day', 1);
  // 29 takers before this one (their waits are reserved, not slept here)
  for (let i = 0; i < 29; i++) reserveFromBucket(registry, caller, 'daily', limit);
  const chunks: number[] = [];
  // before: one setTimeout of 29 days, which Node ends after 1 ms: the token came 29 days early
  await takeToken(registry, caller, 'daily', limit, { sleep: async (ms) => void chunks.push(ms) });
  const day = 86_400_000;
  assert.ok(chunks.every((ms) => ms > 0 && ms <= MAX_TIMER_MS), chunks.join(', '));
  const total = chunks.reduce((a, b) => a + b, 0);
  // the real clock moves a little between the takes: about 29 days, never less than 29 days - 1 s
  assert.ok(total > 29 * day - 1000 && total <= 29 * day + 1, `slept ${total} ms in ${chunks.length} timers`);
  assert.equal(chunks.length, 2);
});

test('sleepFor ends at once for nothing and in one timer for a short wait', async () => {
  const chunks: number[] = [];
  await sleepFor(0, async (ms) => void chunks.push(ms));
  await sleepFor(250, async (ms) => void chunks.push(ms));
  await sleepFor(MAX_TIMER_MS + 5, async (ms) => void chunks.push(ms));
  assert.deepEqual(chunks, [250, MAX_TIMER_MS, 5]);
});
