// The supervisor's shell (shell.ts) driven through its injected dependencies (deps.ts): a fake
// spawner whose children "run" at once and exit when the test says, fake process ops, a fake
// clock whose timers fire only when the test advances it, and the real store in a temporary
// SQLite registry. Crash -> backoff -> restart, a stop during backoff, a hung service, an
// obstacle that goes away, and adoption of a live and of a dead record, with no real process
// and no real wait: the file runs in milliseconds.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Identity } from '../../src/core/identity.ts';
import { detectOwner } from '../../src/core/owner.ts';
import { listEvents } from '../../src/core/registry/events.ts';
import { Registry } from '../../src/core/registry/registry.ts';
import { HEALTH_INTERVAL_MS, UNHEALTHY_CHECKS_BEFORE_RESTART } from '../../src/core/supervisor/decide.ts';
import type { HealthProbe, Obstacles, ProcessOps, SpawnedChild, Spawner, SpawnRequest, SupervisorClock } from '../../src/core/supervisor/deps.ts';
import type { Instance } from '../../src/core/supervisor/process-tree.ts';
import type { ServiceSpec } from '../../src/core/supervisor/spec.ts';
import { loadService, saveService, type ServiceRecord } from '../../src/core/supervisor/store.ts';
import { Supervisor } from '../../src/core/supervisor/supervisor.ts';
import { tempHome } from '../helpers/home.ts';
import { testSpec } from '../helpers/spec.ts';

const T0 = 1_700_000_000_000;
const owner = { session: 'unit', source: 'env' as const, user: 'test' };
const who = { actor: 'test', owner };

const baseSpec = testSpec({ argv: ['fake-server'], cwd: '/', port: { kind: 'none' } });

/** Timers that fire only when the test advances the clock; jitter fixed at the middle. */
class FakeClock implements SupervisorClock {
  t = T0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  random(): number {
    return 0.5;
  }
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return { id, unref: () => undefined } as unknown as NodeJS.Timeout;
  }
  clearTimeout(timer: NodeJS.Timeout): void {
    this.timers.delete((timer as unknown as { id: number }).id);
  }
  pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing every timer due on the way in order, and lets the shell react to each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets every pending promise chain of the shell run (no time passes on the fake clock). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

class FakeChild implements SpawnedChild {
  alive = true;
  private listener: ((code: number | null, signal: string | null) => void) | undefined;
  readonly identity: Identity;
  readonly marker: string;
  readonly req: SpawnRequest;
  /** when (fake clock) it was spawned */
  readonly at: number;
  constructor(identity: Identity, marker: string, req: SpawnRequest, at: number) {
    this.identity = identity;
    this.marker = marker;
    this.req = req;
    this.at = at;
  }
  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.listener = listener;
  }
  release(): void {
    this.listener = undefined;
  }
  exit(code: number | null, signal: string | null = null): void {
    this.alive = false;
    this.listener?.(code, signal);
  }
}

/** The world the shell sees: children it spawned, processes it adopted, a stranger on its port, a health answer. */
class FakeWorld {
  readonly children: FakeChild[] = [];
  /** pids alive that are no child of this daemon (adopted) */
  readonly adopted = new Set<number>();
  readonly stops: { marker: string | null; graceMs: number }[] = [];
  holder: string | null = null;
  healthy = true;
  private pid = 5000;
  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  readonly spawner: Spawner = {
    spawn: async (req) => {
      const child = new FakeChild({ pid: ++this.pid, startTicks: 1, bootId: 'b' }, `marker-${this.pid}`, req, this.clock.now());
      this.children.push(child);
      return child;
    },
  };

  readonly processes: ProcessOps = {
    isAlive: (id) => this.adopted.has(id.pid) || this.children.some((c) => c.identity.pid === id.pid && c.alive),
    treeAlive: (instance) => this.isRunning(instance),
    stopTree: async (instance, graceMs) => {
      this.stops.push({ marker: instance.marker, graceMs });
      const running = this.isRunning(instance);
      this.adopted.delete(instance.leader.pid);
      this.children.find((c) => c.marker === instance.marker && c.alive)?.exit(null, 'SIGTERM');
      return { pids: running ? [instance.leader.pid] : [], killed: false, spared: [] };
    },
    waitPortFree: async () => {},
  };

  readonly obstacles: Obstacles = {
    blocker: () => this.holder,
    clear: async () => [],
  };

  readonly health: HealthProbe = {
    ownership: () => ({ ok: this.healthy, listener: null, stopped: false }),
    probe: async () => this.healthy,
  };

  private isRunning(instance: Instance): boolean {
    return this.adopted.has(instance.leader.pid) || this.children.some((c) => c.marker === instance.marker && c.alive);
  }

  last(): FakeChild {
    return this.children.at(-1)!;
  }
}

function setup(t: TestContext): { sup: Supervisor; clock: FakeClock; world: FakeWorld; registry: Registry; state(): ServiceRecord } {
  const { home } = tempHome(t);
  const registry = Registry.open(home);
  const clock = new FakeClock();
  const world = new FakeWorld(clock);
  const { spawner, processes, obstacles, health } = world;
  const sup = new Supervisor({ home, registry, version: 'test', clock, spawner, processes, obstacles, health });
  t.after(() => {
    sup.close();
    registry.close();
  });
  return { sup, clock, world, registry, state: () => loadService(registry, 'web')! };
}

async function run(sup: Supervisor, spec: Partial<ServiceSpec> = {}): Promise<void> {
  await sup.run({ ...who, spec: { ...baseSpec, ...spec }, env: {}, wait: false, timeoutMs: 1_000 });
  await settle();
}

const verbs = (registry: Registry): string[] => listEvents(registry, { limit: 1000 }).map((e) => e.verb).reverse();

test('a crash goes to backoff and is restarted after the delay, which doubles at the next crash', async (t) => {
  const { sup, clock, world, state } = setup(t);
  await run(sup);
  assert.equal(world.children.length, 1);
  await clock.advance(600);
  assert.equal(state().state, 'running');

  world.last().exit(1);
  await settle();
  assert.equal(state().state, 'backoff');
  assert.match(state().detail ?? '', /exit code 1; restarting in 200 ms \(attempt 1\)/);
  await clock.advance(199);
  assert.equal(world.children.length, 1, 'no restart before the backoff delay');
  await clock.advance(1);
  assert.equal(world.children.length, 2, 'restarted when the delay is up');
  assert.equal(world.last().req.restarts, 1);
  assert.equal(state().state, 'starting');

  world.last().exit(null, 'SIGSEGV');
  await settle();
  assert.match(state().detail ?? '', /killed by SIGSEGV; restarting in 400 ms \(attempt 2\)/);
  await clock.advance(399);
  assert.equal(world.children.length, 2);
  await clock.advance(1);
  assert.equal(world.children.length, 3);
  assert.equal(state().restarts, 2);
});

test('a stop during backoff cancels the retry', async (t) => {
  const { sup, clock, world, registry, state } = setup(t);
  await run(sup);
  world.last().exit(1);
  await settle();
  assert.equal(state().state, 'backoff');

  const view = await sup.stop({ ...who, name: 'web', graceMs: 1_000 });
  assert.equal(view.state, 'stopped');
  assert.equal(world.stops.length, 0, 'nothing ran, so nothing was signalled');
  assert.equal(clock.pending(), 0, 'the retry timer is cancelled');
  await clock.advance(60_000);
  assert.equal(world.children.length, 1, 'no restart after the stop');
  assert.equal(state().state, 'stopped');
  assert.ok(!verbs(registry).includes('restart'));
});

test('a hung service (its checks fail) is stopped after 3 failed checks and restarted', async (t) => {
  const { sup, clock, world, registry, state } = setup(t);
  await run(sup, { health: 'cmd:true' });
  await clock.advance(0);
  assert.equal(state().state, 'healthy');
  const first = world.last();

  world.healthy = false;
  await clock.advance(HEALTH_INTERVAL_MS);
  assert.equal(state().state, 'unhealthy');
  assert.equal(world.stops.length, 0);
  await clock.advance(HEALTH_INTERVAL_MS * (UNHEALTHY_CHECKS_BEFORE_RESTART - 2));
  assert.equal(world.stops.length, 0, 'not stopped before the third failed check');
  world.healthy = true;
  await clock.advance(HEALTH_INTERVAL_MS);
  assert.equal(state().state, 'healthy', 'a check that passes again resets the count');

  world.healthy = false;
  for (let i = 0; i < UNHEALTHY_CHECKS_BEFORE_RESTART; i++) await clock.advance(HEALTH_INTERVAL_MS);
  assert.deepEqual(world.stops, [{ marker: first.marker, graceMs: 2_000 }], 'its own tree is stopped, by its marker');
  assert.ok(!first.alive);
  assert.equal(state().state, 'backoff');
  assert.ok(verbs(registry).includes('kill'));

  world.healthy = true;
  await clock.advance(200);
  assert.equal(world.children.length, 2, 'restarted after the backoff');
  await clock.advance(0);
  assert.equal(state().state, 'healthy');
});

test('a crash while a stranger holds the port is retried as soon as the stranger is gone, not at the end of the backoff', async (t) => {
  const { sup, clock, world, state } = setup(t);
  await run(sup);
  // six quick crashes grow the backoff to 6.4 s
  for (let i = 0; i < 6; i++) {
    world.last().exit(1);
    await clock.advance(30_000);
  }
  assert.equal(world.children.length, 7);
  world.holder = 'port 8765 held by pid 42: squatter';
  world.last().exit(1);
  await settle();
  assert.match(state().detail ?? '', /exit code 1; port 8765 held by pid 42: squatter; retrying in 12800 ms \(attempt 7\)/);
  await clock.advance(2_000);
  assert.equal(world.children.length, 7, 'not retried while the stranger is there');
  const gone = clock.now();
  world.holder = null;
  await clock.advance(500);
  assert.equal(world.children.length, 8, 'retried at the next look after the stranger left');
  assert.ok(world.last().at - gone <= 500);
});

function adoptedRecord(state: ServiceRecord['state'], pid: number): ServiceRecord {
  return {
    spec: baseSpec,
    state,
    identity: { pid, startTicks: 1, bootId: 'b' },
    instance: `marker-${pid}`,
    port: null,
    owner,
    restarts: 0,
    lastExit: null,
    env: {},
    startedAt: T0 - 60_000,
    healthySince: T0 - 60_000,
    detail: null,
    createdAt: T0 - 60_000,
  };
}

test('a new daemon adopts a live record, watches it, and restarts it by policy when it dies', async (t) => {
  const { sup, clock, world, registry, state } = setup(t);
  saveService(registry, adoptedRecord('running', 777), T0);
  world.adopted.add(777);
  await sup.adoptAll();
  await clock.advance(1_000);
  assert.equal(world.children.length, 0, 'a live process is adopted, not started again');
  assert.equal(state().state, 'running');
  assert.ok(verbs(registry).includes('adopt'));

  world.adopted.delete(777);
  await clock.advance(250);
  assert.equal(state().state, 'backoff', 'its end is noticed by the liveness watch');
  assert.match(state().detail ?? '', /not a child of this daemon/);
  await clock.advance(200);
  assert.equal(world.children.length, 1);
  assert.equal(world.last().req.restarts, 1);
});

test('a new daemon brings back a record whose process died while no daemon watched it', async (t) => {
  const { sup, clock, world, registry, state } = setup(t);
  saveService(registry, adoptedRecord('healthy', 778), T0);
  await sup.adoptAll();
  assert.equal(state().state, 'backoff');
  assert.match(state().detail ?? '', /died while the daemon was down/);
  assert.equal(world.children.length, 0);
  await clock.advance(200);
  assert.equal(world.children.length, 1, 'restarted after the backoff');
  assert.ok(!verbs(registry).includes('adopt'));
});

// ---- session lifetimes: the owner watch (decision 0017) ------------------------------------------

// the daemon's own user: a reap passes the ownership rule only for its user's services
const agentOwner = (pid: number) => ({ session: `claude:${pid}:1`, source: 'agent' as const, agent: 'claude', process: { pid, startTicks: 1, bootId: 'b' }, user: detectOwner().user });

test('the owner watch stops a session-scoped service within a tick of its session ending, and keeps a kept one', async (t) => {
  const { sup, clock, world, registry } = setup(t);
  await sup.adoptAll();
  world.adopted.add(9001); // the agent session's process
  const agent = agentOwner(9001);
  await sup.run({ actor: 'test', owner: agent, spec: { ...baseSpec, name: 'p/web', ephemeral: true }, env: {}, wait: false, timeoutMs: 1_000 });
  await sup.run({ actor: 'test', owner: agent, spec: { ...baseSpec, name: 'p/kept', ephemeral: false }, env: {}, wait: false, timeoutMs: 1_000 });
  await clock.advance(2_000);
  assert.equal(loadService(registry, 'p/web')!.state, 'running', 'its session is alive');

  world.adopted.delete(9001);
  await clock.advance(1_000);
  const web = loadService(registry, 'p/web')!;
  assert.equal(web.state, 'stopped', 'reaped through the stop path');
  assert.equal(web.detail, `reaped: its session ${agent.session} (claude) ended`);
  assert.equal(world.stops.length, 1, 'one tree stopped: the reaped one');
  assert.equal(loadService(registry, 'p/kept')!.state, 'running');
  const reap = listEvents(registry, { limit: 100 }).find((e) => e.verb === 'reap');
  assert.ok(reap, 'a reap event');
  assert.equal(reap.subject, 'p/web');
  assert.equal(reap.details?.session, agent.session);
  assert.equal(reap.details?.agent, 'claude');
  await clock.advance(5_000);
  assert.equal(world.children.filter((c) => c.alive).length, 1, 'not restarted after the reap');
});

test('a reap that cannot succeed (a record of another user) is retried after a growing pause, not every tick', async (t) => {
  const { sup, clock, world, registry } = setup(t);
  await sup.adoptAll();
  world.adopted.add(9003);
  // a record a same-user client wrote with another user's name: the ownership rule never lets the daemon stop it
  const stranger = { ...agentOwner(9003), user: 'someone-else' };
  await sup.run({ actor: 'test', owner: stranger, spec: { ...baseSpec, name: 'p/forged', ephemeral: true }, env: {}, wait: false, timeoutMs: 1_000 });
  world.adopted.delete(9003);
  await clock.advance(60_000);
  const failed = listEvents(registry, { limit: 1000 }).filter((e) => e.verb === 'reap' && e.outcome === 'failed');
  // ticks every second for 60 s; retries after 2, 4, 8, 16 and 32 s: at most 6 attempts
  assert.ok(failed.length >= 2 && failed.length <= 6, `${failed.length} failed reaps recorded in 60 s`);
  assert.deepEqual(failed.map((e) => e.details?.failures).slice(0, 2), [1, 2]);
  assert.equal(loadService(registry, 'p/forged')!.state, 'running', 'never stopped');
});

test('a daemon that was down when the session ended reaps at its start, after adopting', async (t) => {
  const { sup, world, registry } = setup(t);
  const record = { ...adoptedRecord('running', 779), owner: agentOwner(9002) };
  record.spec = { ...record.spec, ephemeral: true };
  saveService(registry, record, T0);
  world.adopted.add(779); // the service runs on; its session 9002 is gone
  await sup.adoptAll();
  await settle();
  assert.equal(loadService(registry, 'web')!.state, 'stopped');
  assert.deepEqual(verbs(registry).reverse(), ['adopt', 'stop', 'reap'], 'adopted first, then reaped');
});
