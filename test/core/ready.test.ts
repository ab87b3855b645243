// Waiting for readiness is woken by changes and by its deadline; a deadline timer that fires a
// moment early must not leave the wait hanging (a `run --timeout 2s` once waited forever).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { type ReadyWait, SIDE_LISTENER_GRACE_MS, waitReady } from '../../src/core/supervisor/ready.ts';
import type { ServiceRecord } from '../../src/core/supervisor/store.ts';
import { testSpec } from '../helpers/spec.ts';
import { BerthError } from '../../src/core/errors.ts';
import { errorDocument } from '../../src/app/errors.ts';

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

test('waitReady: a health: notify service that never sent READY=1 is told so, and how to send one (the same advice through MCP)', async () => {
  const record = { spec: testSpec({ health: 'notify' }), state: 'starting', port: null, lastExit: null } as unknown as ServiceRecord;
  const { clock, tick } = fakeClock(1_000);
  const wait = waitReady({ name: 'worker', home: tmpdir(), clock, load: () => record, current: () => true, subscribe: () => () => {}, timeoutMs: 2_000, t0: 1_000 });
  tick();
  const err = await wait.then(() => assert.fail('it was not ready'), (e: unknown) => e);
  assert.ok(err instanceof BerthError);
  const doc = err.toDocument();
  assert.equal(doc.code, 'not_ready');
  assert.match(doc.message, /"worker" did not become ready within 2s \(waiting for READY=1 \(health: notify\): none arrived from its process tree\)/);
  assert.match(doc.hint ?? '', /`berth beat --ready` from a shell service, or sd_notify READY=1 to the datagram socket in \$NOTIFY_SOCKET/);
  const mcp = errorDocument(err, 'mcp').hint ?? '';
  assert.match(mcp, /`berth beat --ready`.*\$NOTIFY_SOCKET/, 'the advice is about the service\'s own command: the same for an agent');
  assert.match(mcp, /the logs \{"name":"worker"\} tool call/);
});

/** A fake clock whose timers run only when ticked: tick() runs the earliest, moving the clock to it. */
function fakeClock(start: number): { clock: ReadyWait['clock']; now: () => number; tick: () => void } {
  let now = start;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let id = 0;
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++id, { at: now + ms, fn });
      return id as unknown as NodeJS.Timeout;
    },
    clearTimeout: (t: NodeJS.Timeout) => void timers.delete(t as unknown as number),
  };
  const tick = (): void => {
    const [key, next] = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]!;
    timers.delete(key);
    now = next.at;
    next.fn();
  };
  return { clock, now: () => now, tick };
}

test('waitReady: a port mismatch is reported only once it has lasted the grace; a passing one is not', async () => {
  const { clock, now: clockNow, tick } = fakeClock(1_000);
  let now = 1_000;
  const record = { spec: testSpec(), state: 'starting', port: 20000, lastExit: null } as unknown as ServiceRecord;
  const seen = { expected: 20000, listening: [8000], leaderListens: true, line: null };
  // seen once, then gone, then seen for good: only the lasting one counts
  const answers = [seen, null, seen, seen, seen, seen, seen];
  let rejected: unknown = null;
  const wait = waitReady({ name: 'web', home: tmpdir(), clock, load: () => record, current: () => true, subscribe: () => () => {}, timeoutMs: 60_000, t0: now, mismatch: () => (answers.length > 0 ? answers.shift()! : seen) });
  wait.catch((err: unknown) => (rejected = err));
  for (let i = 0; i < 3; i++) tick();
  await Promise.resolve();
  assert.equal(rejected, null, 'a mismatch that went away is not reported');
  while (rejected === null && clockNow() < 5_000) {
    tick();
    await Promise.resolve();
  }
  now = clockNow();
  await assert.rejects(wait, (err: { code?: string; details?: { listening?: number[] } }) => err.code === 'port_mismatch' && err.details?.listening?.[0] === 8000);
  assert.ok(now < 3_000, `reported within about a second of lasting (at +${now - 1_000} ms)`);
});

test('waitReady: a side process listening elsewhere is given 5 s (a sidecar before the server), and a followed port always', async () => {
  for (const [leaderListens, follow] of [[false, false], [true, true]] as const) {
    const { clock, now, tick } = fakeClock(1_000);
    const record = { spec: { ...testSpec(), argv: ['sh', '-c', 'x'], ...(follow ? { portFromListener: true } : {}) }, state: 'starting', port: 20000, lastExit: null } as unknown as ServiceRecord;
    const seen = { expected: 20000, listening: [8000], leaderListens, line: null };
    let rejected: unknown = null;
    const wait = waitReady({ name: 'web', home: tmpdir(), clock, load: () => record, current: () => true, subscribe: () => () => {}, timeoutMs: 60_000, t0: now(), mismatch: () => seen });
    wait.catch((err: unknown) => (rejected = err));
    while (rejected === null && now() < 20_000) {
      tick();
      await Promise.resolve();
    }
    assert.equal((rejected as { code?: string }).code, 'port_mismatch');
    assert.ok(now() - 1_000 >= SIDE_LISTENER_GRACE_MS, `not before ${SIDE_LISTENER_GRACE_MS} ms (at +${now() - 1_000} ms, leaderListens ${leaderListens}, follow ${follow})`);
  }
});
