// The supervisor's shell: it turns requests, child exits, timers and checks into events for
// decide() (decide.ts, the rules), and performs the effects decide returns: spawning, stopping
// trees, timers, the store and the audit log. It runs inside the daemon; everything decided is
// saved in the registry, so a new daemon can carry on where a dead one stopped. Listeners
// (waitReady, the daemon's event stream) are told of every change instead of polling SQLite.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isAlive, readIdentity } from '../identity.ts';
import { awaitSpawn, CommandFailedToStartError } from '../spawn.ts';
import { type Caller, detectOwner } from '../owner.ts';
import { findPortRecord, leasePort, releasePort, reservePort } from '../ports/ports.ts';
import { recordEvent, type EventInput } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';
import { DEFAULT_PORT_RANGE, type PortRange } from '../validate.ts';
import type { DaemonStatus, Requester, RestartRequest, RunRequest, RunResult, ServiceView, StopRequest, SupervisorApi, SupervisorChange } from './api.ts';
import type { Eviction } from '../evict.ts';
import { clearTheWay, ConflictError, describeObstacleHolder, findObstacles } from './conflicts.ts';
import { type CheckDepth, decide, decideRun, type Effect, type Supervision, type SupervisorEvent } from './decide.ts';
import { ServiceNotFoundError } from './errors.ts';
import { waitReady } from './ready.ts';
import { spawnInstance, waitPortFree } from './spawner.ts';
import { checkHealth, checkOwnership } from './health.ts';
import { checkLogWritable, DEFAULT_LOG_MAX_BYTES, logPath, rotateLog } from './logs.ts';
import { removeServiceTmp } from './tmpdir.ts';
import { signalGuard } from '../protect.ts';
import { type Instance, instanceTree, stopInstanceTree } from './process-tree.ts';
import { sameService, type ServiceSpec, validateSpec } from './spec.ts';
import { isLive } from './state.ts';
import { deleteService, instanceOf, loadService, loadServices, saveService, type ServiceRecord } from './store.ts';
import { toView } from './view.ts';

const ADOPTED_POLL_MS = 250;
// Logs are written by the services directly; checking often bounds the overshoot past the cap
// to what a service writes in this time.
const LOG_CHECK_MS = 200;
// A service's own tree is proven by its marker; only what berth never signals at all is spared
// (pid 1, the daemon and its ancestors, other users), not berth commands the service runs.
const OWN_TREE_GUARD = signalGuard({});

/** The clock, randomness and timers the shell uses; tests hand in their own. */
export interface SupervisorClock {
  now(): number;
  random(): number;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

const systemClock: SupervisorClock = {
  now: () => Date.now(),
  random: () => Math.random(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

export interface SupervisorOptions {
  home: string;
  registry: Registry;
  version: string;
  range?: PortRange;
  logMaxBytes?: number;
  clock?: SupervisorClock;
}

interface Runtime {
  /** bumped at every start: callbacks of an older instance are ignored */
  instance: number;
  child: ChildProcess | null;
  timers: Map<string, NodeJS.Timeout>;
  /** what decide keeps in memory between events (the record itself is reloaded from the store) */
  memory: Omit<Supervision, 'record'>;
}

export class Supervisor implements SupervisorApi {
  private readonly home: string;
  private readonly registry: Registry;
  private readonly version: string;
  private readonly range: PortRange;
  private readonly logMaxBytes: number;
  private readonly clock: SupervisorClock;
  private readonly startedAt: number;
  private readonly runtimes = new Map<string, Runtime>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly changes = new EventEmitter<{ change: [SupervisorChange] }>();
  /** strangers evicted for a run in progress, by service: reported in its RunResult */
  private readonly evictedFor = new Map<string, Eviction[]>();
  private readonly self: Caller;
  private logTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(opts: SupervisorOptions) {
    this.home = opts.home;
    this.registry = opts.registry;
    this.version = opts.version;
    this.range = opts.range ?? DEFAULT_PORT_RANGE;
    this.logMaxBytes = opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.self = { actor: `berthd (pid ${process.pid})`, owner: detectOwner() };
    // every stream and waiter listens; none is a leak
    this.changes.setMaxListeners(0);
  }

  /** Calls listener at every change of a service record and every event recorded; returns the unsubscribe. */
  subscribe(listener: (change: SupervisorChange) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  // ---- lifecycle of the daemon ---------------------------------------------------------

  /** Adopts every recorded service whose process is alive; brings back, by policy, those that died meanwhile. */
  async adoptAll(): Promise<void> {
    for (const record of loadServices(this.registry)) {
      await this.serial(record.spec.name, async () => {
        const alive = record.identity !== null && isAlive(record.identity);
        this.runtime(record.spec.name).instance++;
        await this.step(record.spec.name, { kind: 'adopted', alive, blocker: alive ? null : this.blocker(record), jitter: this.clock.random() });
      });
    }
    this.logTimer = setInterval(() => this.rotateLogs(), LOG_CHECK_MS);
    this.logTimer.unref();
  }

  /** Stops watching (the daemon is going away); services keep running. */
  close(): void {
    this.closed = true;
    if (this.logTimer) clearInterval(this.logTimer);
    for (const rt of this.runtimes.values()) {
      for (const timer of rt.timers.values()) this.clock.clearTimeout(timer);
      rt.timers.clear();
      rt.child?.removeAllListeners('exit');
      rt.child?.unref();
    }
  }

  // ---- the API ---------------------------------------------------------------------------

  async run(req: RunRequest): Promise<RunResult> {
    const spec = validateSpec(req.spec);
    const t0 = this.clock.now();
    const { outcome, instance } = await this.serial(spec.name, async () => {
      const existing = loadService(this.registry, spec.name);
      const alive = existing?.identity ? isLive(existing.state) && isAlive(existing.identity) : false;
      const decision = decideRun(existing, alive, existing !== undefined && sameService(existing.spec, spec));
      if (decision === 'already_running') return { outcome: 'already_running' as const, instance: this.runtime(spec.name).instance };
      // a log berth must not write refuses the start before the running instance is stopped for it
      checkLogWritable(this.home, spec.name);
      if (decision === 'replace') await this.stopInstance(existing!, req, 10_000, 'replaced by a new spec');
      const outcome: RunResult['outcome'] = decision === 'replace' ? 'replaced' : 'started';
      const wasRetrying = existing?.state === 'backoff';
      if (existing) await this.step(spec.name, { kind: 'start-requested' });
      const port = this.claimPort(spec, req);
      this.evictedFor.set(spec.name, []);
      try {
        const instance = await this.startInstance(spec, req.env, req.owner, port, req, existing, 0, req.timeoutMs);
        return { outcome, instance };
      } catch (err) {
        // A supervised service that was waiting to restart keeps being retried.
        if (wasRetrying) await this.step(spec.name, this.startFailed(err, false));
        this.evictedFor.delete(spec.name);
        throw err;
      }
    });
    // An instance that is already running but not ready yet is waited for too.
    const readyMs = req.wait ? await this.waitReady(spec.name, instance, req.timeoutMs, t0) : null;
    const evicted = this.evictedFor.get(spec.name) ?? [];
    this.evictedFor.delete(spec.name);
    return { outcome, service: this.view(loadService(this.registry, spec.name)!), readyMs, evicted };
  }

  async stop(req: StopRequest): Promise<ServiceView> {
    return this.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      await this.stopInstance(record, req, req.graceMs, 'stopped by request');
      return this.view(loadService(this.registry, req.name)!);
    });
  }

  async restart(req: RestartRequest): Promise<RunResult> {
    const t0 = this.clock.now();
    const instance = await this.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      checkLogWritable(this.home, req.name);
      await this.stopInstance(record, req, req.graceMs, 'restart requested');
      const port = this.claimPort(record.spec, req);
      return this.startInstance(record.spec, record.env, req.owner, port, req, loadService(this.registry, req.name), 0, req.timeoutMs);
    });
    const readyMs = req.wait ? await this.waitReady(req.name, instance, req.timeoutMs, t0) : null;
    return { outcome: 'started', service: this.view(loadService(this.registry, req.name)!), readyMs };
  }

  async remove(req: StopRequest): Promise<ServiceView> {
    return this.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      await this.stopInstance(record, req, req.graceMs, 'removed');
      const view = this.view(loadService(this.registry, req.name)!);
      this.registry.transaction(() => {
        deleteService(this.registry, req.name);
        if (findPortRecord(this.registry, req.name)) releasePort(this.registry, req, req.name);
        this.event(req, { verb: 'rm', subject: req.name, outcome: 'ok' });
      });
      this.runtimes.delete(req.name);
      this.changes.emit('change', { kind: 'service', name: req.name });
      return view;
    });
  }

  async list(): Promise<ServiceView[]> {
    return loadServices(this.registry).map((r) => this.view(r));
  }

  async status(): Promise<DaemonStatus> {
    return {
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      home: this.home,
      version: this.version,
      services: loadServices(this.registry).length,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  // ---- the loop: event -> decide -> effects --------------------------------------------------

  /** Feeds one event to decide for a service and performs what it returns. */
  private async step(name: string, event: SupervisorEvent, who?: Requester, base?: ServiceRecord): Promise<void> {
    const record = loadService(this.registry, name) ?? base;
    if (!record) return;
    const rt = this.runtime(name);
    const { supervision, effects } = decide({ ...rt.memory, record }, event, this.clock.now());
    const { record: next, ...memory } = supervision;
    rt.memory = memory;
    for (const effect of effects) await this.perform(name, rt, next, effect, who);
  }

  private async perform(name: string, rt: Runtime, record: ServiceRecord, effect: Effect, who: Requester | undefined): Promise<void> {
    switch (effect.kind) {
      case 'save':
        saveService(this.registry, record, this.clock.now());
        this.changes.emit('change', { kind: 'service', name });
        return;
      case 'record':
        this.event(effect.as === 'requester' && who ? who : this.callerFor(record), effect.event);
        return;
      case 'cancel':
        this.cancelTimer(rt, effect.timer);
        return;
      case 'schedule':
        this.schedule(name, rt, effect.timer, effect.afterMs, effect.depth ?? 'probe');
        return;
      case 'watch-liveness':
        this.watchLiveness(name, rt.instance);
        return;
      case 'remove-tmp':
        removeServiceTmp(this.home, name);
        return;
      case 'start':
        await this.restartAfterCrash(name, effect.restarts);
        return;
      case 'stop-tree': {
        const instance = instanceOf(record);
        // an adopted process is not our child: no exit callback will come for it
        const adopted = rt.child === null;
        const before = rt.instance;
        const outcome = instance ? await stopInstanceTree(instance, effect.graceMs, OWN_TREE_GUARD) : { pids: [], killed: false, spared: [] };
        if (effect.purpose === 'request') {
          if (record.port !== null) await waitPortFree(record.port);
          rt.instance++; // the old instance's exit callback must not restart it
          rt.child = null;
        }
        await this.step(name, { kind: 'tree-stopped', purpose: effect.purpose, reason: effect.reason, outcome }, who);
        if (effect.purpose === 'hung' && adopted) {
          // its end goes through the restart policy here (exited ignores it if already handled)
          await this.exited(name, before, null, 'SIGKILL', `stopped after ${rt.memory.failures} failed health checks`);
        }
        return;
      }
    }
  }

  private schedule(name: string, rt: Runtime, timer: string, afterMs: number, depth: CheckDepth): void {
    this.cancelTimer(rt, timer);
    if (this.closed) return;
    const instance = rt.instance;
    const fire = (): void => {
      rt.timers.delete(timer);
      if (this.closed || rt.instance !== instance) return;
      if (timer === 'check') void this.runCheck(name, instance, depth);
      else if (timer === 'retry') void this.serial(name, () => this.step(name, { kind: 'retry-due' })).catch(() => {});
      else void this.serial(name, () => this.pollObstacle(name)).catch(() => {});
    };
    rt.timers.set(timer, this.clock.setTimeout(fire, afterMs));
  }

  private cancelTimer(rt: Runtime, timer: string): void {
    const t = rt.timers.get(timer);
    if (t) this.clock.clearTimeout(t);
    rt.timers.delete(timer);
  }

  /** Runs one check of the depth decide asked for, and feeds its result back. */
  private async runCheck(name: string, instance: number, depth: CheckDepth): Promise<void> {
    const rt = this.runtime(name);
    const record = loadService(this.registry, name);
    if (!record?.identity || !isLive(record.state) || record.state === 'stopping') return;
    if (rt.child === null && !isAlive(record.identity)) {
      await this.exited(name, instance, null, null, 'exited (not a child of this daemon: status unknown)');
      return;
    }
    const tree = instanceOf(record)!;
    let result: { ok: boolean; listener: number | null; stopped?: boolean };
    if (depth === 'settle') result = { ok: true, listener: null };
    else if (depth === 'ownership') result = checkOwnership(record.spec.health, record.port, tree);
    else {
      const ok = await checkHealth(record.spec.health, record.port, tree, { ...record.env, ...record.spec.env });
      result = { ok, listener: ok ? checkOwnership(record.spec.health, record.port, tree).listener : null };
    }
    if (this.closed || rt.instance !== instance) return;
    await this.step(name, { kind: 'checked', depth, ...result });
  }

  /** An adopted process is not our child: its end is noticed by polling its identity (one stat read). */
  private watchLiveness(name: string, instance: number): void {
    const rt = this.runtime(name);
    const poll = (): void => {
      if (this.closed || rt.instance !== instance || rt.child !== null) return;
      const record = loadService(this.registry, name);
      if (!record?.identity || !isLive(record.state) || record.state === 'stopping') return;
      if (!isAlive(record.identity)) {
        void this.exited(name, instance, null, null, 'exited (not a child of this daemon: status unknown)');
        return;
      }
      this.clock.setTimeout(poll, ADOPTED_POLL_MS).unref?.();
    };
    this.clock.setTimeout(poll, ADOPTED_POLL_MS).unref?.();
  }

  private async pollObstacle(name: string): Promise<void> {
    const record = loadService(this.registry, name);
    if (!record || record.state !== 'backoff') return;
    const gone = findObstacles(record.port, record.spec.locks ?? []).length === 0;
    await this.step(name, { kind: gone ? 'obstacle-gone' : 'obstacle-present' });
  }

  /** The end of an instance (its exit, or found dead), once. */
  private async exited(name: string, instance: number, code: number | null, signal: string | null, note?: string): Promise<void> {
    const rt = this.runtime(name);
    if (rt.instance !== instance || this.closed) return;
    rt.child = null;
    rt.instance++; // later callbacks of this instance (its exit, a liveness poll) are ignored
    const record = loadService(this.registry, name);
    if (!record) return;
    await this.step(name, { kind: 'exited', code, signal, ...(note ? { note } : {}), blocker: this.blocker(record), jitter: this.clock.random() });
  }

  /** Who now holds the service's port or a declared lock, as text ("port 8765 held by pid 42: …"), if anyone. */
  private blocker(record: ServiceRecord): string | null {
    if (!isLive(record.state) && record.state !== 'backoff') return null;
    const obstacle = findObstacles(record.port, record.spec.locks ?? [])[0];
    return obstacle ? `${obstacle.subject} ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${describeObstacleHolder(obstacle)}` : null;
  }

  private startFailed(err: unknown, counted: boolean): SupervisorEvent {
    const cause = err instanceof ConflictError ? err.brief : err instanceof Error ? err.message : String(err);
    return { kind: 'start-failed', cause, blocked: err instanceof ConflictError, jitter: this.clock.random(), counted };
  }

  private async restartAfterCrash(name: string, restarts: number): Promise<void> {
    const record = loadService(this.registry, name);
    if (!record || record.state !== 'backoff' || this.closed) return;
    const who = this.callerFor(record);
    try {
      await this.startInstance(record.spec, record.env, record.owner ?? this.self.owner, record.port, who, record, restarts);
    } catch (err) {
      // e.g. failed: the command is gone; else counted as a crash, with the cause in the state
      if (loadService(this.registry, name)?.state !== 'backoff') return;
      await this.step(name, this.startFailed(err, true));
    }
  }

  private waitReady(name: string, instance: number, timeoutMs: number, t0: number): Promise<number> {
    return waitReady({
      name,
      home: this.home,
      clock: this.clock,
      load: () => loadService(this.registry, name),
      current: () => this.runtime(name).instance === instance,
      subscribe: (listener) => this.subscribe(listener),
      timeoutMs,
      t0,
    });
  }

  // ---- starting ------------------------------------------------------------------------------

  /** Leases or reserves the service's port (sticky per name). */
  private claimPort(spec: ServiceSpec, who: Requester): number | null {
    const existing = findPortRecord(this.registry, spec.name);
    if (spec.port.kind === 'none') return null;
    if (spec.port.kind === 'fixed') return reservePort(this.registry, who, spec.name, spec.port.port).port;
    if (existing?.kind === 'reservation') releasePort(this.registry, who, spec.name);
    return leasePort(this.registry, who, spec.name, { range: who.portRange ?? this.range }).port;
  }

  /**
   * Clears the port and declared lock files for a new instance: an earlier instance's
   * leftovers are stopped; a stranger is refused, waited for or evicted per on_conflict.
   * Every process stopped is on the record with its pid, command, cwd and owner.
   */
  private async clearTheWay(spec: ServiceSpec, port: number | null, previous: Instance | null, who: Requester, waitMs: number): Promise<void> {
    const evicted = await clearTheWay({
      service: spec.name,
      port,
      locks: spec.locks ?? [],
      policy: spec.onConflict ?? 'refuse',
      previous,
      protect: who.protect ?? [],
      home: this.home,
      waitMs,
      registry: this.registry,
      record: (event) => this.event(who, event),
    });
    this.evictedFor.get(spec.name)?.push(...evicted);
    if (port !== null) await waitPortFree(port);
  }

  private async startInstance(
    spec: ServiceSpec,
    env: Record<string, string>,
    owner: RunRequest['owner'],
    port: number | null,
    who: Requester,
    previous: ServiceRecord | undefined,
    restarts: number,
    waitMs = 0,
  ): Promise<number> {
    const name = spec.name;
    // before clearing the way (a stranger may be evicted for this start): an unsafe log refuses it first
    checkLogWritable(this.home, name);
    await this.clearTheWay(spec, port, previous ? instanceOf(previous) : null, who, waitMs);
    const { child, marker } = spawnInstance(this.home, spec, env, port, restarts);
    const base = previous ?? newRecord(spec, env, owner, port, this.clock.now());
    const facts = { spec, env, owner, port, restarts };
    let pid: number;
    try {
      pid = await awaitSpawn(child, spec.argv.join(' '), spec.cwd);
    } catch (err) {
      const failure = err as CommandFailedToStartError;
      await this.step(name, { kind: 'spawn-failed', ...facts, message: failure.message, errno: String(failure.details?.errno ?? 'no pid') }, who, base);
      throw err;
    }
    const identity = readIdentity(pid) ?? { pid, startTicks: 0, bootId: '' };
    const rt = this.runtime(name);
    rt.instance++;
    rt.child = child;
    const instance = rt.instance;
    child.once('exit', (code, signal) => void this.exited(name, instance, code, signal));
    await this.step(name, { kind: 'spawned', ...facts, identity, marker }, who, base);
    return instance;
  }

  // ---- stopping ------------------------------------------------------------------------------

  private async stopInstance(record: ServiceRecord, who: Requester, graceMs: number, reason: string): Promise<void> {
    const instance = instanceOf(record);
    const alive = instance !== null && instanceTree(instance, undefined, { deep: true }).length > 0;
    await this.step(record.spec.name, { kind: 'stop-requested', reason, alive, graceMs }, who);
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Runs fn after every earlier operation on the same service: one change at a time per name. */
  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => {});
    this.queues.set(name, settled);
    void settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return next;
  }

  private runtime(name: string): Runtime {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = { instance: 0, child: null, timers: new Map(), memory: { attempt: 0, failures: 0, probedAt: null, listener: null, retryAt: null } };
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  private mustLoad(name: string): ServiceRecord {
    const record = loadService(this.registry, name);
    if (!record) throw new ServiceNotFoundError(name);
    return record;
  }

  private callerFor(record: ServiceRecord): Caller {
    return { actor: this.self.actor, owner: record.owner ?? this.self.owner };
  }

  private event(who: Requester, event: EventInput): void {
    recordEvent(this.registry, who, event);
    this.changes.emit('change', { kind: 'event' });
  }

  private rotateLogs(): void {
    // the services this daemon knows (started or adopted), without a registry read every tick
    for (const name of this.runtimes.keys()) {
      try {
        rotateLog(logPath(this.home, name), this.logMaxBytes);
      } catch {
        // a log we cannot rotate now is tried again at the next check
      }
    }
  }

  private view(record: ServiceRecord): ServiceView {
    return toView(record, this.home);
  }
}

/** The record of a service berth has not run before (decide moves it to starting, or failed). */
function newRecord(spec: ServiceSpec, env: Record<string, string>, owner: ServiceRecord['owner'], port: number | null, now: number): ServiceRecord {
  return { spec, state: 'stopped', identity: null, instance: null, port, owner, restarts: 0, lastExit: null, env, startedAt: null, healthySince: null, detail: null, createdAt: now };
}
