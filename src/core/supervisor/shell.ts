// The supervisor's shell: the loop event -> decide() -> effects. It turns child exits, timers,
// checks and requests into events for decide (decide.ts, the rules) and performs the effects it
// returns through injected dependencies (deps.ts: spawner, process table, obstacles, health
// probe, clock, store), so that the loop itself is unit-tested with fakes in milliseconds
// (test/core/supervisor-shell.test.ts). What is about concurrency, not rules, stays here: the
// per-name serial queue, and the instance counter that makes callbacks of an older instance
// be ignored. Listeners (waitReady, the daemon's event stream) are told of every change.
import { EventEmitter } from 'node:events';
import { SignalRefusedError } from '../errors.ts';
import { recordSlotHolders, releaseSlots, slotFds, takeServiceSlots, type TakenSlot } from '../locks/service-slots.ts';
import { CommandFailedToStartError } from '../spawn.ts';
import type { Caller } from '../owner.ts';
import { recordEvent, type EventInput } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';
import type { Eviction } from '../evict.ts';
import type { Requester, RunRequest, SupervisorChange } from './api.ts';
import { ConflictError } from './conflicts.ts';
import { type CheckDepth, decide, type Effect, NO_NOTIFY, type NotifyState, type Supervision, type SupervisorEvent } from './decide.ts';
import { parseNotify } from './notify.ts';
import { instanceTree } from './process-tree.ts';
import { readProcessTable } from '../inspect/tree.ts';
import type { SpawnedChild, SupervisorDeps } from './deps.ts';
import { waitReady } from './ready.ts';
import { watchedPort } from './health.ts';
import { type ElsewhereHint, findElsewhere, findPortMismatch, type PortMismatch } from './port-mismatch.ts';
import { checkLogWritable } from './logs.ts';
import { removeServiceTmp } from './tmpdir.ts';
import type { Instance } from './process-tree.ts';
import { declaredLocks, type ServiceSpec } from './spec.ts';
import { isLive } from './state.ts';
import { unmarkedLeaderRefusal, unmarkedStopGuard } from './unmarked.ts';
import { instanceOf, type ServiceRecord } from './store.ts';
import { mark } from '../profile.ts';

const ADOPTED_POLL_MS = 250;

interface Runtime {
  /** bumped at every start: callbacks of an older instance are ignored */
  instance: number;
  child: SpawnedChild | null;
  timers: Map<string, NodeJS.Timeout>;
  /** what decide keeps in memory between events (the record itself is reloaded from the store) */
  memory: Omit<Supervision, 'record'>;
}

export interface ShellOptions {
  home: string;
  /** where audit events are recorded */
  registry: Registry;
  deps: SupervisorDeps;
  /** the daemon itself, the actor of what it does on its own (restarts, adoption) */
  self: Caller;
  /** the daemon's NOTIFY_SOCKET address, when it has one */
  notifySocket?: string;
  /** drains the NOTIFY_SOCKET now (its timer may be in the idle back-off), before a watchdog verdict */
  flushNotify?: () => void;
}

export class SupervisorShell {
  private readonly home: string;
  private readonly registry: Registry;
  private readonly deps: SupervisorDeps;
  private readonly self: Caller;
  private readonly notifySocket: string | undefined;
  private readonly flushNotify: (() => void) | undefined;
  private readonly runtimes = new Map<string, Runtime>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly changes = new EventEmitter<{ change: [SupervisorChange] }>();
  /** strangers evicted for a run in progress, by service: reported in its RunResult */
  private readonly evictedFor = new Map<string, Eviction[]>();
  private closed = false;

  constructor(opts: ShellOptions) {
    this.home = opts.home;
    this.registry = opts.registry;
    this.deps = opts.deps;
    this.self = opts.self;
    this.notifySocket = opts.notifySocket;
    this.flushNotify = opts.flushNotify;
    // every stream and waiter listens; none is a leak
    this.changes.setMaxListeners(0);
  }

  subscribe(listener: (change: SupervisorChange) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  /** Tells the listeners that a service's record changed (or went). */
  announce(name: string): void {
    this.changes.emit('change', { kind: 'service', name });
  }

  /** A record found by a new daemon: watched if its process is alive, else brought back by policy. */
  async adopt(record: ServiceRecord): Promise<void> {
    const { clock, processes } = this.deps;
    await this.serial(record.spec.name, async () => {
      const alive = record.identity !== null && processes.isAlive(record.identity);
      this.runtime(record.spec.name).instance++;
      const blocker = alive ? null : this.blocker(record);
      mark('adopt-checked', { alive, blocked: blocker !== null });
      await this.step(record.spec.name, { kind: 'adopted', alive, blocker, jitter: clock.random() });
    });
  }

  /**
   * A process `berth adopt` just recorded (the caller holds the name's serial queue): watched
   * from now on like any adopted record, and the adopt event recorded for the requester.
   */
  async watchAdopted(name: string, who: Requester, adoption: Record<string, unknown>): Promise<void> {
    this.runtime(name).instance++;
    await this.step(name, { kind: 'adopted', alive: true, blocker: null, jitter: this.deps.clock.random(), adoption }, who);
  }

  /** Stops watching (the daemon is going away); services keep running. */
  close(): void {
    this.closed = true;
    for (const rt of this.runtimes.values()) {
      for (const timer of rt.timers.values()) this.deps.clock.clearTimeout(timer);
      rt.timers.clear();
      rt.child?.release();
    }
  }

  /** The services this shell knows (started or adopted). */
  names(): string[] {
    return [...this.runtimes.keys()];
  }

  forget(name: string): void {
    this.runtimes.delete(name);
  }

  /** The current instance number of a service (what waitReady waits for). */
  instanceOf(name: string): number {
    return this.runtime(name).instance;
  }

  beginEvictions(name: string): void {
    this.evictedFor.set(name, []);
  }

  takeEvictions(name: string): Eviction[] {
    const evicted = this.evictedFor.get(name) ?? [];
    this.evictedFor.delete(name);
    return evicted;
  }

  // ---- notifications (sd_notify, berth beat) --------------------------------------------------

  /** notifications refused because their sender is in no service's instance tree */
  ignoredNotifications = 0;

  /** What the running instance last said (STATUS=, MAINPID=, …), for ps. */
  notifyState(name: string): NotifyState {
    return this.runtimes.get(name)?.memory.notify ?? NO_NOTIFY;
  }

  /**
   * A notification whose sender the kernel vouched for (SCM_CREDENTIALS): given to the one
   * service whose instance tree holds that pid (only: the name, when `berth beat` named it).
   * A sender in no tree is ignored and counted: it can neither make a service ready nor keep
   * a hung one alive. Returns the service's name, or null.
   */
  notify(pid: number, text: string, only?: string): Promise<string | null> {
    return this.deliver(this.treeOwners(only)(pid), pid, text);
  }

  /** A drain's datagrams: one process-table read and one tree walk per service for the whole batch. */
  notifyBatch(batch: { pid: number; text: string }[]): Promise<(string | null)[]> {
    const ownerOf = this.treeOwners();
    return Promise.all(batch.map(({ pid, text }) => this.deliver(ownerOf(pid), pid, text)));
  }

  /** Which live service's instance tree (deep) holds a pid, from one read of the process table. */
  private treeOwners(only?: string): (pid: number) => string | undefined {
    const table = readProcessTable();
    const trees = new Map<string, Set<number>>();
    const treeOf = (name: string): Set<number> => {
      let pids = trees.get(name);
      if (pids === undefined) {
        const record = this.deps.store.load(name);
        const tree = record && isLive(record.state) ? instanceOf(record) : null;
        pids = new Set(tree === null ? [] : instanceTree(tree, table, { deep: true }).map((id) => id.pid));
        trees.set(name, pids);
      }
      return pids;
    };
    return (pid) => [...this.runtimes.keys()].find((name) => (only === undefined || name === only) && treeOf(name).has(pid));
  }

  /** Not async: the step is queued at once, so a watchdog check queued after a flush sees it. */
  private deliver(name: string | undefined, pid: number, text: string): Promise<string | null> {
    if (name === undefined) {
      this.ignoredNotifications++;
      if (this.ignoredNotifications <= 20 || this.ignoredNotifications % 1000 === 0) {
        process.stderr.write(`berthd: ignored a notification from pid ${pid}: it is in no service's instance tree (${this.ignoredNotifications} so far)\n`);
      }
      return Promise.resolve(null);
    }
    const message = parseNotify(text);
    return this.serial(name, () => this.step(name, { kind: 'notified', message })).then(() => name);
  }

  // ---- the loop: event -> decide -> effects --------------------------------------------------

  /** Feeds one event to decide for a service and performs what it returns. */
  async step(name: string, event: SupervisorEvent, who?: Requester, base?: ServiceRecord): Promise<void> {
    const record = this.deps.store.load(name) ?? base;
    if (!record) return;
    const rt = this.runtime(name);
    const { supervision, effects } = decide({ ...rt.memory, record }, event, this.deps.clock.now());
    const { record: next, ...memory } = supervision;
    rt.memory = memory;
    for (const effect of effects) await this.perform(name, rt, next, effect, who);
  }

  private async perform(name: string, rt: Runtime, record: ServiceRecord, effect: Effect, who: Requester | undefined): Promise<void> {
    switch (effect.kind) {
      case 'save':
        this.deps.store.save(record, this.deps.clock.now());
        this.announce(name);
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
      case 'announce':
        this.announce(name);
        return;
      case 'start':
        await this.restartAfterCrash(name, effect.restarts);
        return;
      case 'stop-tree': {
        const instance = instanceOf(record);
        // an adopted process is not our child: no exit callback will come for it
        const adopted = rt.child === null;
        const before = rt.instance;
        // an adopted record (no marker) is walked like an eviction: never into the daemon or another service
        const guard = instance?.marker === null ? unmarkedStopGuard(this.home, this.registry, name, who?.protect) : undefined;
        const outcome = instance ? await this.deps.processes.stopTree(instance, effect.graceMs, guard) : { pids: [], killed: false, spared: [] };
        if (effect.purpose === 'request') {
          if (record.port !== null) await this.deps.processes.waitPortFree(record.port);
          rt.instance++; // the old instance's exit callback must not restart it
          rt.child = null;
        }
        await this.step(name, { kind: 'tree-stopped', purpose: effect.purpose, reason: effect.reason, outcome }, who);
        if (effect.purpose === 'hung' && adopted) {
          // its end goes through the restart policy here (exited ignores it if already handled)
          // (decide knows it was stopped as hung, and why: the exit says so without a note)
          await this.exited(name, before, null, 'SIGKILL');
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
      else if (timer === 'watchdog') {
        // the socket may be in its idle back-off: what is waiting in it counts before "hung"
        this.flushNotify?.();
        void this.serial(name, () => this.step(name, { kind: 'watchdog-due' })).catch(() => {});
      } else void this.serial(name, () => this.pollObstacle(name)).catch(() => {});
    };
    rt.timers.set(timer, this.deps.clock.setTimeout(fire, afterMs));
  }

  private cancelTimer(rt: Runtime, timer: string): void {
    const t = rt.timers.get(timer);
    if (t) this.deps.clock.clearTimeout(t);
    rt.timers.delete(timer);
  }

  /** Runs one check of the depth decide asked for, and feeds its result back. */
  private async runCheck(name: string, instance: number, depth: CheckDepth): Promise<void> {
    const { store, processes, health } = this.deps;
    const rt = this.runtime(name);
    const record = store.load(name);
    if (!record?.identity || !isLive(record.state) || record.state === 'stopping') return;
    if (rt.child === null && !processes.isAlive(record.identity)) {
      await this.exited(name, instance, null, null, 'exited (not a child of this daemon: status unknown)');
      return;
    }
    const tree = instanceOf(record)!;
    let result: { ok: boolean; listener: number | null; stopped?: boolean };
    if (depth === 'settle') result = { ok: true, listener: null };
    else if (depth === 'ownership') result = health.ownership(record.spec.health, record.port, tree);
    else {
      const ok = await health.probe(record.spec.health, record.port, tree, { ...record.env, ...record.spec.env });
      result = { ok, listener: ok ? health.ownership(record.spec.health, record.port, tree).listener : null };
    }
    if (this.closed || rt.instance !== instance) return;
    mark('check', { depth, ok: result.ok });
    await this.step(name, { kind: 'checked', depth, ...result });
  }

  /** An adopted process is not our child: its end is noticed by polling its identity (one stat read). */
  private watchLiveness(name: string, instance: number): void {
    const { clock, store, processes } = this.deps;
    const rt = this.runtime(name);
    const poll = (): void => {
      if (this.closed || rt.instance !== instance || rt.child !== null) return;
      const record = store.load(name);
      if (!record?.identity || !isLive(record.state) || record.state === 'stopping') return;
      if (!processes.isAlive(record.identity)) {
        void this.exited(name, instance, null, null, 'exited (not a child of this daemon: status unknown)');
        return;
      }
      clock.setTimeout(poll, ADOPTED_POLL_MS).unref?.();
    };
    clock.setTimeout(poll, ADOPTED_POLL_MS).unref?.();
  }

  private async pollObstacle(name: string): Promise<void> {
    const record = this.deps.store.load(name);
    if (!record || record.state !== 'backoff') return;
    const gone = this.deps.obstacles.blocker(record.port, declaredLocks(record.spec)) === null;
    await this.step(name, { kind: gone ? 'obstacle-gone' : 'obstacle-present' });
  }

  /** The end of an instance (its exit, or found dead), once. */
  private async exited(name: string, instance: number, code: number | null, signal: string | null, note?: string): Promise<void> {
    const rt = this.runtime(name);
    if (rt.instance !== instance || this.closed) return;
    rt.child = null;
    rt.instance++; // later callbacks of this instance (its exit, a liveness poll) are ignored
    const record = this.deps.store.load(name);
    if (!record) return;
    await this.step(name, { kind: 'exited', code, signal, ...(note ? { note } : {}), blocker: this.blocker(record), jitter: this.deps.clock.random() });
  }

  /** Who now holds the service's port or a declared lock, as text, if anyone. */
  private blocker(record: ServiceRecord): string | null {
    if (!isLive(record.state) && record.state !== 'backoff') return null;
    return this.deps.obstacles.blocker(record.port, declaredLocks(record.spec));
  }

  startFailed(err: unknown, counted: boolean): SupervisorEvent {
    const cause = err instanceof ConflictError ? err.brief : err instanceof Error ? err.message : String(err);
    return { kind: 'start-failed', cause, blocked: err instanceof ConflictError, jitter: this.deps.clock.random(), counted };
  }

  private async restartAfterCrash(name: string, restarts: number): Promise<void> {
    const record = this.deps.store.load(name);
    if (!record || record.state !== 'backoff' || this.closed) return;
    const who = this.callerFor(record);
    try {
      await this.startInstance(record.spec, record.env, record.owner ?? this.self.owner, record.port, who, record, restarts);
    } catch (err) {
      // e.g. failed: the command is gone; else counted as a crash, with the cause in the state
      if (this.deps.store.load(name)?.state !== 'backoff') return;
      await this.step(name, this.startFailed(err, true));
    }
  }

  waitReady(name: string, instance: number, timeoutMs: number, t0: number): Promise<number> {
    return waitReady({
      name,
      home: this.home,
      clock: this.deps.clock,
      load: () => this.deps.store.load(name),
      current: () => this.runtime(name).instance === instance,
      subscribe: (listener) => this.subscribe(listener),
      timeoutMs,
      t0,
      mismatch: () => this.portMismatch(name, instance, findPortMismatch),
      elsewhere: () => this.portMismatch(name, instance, findElsewhere),
    });
  }

  /** Whether a starting instance listens (or says it listens) elsewhere than on its port, and not on it; see port-mismatch.ts. */
  private portMismatch<T extends PortMismatch | ElsewhereHint>(name: string, instance: number, find: (expected: number, also: number | null, tree: Instance, log: { home: string; name: string }) => T | null): T | null {
    const record = this.deps.store.load(name);
    const tree = record ? instanceOf(record) : null;
    if (!record || !tree || record.port === null || record.state !== 'starting' || this.runtime(name).instance !== instance) return null;
    const checked = watchedPort(record.spec.health, record.port);
    return find(record.port, checked === record.port ? null : checked, tree, { home: this.home, name });
  }

  // ---- starting and stopping -------------------------------------------------------------------

  /**
   * Clears the port and declared lock files for a new instance: an earlier instance's
   * leftovers are stopped; a stranger is refused, waited for or evicted per on_conflict.
   * Every process stopped is on the record with its pid, command, cwd and owner.
   */
  private async clearTheWay(spec: ServiceSpec, port: number | null, previous: Instance | null, who: Requester, waitMs: number): Promise<void> {
    const evicted = await this.deps.obstacles.clear({
      service: spec.name,
      port,
      locks: declaredLocks(spec),
      policy: spec.onConflict ?? 'refuse',
      previous,
      protect: who.protect ?? [],
      home: this.home,
      waitMs,
      registry: this.registry,
      record: (event) => this.event(who, event),
      fromConfig: spec.configFile !== undefined,
    });
    this.evictedFor.get(spec.name)?.push(...evicted);
    // No wait for the port after this: clear() returns only from a look that found nothing
    // bound to it (no holder, no hidden socket), the very condition waitPortFree polls for.
    mark('way-clear', { evicted: evicted.length });
  }

  /**
   * One slot of each group the spec declares, all or none, waited for up to waitMs (throws
   * SlotBusyError naming the holders); a `slot-wait` event says whom it waits behind.
   */
  private takeSlots(spec: ServiceSpec, who: Requester, waitMs: number): Promise<TakenSlot[]> {
    if (spec.slots === undefined || Object.keys(spec.slots).length === 0) return Promise.resolve([]);
    return takeServiceSlots(this.home, this.registry, spec.name, spec.slots, waitMs, (slot, holders) => {
      this.event(who, { verb: 'slot-wait', subject: spec.name, outcome: 'ok', details: { slot, holders: holders.map((h) => ({ slot: h.slot, pid: h.pid, command: h.command })) } });
    });
  }

  /** Clears the way and spawns one instance; resolves to its instance number. */
  async startInstance(
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
    // its slots (berth.yaml `slots:`), waited for within the request's timeout: a slot is a queue
    const slots = await this.takeSlots(spec, who, waitMs);
    const base = previous ?? newRecord(spec, env, owner, port, this.deps.clock.now());
    const facts = { spec, env, owner, port, restarts };
    let child: SpawnedChild;
    try {
      child = await this.deps.spawner.spawn({
        home: this.home,
        spec,
        env,
        port,
        restarts,
        ...(this.notifySocket !== undefined ? { notifySocket: this.notifySocket } : {}),
        ...(slots.length > 0 ? { inheritFds: slotFds(slots) } : {}),
      });
    } catch (err) {
      // only a command that could not start is a failed start; anything else (an unsafe tmp/) is thrown as it is
      if (!(err instanceof CommandFailedToStartError)) throw err;
      await this.step(name, { kind: 'spawn-failed', ...facts, message: err.message, errno: String(err.details?.errno ?? 'no pid') }, who, base);
      throw err;
    } finally {
      // the leader holds them now (or nobody, if it did not start): the daemon never keeps a slot
      await releaseSlots(slots);
    }
    mark('spawned', { pid: child.identity.pid });
    if (slots.length > 0) recordSlotHolders(this.registry, who, name, slots, child.identity, spec.argv);
    const rt = this.runtime(name);
    rt.instance++;
    rt.child = child;
    const instance = rt.instance;
    child.onExit((code, signal) => void this.exited(name, instance, code, signal));
    await this.step(name, { kind: 'spawned', ...facts, identity: child.identity, marker: child.marker }, who, base);
    return instance;
  }

  async stopInstance(record: ServiceRecord, who: Requester, graceMs: number, reason: string): Promise<void> {
    const instance = instanceOf(record);
    const alive = instance !== null && this.deps.processes.treeAlive(instance);
    // an adopted leader that is now an ancestor of the daemon or of the requester is never signalled
    const refusal = alive ? unmarkedLeaderRefusal(record, who.protect) : undefined;
    if (refusal !== undefined) {
      this.event(who, { verb: 'stop', subject: record.spec.name, outcome: 'refused', details: { reason: refusal.reason, pid: refusal.pid, why: refusal.why } });
      throw refusal;
    }
    await this.step(record.spec.name, { kind: 'stop-requested', reason, alive, graceMs }, who);
    // the leader itself was spared (decide marked the record failed): the stop did not happen
    const after = this.deps.store.load(record.spec.name);
    if (after?.state === 'failed' && after.identity !== null && this.deps.processes.isAlive(after.identity)) {
      throw new SignalRefusedError(after.identity.pid, 'ancestor', after.detail ?? `pid ${after.identity.pid} was spared: berth must not signal it`);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Runs fn after every earlier operation on the same service: one change at a time per name. */
  serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
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
      rt = { instance: 0, child: null, timers: new Map(), memory: { attempt: 0, failures: 0, probedAt: null, listener: null, retryAt: null, notify: NO_NOTIFY, hung: null } };
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  private callerFor(record: ServiceRecord): Caller {
    return { actor: this.self.actor, owner: record.owner ?? this.self.owner };
  }

  event(who: Requester, event: EventInput): void {
    recordEvent(this.registry, who, event);
    this.changes.emit('change', { kind: 'event' });
  }
}

/** The record of a service berth has not run before (decide moves it to starting, or failed). */
function newRecord(spec: ServiceSpec, env: Record<string, string>, owner: ServiceRecord['owner'], port: number | null, now: number): ServiceRecord {
  return { spec, state: 'stopped', identity: null, instance: null, port, owner, restarts: 0, lastExit: null, env, startedAt: null, healthySince: null, detail: null, createdAt: now };
}
