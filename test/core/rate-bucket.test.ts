// The token bucket's clock under contention: a taker that read the time, then waited for the
// registry's write lock while others took tokens, must not move the bucket's clock back (the
// bucket would refill twice and hand out a token early: seen as "10 tokens 874 ms after the
// first" at 10/s in the 30-taker test on a loaded machine).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reserveFromBucket } from '../../src/core/rate/bucket.ts';
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
