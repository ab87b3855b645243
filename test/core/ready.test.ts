// Waiting for readiness is woken by changes and by its deadline; a deadline timer that fires a
// moment early must not leave the wait hanging (a `run --timeout 2s` once waited forever).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { waitReady } from '../../src/core/supervisor/ready.ts';
import type { ServiceRecord } from '../../src/core/supervisor/store.ts';
import { testSpec } from '../helpers/spec.ts';

test('waitReady: a deadline timer that fires early re-arms, and the wait ends with not_ready', async () => {
  let now = 1_000;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      timers.push({ at: now + ms, fn });
      return timers.length as unknown as NodeJS.Timeout;
    },
    clearTimeout: () => {},
  };
  const record = { spec: testSpec(), state: 'starting', port: 20000, lastExit: null } as unknown as ServiceRecord;
  const wait = waitReady({ name: 'web', home: tmpdir(), clock, load: () => record, current: () => true, subscribe: () => () => {}, timeoutMs: 2_000, t0: now });
  // the first deadline timer fires 1 ms early (the clock is just short of the deadline)
  const first = timers.shift()!;
  now = first.at - 1;
  first.fn();
  assert.equal(timers.length, 1, 'it re-armed');
  now = timers[0]!.at;
  timers.shift()!.fn();
  await assert.rejects(wait, (err: { code?: string }) => err.code === 'not_ready');
});
