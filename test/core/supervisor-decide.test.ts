// The supervisor's rules, driven through decide() with a fake clock: backoff growth and cap,
// reset after a healthy period, max restarts, a hung service restarted after N failed checks,
// a retry as soon as the obstacle is gone, adoption after the daemon died, rare HTTP
// probes once healthy, and heartbeats (the watchdog, STOPPING=1, health: notify). No process, socket or timer: the whole file runs in milliseconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS } from '../../src/core/supervisor/backoff.ts';
import {
  decide,
  type Decision,
  type Effect,
  HEALTH_INTERVAL_MS,
  PROBE_INTERVAL_MS,
  READY_FIRST_POLL_MS,
  READY_POLL_MS,
  supervise,
  type Supervision,
  type SupervisorEvent,
  UNHEALTHY_CHECKS_BEFORE_RESTART,
} from '../../src/core/supervisor/decide.ts';
import type { NotifyMessage } from '../../src/core/supervisor/notify.ts';
import type { ServiceRecord } from '../../src/core/supervisor/store.ts';
import { testSpec } from '../helpers/spec.ts';

const spec = testSpec({ health: 'http://127.0.0.1:$PORT/' });

const T0 = 1_700_000_000_000;
const identity = { pid: 4242, startTicks: 1, bootId: 'b' };

function record(patch: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    spec,
    state: 'healthy',
    identity,
    instance: 'marker',
    port: 20001,
    owner: null,
    restarts: 0,
    lastExit: null,
    env: {},
    startedAt: T0,
    healthySince: T0,
    detail: null,
    createdAt: T0,
    ...patch,
  };
}

/** A tiny driver: the supervision, the clock, and every effect seen. */
function drive(initial: Supervision, start = T0): { s: Supervision; now: number; step(e: SupervisorEvent, advanceMs?: number): Decision } {
  const d = {
    s: initial,
    now: start,
    step(e: SupervisorEvent, advanceMs = 0): Decision {
      d.now += advanceMs;
      const out = decide(d.s, e, d.now);
      d.s = out.supervision;
      return out;
    },
  };
  return d;
}

const crash: SupervisorEvent = { kind: 'exited', code: 1, signal: null, blocker: null, jitter: 0.5 };
const schedules = (effects: Effect[]): Extract<Effect, { kind: 'schedule' }>[] => effects.filter((e): e is Extract<Effect, { kind: 'schedule' }> => e.kind === 'schedule');
const spawned = (restarts: number): SupervisorEvent => ({ kind: 'spawned', spec, env: {}, owner: null, port: 20001, identity, marker: `m${restarts}`, restarts });

test('backoff doubles from 200 ms after each crash, up to the 30 s cap', () => {
  const d = drive(supervise(record({ healthySince: null })));
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) {
    const out = d.step(crash, 10);
    assert.equal(d.s.record.state, 'backoff');
    const retry = schedules(out.effects).find((e) => e.timer === 'retry');
    assert.ok(retry, 'a retry is scheduled');
    delays.push(retry.afterMs);
    assert.match(d.s.record.detail ?? '', new RegExp(`restarting in ${retry.afterMs} ms \\(attempt ${i + 1}\\)`));
    const start = d.step({ kind: 'retry-due' }, retry.afterMs);
    assert.deepEqual(start.effects.at(-1), { kind: 'start', restarts: i + 1 });
    d.step(spawned(i + 1), 5);
  }
  assert.deepEqual(delays.slice(0, 5), [200, 400, 800, 1600, 3200]);
  assert.equal(delays.at(-1), BACKOFF_MAX_MS);
});

test('the backoff resets after 60 s healthy', () => {
  const d = drive({ ...supervise(record({ healthySince: null })), attempt: 6 });
  const short = d.step(crash);
  assert.equal(schedules(short.effects).find((e) => e.timer === 'retry')?.afterMs, 200 * 2 ** 6);
  // the next instance is healthy for a minute before it crashes
  d.step({ kind: 'retry-due' }, 20_000);
  d.step(spawned(1));
  d.step({ kind: 'checked', depth: 'probe', ok: true, listener: 4242 }, 100);
  assert.equal(d.s.record.state, 'healthy');
  const after = d.step(crash, BACKOFF_RESET_AFTER_MS);
  assert.equal(schedules(after.effects).find((e) => e.timer === 'retry')?.afterMs, 200);
  assert.equal(d.s.attempt, 1);
});

test('max_restarts: the crash after the last allowed restart is a give-up, state failed', () => {
  const d = drive(supervise(record({ spec: { ...spec, maxRestarts: 2 }, restarts: 2 })));
  const out = d.step(crash);
  assert.equal(d.s.record.state, 'failed');
  assert.match(d.s.record.detail ?? '', /gave up after 2 restarts \(last: exit code 1\)/);
  assert.ok(out.effects.some((e) => e.kind === 'record' && e.event.verb === 'give-up'));
  assert.equal(schedules(out.effects).length, 0);
});

test('restart policies: never and on-failure with exit 0 leave it exited', () => {
  for (const [restart, code] of [['never', 1], ['on-failure', 0]] as const) {
    const d = drive(supervise(record({ spec: { ...spec, restart } })));
    d.step({ ...crash, code } as SupervisorEvent);
    assert.equal(d.s.record.state, 'exited', restart);
  }
});

test(`a hung service is stopped after ${UNHEALTHY_CHECKS_BEFORE_RESTART} failed checks in a row, then restarted by policy`, () => {
  const d = drive(supervise(record()));
  const fail: SupervisorEvent = { kind: 'checked', depth: 'probe', ok: false, listener: 4242 };
  assert.equal(d.step(fail, HEALTH_INTERVAL_MS).effects.some((e) => e.kind === 'stop-tree'), false);
  assert.equal(d.s.record.state, 'unhealthy');
  assert.equal(d.step(fail, HEALTH_INTERVAL_MS).effects.some((e) => e.kind === 'stop-tree'), false);
  const third = d.step(fail, HEALTH_INTERVAL_MS);
  assert.deepEqual(third.effects.find((e) => e.kind === 'stop-tree'), { kind: 'stop-tree', purpose: 'hung', graceMs: 2_000, reason: 'health check failed 3 times in a row' });
  const killed = d.step({ kind: 'tree-stopped', purpose: 'hung', reason: 'health check failed 3 times in a row', outcome: { pids: [4242], killed: true, spared: [] } });
  assert.ok(killed.effects.some((e) => e.kind === 'record' && e.event.verb === 'kill'));
  d.step({ kind: 'exited', code: null, signal: 'SIGKILL', blocker: null, jitter: 0.5 });
  assert.equal(d.s.record.state, 'backoff');
  // a check that passes in between resets the count
  const e = drive(supervise(record()));
  e.step(fail);
  e.step(fail);
  e.step({ kind: 'checked', depth: 'probe', ok: true, listener: 4242 });
  e.step(fail);
  e.step(fail);
  assert.equal(e.s.failures, 2);
});

test('a stranger on the port: retried as soon as the obstacle is gone, not at the end of the backoff', () => {
  const d = drive({ ...supervise(record()), attempt: 8 });
  const out = d.step({ ...crash, blocker: 'port 20001 held by pid 77: python3 -m http.server' });
  assert.match(d.s.record.detail ?? '', /port 20001 held by pid 77.*retrying in \d+ ms/);
  const watch = schedules(out.effects);
  assert.deepEqual(watch.map((e) => [e.timer, e.afterMs]), [['obstacle', 500]]);
  assert.deepEqual(d.step({ kind: 'obstacle-present' }, 500).effects, [{ kind: 'schedule', timer: 'obstacle', afterMs: 500 }]);
  const gone = d.step({ kind: 'obstacle-gone' }, 500);
  assert.deepEqual(gone.effects.at(-1), { kind: 'start', restarts: 1 });
  assert.ok(d.now - T0 < 200 * 2 ** 8 * 0.8, 'well before the backoff delay');
  // a start refused by the stranger again counts and keeps watching
  const again = d.step({ kind: 'start-failed', cause: 'port 20001 held by pid 78: nc', blocked: true, jitter: 0.5, counted: true });
  assert.equal(d.s.record.restarts, 1);
  assert.equal(schedules(again.effects)[0]?.timer, 'obstacle');
});

test('adoption after daemon death: a live process is watched again; one that died meanwhile goes through the policy', () => {
  const alive = decide(supervise(record()), { kind: 'adopted', alive: true, blocker: null, jitter: 0.5 }, T0);
  assert.deepEqual(alive.effects.map((e) => e.kind), ['record', 'watch-liveness', 'schedule']);
  assert.equal(alive.supervision.record.state, 'healthy');
  const dead = decide(supervise(record()), { kind: 'adopted', alive: false, blocker: null, jitter: 0.5 }, T0);
  assert.equal(dead.supervision.record.state, 'backoff');
  assert.match(dead.supervision.record.detail ?? '', /died while the daemon was down; restarting in 200 ms/);
  const waiting = decide(supervise(record({ state: 'backoff' })), { kind: 'adopted', alive: false, blocker: null, jitter: 0.5 }, T0);
  assert.equal(schedules(waiting.effects)[0]?.timer, 'retry');
  const stopping = decide(supervise(record({ state: 'stopping' })), { kind: 'adopted', alive: true, blocker: null, jitter: 0.5 }, T0);
  assert.equal(stopping.effects[0]?.kind, 'stop-tree');
  const stopped = decide(supervise(record({ state: 'stopped', identity: null })), { kind: 'adopted', alive: false, blocker: null, jitter: 0.5 }, T0);
  assert.deepEqual(stopped.effects, []);
});

test('once healthy, HTTP is probed every 30 s; in between only listener ownership is watched, and a change probes at once', () => {
  const d = drive(supervise(record({ state: 'starting', healthySince: null })));
  const first = d.step({ kind: 'checked', depth: 'probe', ok: true, listener: 4242 });
  assert.equal(d.s.record.state, 'healthy');
  assert.equal(schedules(first.effects)[0]?.depth, 'ownership');
  let probes = 0;
  for (let t = 0; t < 60_000; t += HEALTH_INTERVAL_MS) {
    const next = schedules(d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 }, HEALTH_INTERVAL_MS).effects)[0]!;
    if (next.depth === 'probe') {
      probes++;
      d.step({ kind: 'checked', depth: 'probe', ok: true, listener: 4242 }, HEALTH_INTERVAL_MS);
    }
  }
  assert.ok(probes >= 1 && probes <= 60_000 / PROBE_INTERVAL_MS, `${probes} probes in a minute`);
  const moved = d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 5555 });
  assert.deepEqual(schedules(moved.effects), [{ kind: 'schedule', timer: 'check', afterMs: 0, depth: 'probe' }]);
  const frozen = d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 5555, stopped: true });
  assert.equal(schedules(frozen.effects)[0]?.depth, 'probe');
  // nobody of it on the port any more fails at once
  d.step({ kind: 'checked', depth: 'ownership', ok: false, listener: null });
  assert.equal(d.s.record.state, 'unhealthy');
});

test('a starting service is checked again soon after a failed check, then less often, never less often than READY_POLL_MS, until it passes', () => {
  const d = drive(supervise(record({ state: 'starting', healthySince: null })));
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) waits.push(schedules(d.step({ kind: 'checked', depth: 'probe', ok: false, listener: null }, waits.at(-1) ?? 0).effects)[0]!.afterMs);
  assert.equal(d.s.record.state, 'starting', 'failed checks while starting do not make it unhealthy');
  assert.equal(waits[0], READY_FIRST_POLL_MS);
  for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! >= waits[i - 1]!, `the waits grow: ${waits.join(', ')}`);
  assert.equal(waits.at(-1), READY_POLL_MS, `and stop at READY_POLL_MS: ${waits.join(', ')}`);
  assert.ok(waits.every((w) => w <= READY_POLL_MS));
  // the check that passes makes it healthy, and the waits are the healthy interval from then on
  const ok = d.step({ kind: 'checked', depth: 'probe', ok: true, listener: 4242 }, READY_POLL_MS);
  assert.equal(d.s.record.state, 'healthy');
  assert.equal(schedules(ok.effects)[0]?.afterMs, HEALTH_INTERVAL_MS);
});

test('requests: stop of a live instance goes through stopping; late checks and retries after a stop change nothing', () => {
  const out = decide(supervise(record()), { kind: 'stop-requested', reason: 'stopped by request', alive: true, graceMs: 5000 }, T0);
  assert.equal(out.supervision.record.state, 'stopping');
  assert.equal(out.effects.at(-1)?.kind, 'stop-tree');
  const done = decide(out.supervision, { kind: 'tree-stopped', purpose: 'request', reason: 'stopped by request', outcome: { pids: [4242], killed: false, spared: [] } }, T0);
  assert.equal(done.supervision.record.state, 'stopped');
  const late = decide(supervise(record({ state: 'stopped' })), { kind: 'checked', depth: 'probe', ok: true, listener: 1 }, T0);
  assert.deepEqual([late.supervision.record.state, late.effects], ['stopped', []]);
  // a retry that fires after a stop is ignored
  assert.deepEqual(decide(done.supervision, { kind: 'retry-due' }, T0).effects, []);
});

test('requests: stop (and rm) of a stopped record whose tree still has a spared process stays stopped, with no new stop', () => {
  // a daemon that carried the instance's marker (started from inside the service) was spared by
  // the stop; `berth rm` then asked to stop again and threw "cannot go from stopped to stopping"
  const out = decide(supervise(record({ state: 'stopped', healthySince: null })), { kind: 'stop-requested', reason: 'removed', alive: true, graceMs: 5000 }, T0);
  assert.equal(out.supervision.record.state, 'stopped');
  assert.ok(!out.effects.some((e) => e.kind === 'stop-tree'), JSON.stringify(out.effects));
});

// ---- heartbeats (sd_notify, berth beat; decision 0024) -----------------------------------------

const beat = (patch: Partial<NotifyMessage> = {}): SupervisorEvent => ({ kind: 'notified', message: { ready: false, watchdog: false, stopping: false, status: null, mainPid: null, ...patch } });
const watchdogSpec = testSpec({ watchdogMs: 1_000 });
const watchdogTimer = (effects: Effect[]): Effect | undefined => effects.find((e) => (e.kind === 'schedule' || e.kind === 'cancel') && e.timer === 'watchdog');

test('watchdog: armed at the start, re-armed by each WATCHDOG=1; none in time: hung, stopped, then restarted by policy', () => {
  const d = drive(supervise(record({ spec: watchdogSpec, state: 'stopped', identity: null })));
  const started = d.step({ kind: 'spawned', spec: watchdogSpec, env: {}, owner: null, port: 20001, identity, marker: 'm0', restarts: 0 });
  assert.deepEqual(watchdogTimer(started.effects), { kind: 'schedule', timer: 'watchdog', afterMs: 1_000 }, 'a service that never beats is hung too');
  d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 }, 100);
  // each beat pushes the deadline a full interval on; a message without WATCHDOG=1 does not
  assert.deepEqual(watchdogTimer(d.step(beat({ watchdog: true }), 800).effects), { kind: 'schedule', timer: 'watchdog', afterMs: 1_000 });
  assert.equal(watchdogTimer(d.step(beat({ status: 'busy' }), 100).effects), undefined);
  assert.equal(d.s.notify.status, 'busy');
  // no beat within the interval: the timer fires
  const due = d.step({ kind: 'watchdog-due' }, 1_000);
  assert.deepEqual(due.effects.find((e) => e.kind === 'stop-tree'), { kind: 'stop-tree', purpose: 'hung', graceMs: 2_000, reason: 'no WATCHDOG=1 within 1000 ms' });
  assert.ok(due.effects.some((e) => e.kind === 'record' && e.event.verb === 'watchdog' && e.event.outcome === 'failed'));
  assert.ok(due.effects.some((e) => e.kind === 'cancel' && e.timer === 'check'), 'no health check races the stop');
  d.step({ kind: 'tree-stopped', purpose: 'hung', reason: 'no WATCHDOG=1 within 1000 ms', outcome: { pids: [4242], killed: false, spared: [] } });
  const exit = d.step({ kind: 'exited', code: null, signal: 'SIGTERM', blocker: null, jitter: 0.5 });
  assert.equal(d.s.record.state, 'backoff', 'restart: always');
  assert.ok(exit.effects.some((e) => e.kind === 'cancel' && e.timer === 'watchdog'));
  // with restart: never, the hung service's exit leaves it exited
  const n = drive(supervise(record({ spec: testSpec({ watchdogMs: 1_000, restart: 'never' }) })));
  assert.ok(n.step({ kind: 'watchdog-due' }, 1_000).effects.some((e) => e.kind === 'stop-tree'));
  n.step({ kind: 'exited', code: null, signal: 'SIGTERM', blocker: null, jitter: 0.5 });
  assert.equal(n.s.record.state, 'exited');
});

test('a hung stop says why in the detail: the watchdog or the failing health check, then the signal; the next exit is plain again', () => {
  // restart: always, the detail is the backoff's; restart: never, the exited one
  const w = drive(supervise(record({ spec: watchdogSpec })));
  w.step({ kind: 'watchdog-due' }, 1_000);
  w.step({ kind: 'tree-stopped', purpose: 'hung', reason: 'no WATCHDOG=1 within 1000 ms', outcome: { pids: [4242], killed: false, spared: [] } });
  const exit = w.step({ kind: 'exited', code: null, signal: 'SIGTERM', blocker: null, jitter: 0.5 });
  assert.match(w.s.record.detail ?? '', /^hung: no WATCHDOG=1 within 1000 ms \(killed by SIGTERM\); restarting in \d+ ms/);
  const exitEvent = exit.effects.find((e) => e.kind === 'record' && e.event.verb === 'exit');
  assert.equal(exitEvent?.kind === 'record' ? exitEvent.event.details?.hung : undefined, 'no WATCHDOG=1 within 1000 ms');
  // the reason belongs to that instance only: a later plain crash is not called hung
  w.step({ kind: 'spawned', spec: watchdogSpec, env: {}, owner: null, port: 20001, identity, marker: 'm1', restarts: 1 }, 10_000);
  w.step({ kind: 'exited', code: 1, signal: null, blocker: null, jitter: 0.5 }, 100);
  assert.match(w.s.record.detail ?? '', /^exit code 1; restarting/);

  const n = drive(supervise(record({ spec: testSpec({ watchdogMs: 2_000, restart: 'never' }) })));
  n.step({ kind: 'watchdog-due' }, 2_000);
  n.step({ kind: 'exited', code: null, signal: 'SIGTERM', blocker: null, jitter: 0.5 });
  assert.equal(n.s.record.state, 'exited');
  assert.equal(n.s.record.detail, 'hung: no WATCHDOG=1 within 2000 ms (killed by SIGTERM)');

  const h = drive(supervise(record({ spec: { ...spec, restart: 'never' } })));
  const fail: SupervisorEvent = { kind: 'checked', depth: 'probe', ok: false, listener: 4242 };
  for (let i = 0; i < UNHEALTHY_CHECKS_BEFORE_RESTART; i++) h.step(fail, HEALTH_INTERVAL_MS);
  h.step({ kind: 'exited', code: null, signal: 'SIGKILL', blocker: null, jitter: 0.5 });
  assert.equal(h.s.record.detail, `hung: health check failed ${UNHEALTHY_CHECKS_BEFORE_RESTART} times in a row (killed by SIGKILL)`);
});

test('watchdog: a beat drained just before the verdict (after the timer fired) re-arms it for the rest; a stale due event kills nothing', () => {
  // the shell flushes the socket when the timer fires, queuing notified(WATCHDOG=1) ahead of
  // watchdog-due: the service beat in time (at 90 % of the interval) and must not be stopped
  const d = drive(supervise(record({ spec: watchdogSpec, state: 'stopped', identity: null })));
  d.step({ kind: 'spawned', spec: watchdogSpec, env: {}, owner: null, port: 20001, identity, marker: 'm0', restarts: 0 });
  d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 }, 100);
  d.step(beat({ watchdog: true }), 800);
  d.step(beat({ watchdog: true }), 900);
  const due = d.step({ kind: 'watchdog-due' }, 100);
  assert.ok(!due.effects.some((e) => e.kind === 'stop-tree'), JSON.stringify(due.effects));
  assert.deepEqual(due.effects, [{ kind: 'schedule', timer: 'watchdog', afterMs: 900 }]);
  // the re-armed timer fires with no further beat: now it is hung
  assert.ok(d.step({ kind: 'watchdog-due' }, 900).effects.some((e) => e.kind === 'stop-tree'));
  // after an adoption the interval counts from the adoption, like after a start
  const a = drive(supervise(record({ spec: watchdogSpec })));
  a.step({ kind: 'adopted', alive: true, blocker: null, jitter: 0.5 });
  assert.deepEqual(a.step({ kind: 'watchdog-due' }, 400).effects, [{ kind: 'schedule', timer: 'watchdog', afterMs: 600 }]);
  assert.ok(a.step({ kind: 'watchdog-due' }, 600).effects.some((e) => e.kind === 'stop-tree'));
});

test('watchdog: STOPPING=1 disarms it (on its way out, not hung); no watchdog declared: beats and due timers change nothing', () => {
  const d = drive(supervise(record({ spec: watchdogSpec })));
  const stopping = d.step(beat({ stopping: true }));
  assert.deepEqual(watchdogTimer(stopping.effects), { kind: 'cancel', timer: 'watchdog' });
  assert.equal(d.s.notify.stopping, true);
  // a late beat does not re-arm it, a late timer does not stop it
  assert.equal(watchdogTimer(d.step(beat({ watchdog: true }), 10).effects), undefined);
  assert.deepEqual(d.step({ kind: 'watchdog-due' }, 1_000).effects, []);
  // a service without --watchdog
  const plain = drive(supervise(record()));
  assert.equal(watchdogTimer(plain.step(beat({ watchdog: true })).effects), undefined);
  assert.deepEqual(plain.step({ kind: 'watchdog-due' }, 5_000).effects, []);
  // a stopped service ignores notifications altogether
  const stopped = drive(supervise(record({ spec: watchdogSpec, state: 'stopped' })));
  assert.deepEqual(stopped.step(beat({ ready: true, watchdog: true, status: 'x' })).effects, []);
  assert.equal(stopped.s.notify.status, null);
});

test('health: notify: ready only after READY=1, and with a port only while a process of it holds the port', () => {
  const notifySpec = testSpec({ health: 'notify' });
  const d = drive(supervise(record({ spec: notifySpec, state: 'starting', healthySince: null })));
  // the port is held, but nothing said READY=1 yet: still starting
  d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 }, 100);
  assert.equal(d.s.record.state, 'starting');
  // READY=1 asks for a check at once (ownership only: no probe beyond the listener)
  const ready = d.step(beat({ ready: true }), 10);
  assert.deepEqual(schedules(ready.effects), [{ kind: 'schedule', timer: 'check', afterMs: 0, depth: 'ownership' }]);
  // said ready, but its port is not held by it: not ready
  d.step({ kind: 'checked', depth: 'ownership', ok: false, listener: null });
  assert.equal(d.s.record.state, 'starting');
  d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 });
  assert.equal(d.s.record.state, 'healthy');
  // without a port, READY=1 alone is ready
  const worker = testSpec({ health: 'notify', port: { kind: 'none' } });
  const w = drive(supervise(record({ spec: worker, port: null, state: 'starting', healthySince: null })));
  w.step({ kind: 'checked', depth: 'settle', ok: true, listener: null }, 1_000);
  assert.equal(w.s.record.state, 'starting', 'up past the settle time, but it has not said READY=1');
  const said = w.step(beat({ ready: true }));
  assert.deepEqual(schedules(said.effects), [{ kind: 'schedule', timer: 'check', afterMs: 0, depth: 'settle' }]);
  w.step({ kind: 'checked', depth: 'settle', ok: true, listener: null });
  assert.equal(w.s.record.state, 'healthy');
  // READY=1 to a service not declared health: notify schedules nothing
  const other = drive(supervise(record({ state: 'starting', healthySince: null })));
  assert.deepEqual(schedules(other.step(beat({ ready: true })).effects), []);
});

test('adopted by a new daemon: a ready health: notify service stays ready without a second READY=1; the watchdog is armed afresh', () => {
  const spec2 = testSpec({ health: 'notify', watchdogMs: 1_000 });
  const d = drive(supervise(record({ spec: spec2 })));
  const adopted = d.step({ kind: 'adopted', alive: true, blocker: null, jitter: 0.5 });
  assert.deepEqual(watchdogTimer(adopted.effects), { kind: 'schedule', timer: 'watchdog', afterMs: 1_000 });
  // it holds its port and says nothing: it stays healthy, check after check
  for (let i = 0; i < UNHEALTHY_CHECKS_BEFORE_RESTART + 1; i++) {
    const out = d.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 }, HEALTH_INTERVAL_MS);
    assert.equal(out.effects.some((e) => e.kind === 'stop-tree'), false);
  }
  assert.equal(d.s.record.state, 'healthy');
  // one still starting when the old daemon died must still say READY=1
  const s = drive(supervise(record({ spec: spec2, state: 'starting', healthySince: null })));
  s.step({ kind: 'adopted', alive: true, blocker: null, jitter: 0.5 });
  s.step({ kind: 'checked', depth: 'ownership', ok: true, listener: 4242 }, 100);
  assert.equal(s.s.record.state, 'starting');
});
