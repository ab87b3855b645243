// The supervisor: starts services in their own session with their output on their log file,
// watches them (as their parent, or by identity after a daemon restart), restarts them by
// policy with backoff, and stops whole trees. It runs inside the daemon; everything it decides
// is saved in the registry, so a new daemon can carry on where a dead one stopped.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync } from 'node:fs';
import { type Identity, isAlive, readIdentity } from '../identity.ts';
import { findListeners } from '../inspect/listeners.ts';
import { awaitSpawn, CommandFailedToStartError } from '../spawn.ts';
import { type Caller, detectOwner } from '../owner.ts';
import { findPortRecord, leasePort, releasePort, reservePort } from '../ports/ports.ts';
import { recordEvent, type EventInput } from '../registry/events.ts';
import type { Registry } from '../registry/registry.ts';
import { DEFAULT_PORT_RANGE, type PortRange } from '../validate.ts';
import type { DaemonStatus, Requester, RestartRequest, RunRequest, RunResult, ServiceView, StopRequest, SupervisorApi } from './api.ts';
import { BACKOFF_RESET_AFTER_MS, backoffDelay } from './backoff.ts';
import type { Eviction } from '../evict.ts';
import { clearTheWay, ConflictError, describeObstacleHolder, findObstacles } from './conflicts.ts';
import { NotReadyError, ServiceExitedError, ServiceNotFoundError } from './errors.ts';
import { checkHealth, expandPort } from './health.ts';
import { checkLogWritable, DEFAULT_LOG_MAX_BYTES, logPath, openLog, rotateLog, tailLinesQuietly } from './logs.ts';
import { ensureServiceTmp, removeServiceTmp } from './tmpdir.ts';
import { signalGuard } from '../protect.ts';
import { type Instance, INSTANCE_ENV, instanceTree, stopInstanceTree } from './process-tree.ts';
import { sameService, type ServiceSpec, validateSpec } from './spec.ts';
import { isLive, type ServiceState, transition } from './state.ts';
import { deleteService, instanceOf, loadService, loadServices, saveService, type ServiceRecord } from './store.ts';
import { toView } from './view.ts';

const READY_POLL_MS = 100;
const UNCHECKED_SETTLE_MS = 500;
const OBSTACLE_POLL_MS = 500;
const UNHEALTHY_CHECKS_BEFORE_RESTART = 3;
const UNHEALTHY_GRACE_MS = 2_000;
const HEALTH_INTERVAL_MS = 2_000;
const ADOPTED_POLL_MS = 250;
const PORT_FREE_WAIT_MS = 10_000;
// Logs are written by the services directly; checking often bounds the overshoot past the cap
// to what a service writes in this time.
const LOG_CHECK_MS = 200;
const LOG_TAIL_LINES = 20;
// A service's own tree is proven by its marker; only what berth never signals at all is spared
// (pid 1, the daemon and its ancestors, other users), not berth commands the service runs.
const OWN_TREE_GUARD = signalGuard({});

export interface SupervisorOptions {
  home: string;
  registry: Registry;
  version: string;
  range?: PortRange;
  logMaxBytes?: number;
}

interface Runtime {
  /** bumped at every start: callbacks of an older instance are ignored */
  instance: number;
  child: ChildProcess | null;
  timer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  /** consecutive crashes, for the backoff; reset after 60 s healthy */
  attempt: number;
}

export class Supervisor implements SupervisorApi {
  private readonly home: string;
  private readonly registry: Registry;
  private readonly version: string;
  private readonly range: PortRange;
  private readonly logMaxBytes: number;
  private readonly startedAt = Date.now();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly queues = new Map<string, Promise<unknown>>();
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
    this.self = { actor: `berthd (pid ${process.pid})`, owner: detectOwner() };
  }

  // ---- lifecycle of the daemon ---------------------------------------------------------

  /** Adopts every recorded service whose process is alive; brings back, by policy, those that died meanwhile. */
  async adoptAll(): Promise<void> {
    for (const record of loadServices(this.registry)) {
      await this.serial(record.spec.name, async () => {
        const name = record.spec.name;
        const alive = record.identity !== null && isAlive(record.identity);
        if (isLive(record.state) && record.state !== 'stopping' && alive) {
          const rt = this.runtime(name);
          rt.instance++;
          this.event(this.callerFor(record), { verb: 'adopt', subject: name, outcome: 'ok', details: { pid: record.identity!.pid } });
          this.watch(name, rt.instance);
        } else if (record.state === 'stopping') {
          if (alive) await stopInstanceTree(instanceOf(record)!, 5_000, OWN_TREE_GUARD);
          this.update(name, { state: 'stopped', detail: null });
        } else if (isLive(record.state) || record.state === 'backoff') {
          // It died while no daemon watched it: the exit status is unknown.
          this.runtime(name).instance++;
          this.onExit(name, this.runtime(name).instance, null, null, 'died while the daemon was down');
        }
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
      if (rt.timer) clearTimeout(rt.timer);
      if (rt.restartTimer) clearTimeout(rt.restartTimer);
      rt.child?.removeAllListeners('exit');
      rt.child?.unref();
    }
  }

  // ---- the API ---------------------------------------------------------------------------

  async run(req: RunRequest): Promise<RunResult> {
    const spec = validateSpec(req.spec);
    const t0 = Date.now();
    const { outcome, instance } = await this.serial(spec.name, async () => {
      const existing = loadService(this.registry, spec.name);
      const alive = existing?.identity ? isAlive(existing.identity) : false;
      if (existing && alive && isLive(existing.state) && existing.state !== 'stopping' && sameService(existing.spec, spec)) {
        return { outcome: 'already_running' as const, instance: this.runtime(spec.name).instance };
      }
      let outcome: RunResult['outcome'] = 'started';
      // a log berth must not write refuses the start before the running instance is stopped for it
      checkLogWritable(this.home, spec.name);
      if (existing && alive && isLive(existing.state)) {
        await this.stopInstance(existing, req, 10_000, 'replaced by a new spec');
        outcome = 'replaced';
      }
      const wasRetrying = existing?.state === 'backoff';
      this.cancelRestart(spec.name);
      const port = this.claimPort(spec, req);
      this.evictedFor.set(spec.name, []);
      try {
        const instance = await this.startInstance(spec, req.env, req.owner, port, req, existing, 0, req.timeoutMs);
        return { outcome, instance };
      } catch (err) {
        // A supervised service that was waiting to restart keeps being retried.
        if (wasRetrying && loadService(this.registry, spec.name)?.state === 'backoff') {
          this.scheduleRetry(spec.name, this.runtime(spec.name).instance, err instanceof ConflictError ? err.brief : String(err), err instanceof ConflictError);
        }
        this.evictedFor.delete(spec.name);
        throw err;
      }
    });
    // An instance that is already running but not ready yet is waited for too.
    const evicted = this.evictedFor.get(spec.name) ?? [];
    this.evictedFor.delete(spec.name);
    const readyMs = req.wait ? await this.waitReady(spec.name, instance, req.timeoutMs, t0) : null;
    return { outcome, service: this.view(loadService(this.registry, spec.name)!), readyMs, evicted };
  }

  async stop(req: StopRequest): Promise<ServiceView> {
    return this.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      this.cancelRestart(req.name);
      await this.stopInstance(record, req, req.graceMs, 'stopped by request');
      return this.view(loadService(this.registry, req.name)!);
    });
  }

  async restart(req: RestartRequest): Promise<RunResult> {
    const t0 = Date.now();
    const instance = await this.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      this.cancelRestart(req.name);
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
      this.cancelRestart(req.name);
      await this.stopInstance(record, req, req.graceMs, 'removed');
      const view = this.view(loadService(this.registry, req.name)!);
      this.registry.transaction(() => {
        deleteService(this.registry, req.name);
        if (findPortRecord(this.registry, req.name)) releasePort(this.registry, req, req.name);
        this.event(req, { verb: 'rm', subject: req.name, outcome: 'ok' });
      });
      this.runtimes.delete(req.name);
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
    if (port !== null) await this.waitPortFree(port);
  }

  private async waitPortFree(port: number): Promise<void> {
    const deadline = Date.now() + PORT_FREE_WAIT_MS;
    while (findListeners({ port }).listeners.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
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
    const marker = randomUUID();
    const tmp = ensureServiceTmp(this.home, name);
    const childEnv: Record<string, string> = {
      ...env,
      ...spec.env,
      BERTH_SERVICE: name,
      BERTH_HOME: this.home,
      // every process of this instance inherits it: the proof that berth may stop it later
      [INSTANCE_ENV]: marker,
      TMPDIR: tmp,
      ...(port !== null ? { PORT: String(port) } : {}),
    };
    const fd = openLog(this.home, name, `${restarts > 0 ? `restart ${restarts} of` : 'starting'} ${name}: ${spec.argv.join(' ')}`);
    let child: ChildProcess;
    try {
      // detached: its own session and process group, so it outlives the daemon and can be
      // stopped as a group. Its output goes straight to the log file.
      // $PORT in the arguments is the service's port, so that `-- server --port '$PORT'` works without a shell.
      const argv = spec.argv.map((a) => expandPort(a, port));
      child = spawn(argv[0]!, argv.slice(1), { cwd: spec.cwd, env: childEnv, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const now = Date.now();
    const base: ServiceRecord = {
      spec,
      state: previous?.state ?? 'stopped',
      identity: null,
      instance: null,
      port,
      owner,
      restarts,
      lastExit: previous?.lastExit ?? null,
      env,
      startedAt: null,
      healthySince: null,
      detail: null,
      createdAt: previous?.createdAt ?? now,
    };
    let pid: number;
    try {
      pid = await awaitSpawn(child, spec.argv.join(' '), spec.cwd);
    } catch (err) {
      const failure = err as CommandFailedToStartError;
      this.save({ ...base, state: 'failed', detail: failure.message });
      this.event(who, { verb: 'start', subject: name, outcome: 'failed', details: { command: spec.argv.join(' '), error: failure.details?.errno ?? 'no pid' } });
      throw err;
    }
    const identity = readIdentity(pid) ?? { pid, startTicks: 0, bootId: '' };
    const rt = this.runtime(name);
    rt.instance++;
    rt.child = child;
    const instance = rt.instance;
    this.save({ ...base, state: transition(base.state, 'starting'), identity, instance: marker, startedAt: now });
    this.event(who, {
      verb: restarts > 0 ? 'restart' : 'start',
      subject: name,
      outcome: 'ok',
      details: { pid, port, command: spec.argv.join(' '), ...(restarts > 0 ? { restarts } : {}) },
    });
    child.once('exit', (code, signal) => this.onExit(name, instance, code, signal));
    this.watch(name, instance);
    return instance;
  }

  // ---- watching ------------------------------------------------------------------------------

  /** Health checks (fast while starting), and for adopted processes a liveness poll by identity. */
  private watch(name: string, instance: number): void {
    const rt = this.runtime(name);
    if (rt.timer) clearTimeout(rt.timer);
    let lastCheck = 0;
    let failures = 0;
    let known: Identity | null = null;
    const tick = async (): Promise<void> => {
      if (this.closed || rt.instance !== instance) return;
      // An adopted process is polled often for liveness (cheap: one stat read of the identity
      // we hold), but a settled service is reloaded and health-checked only every HEALTH_INTERVAL_MS.
      if (known !== null && Date.now() - lastCheck < HEALTH_INTERVAL_MS) {
        if (rt.child === null && !isAlive(known)) {
          this.onExit(name, instance, null, null, 'exited (not a child of this daemon: status unknown)');
          return;
        }
        rt.timer = setTimeout(() => void tick(), ADOPTED_POLL_MS);
        return;
      }
      const record = loadService(this.registry, name);
      if (!record?.identity || !isLive(record.state) || record.state === 'stopping') return;
      if (rt.child === null && !isAlive(record.identity)) {
        this.onExit(name, instance, null, null, 'exited (not a child of this daemon: status unknown)');
        return;
      }
      lastCheck = Date.now();
      const checked = record.spec.health !== null || record.port !== null;
      // With nothing to check, "ready" means it stayed up past the settle time: a command that
      // dies at once is reported as a failed start, not as running.
      const ok = checked
        ? await checkHealth(record.spec.health, record.port, instanceOf(record)!, { ...record.env, ...record.spec.env })
        : Date.now() - (record.startedAt ?? 0) >= UNCHECKED_SETTLE_MS;
      if (rt.instance !== instance) return;
      const current = loadService(this.registry, name);
      if (!current || !isLive(current.state) || current.state === 'stopping') return;
      if (ok && current.state !== 'healthy' && current.state !== 'running') {
        this.update(name, { state: checked ? 'healthy' : 'running', healthySince: Date.now(), detail: null });
      } else if (ok && checked && current.state === 'running') {
        this.update(name, { state: 'healthy', healthySince: Date.now(), detail: null });
      } else if (!ok && (current.state === 'healthy' || current.state === 'running')) {
        this.update(name, { state: 'unhealthy', healthySince: null, detail: `health check failing: ${record.spec.health ?? `nothing of it listens on :${record.port}`}` });
      }
      failures = ok ? 0 : failures + 1;
      if (!ok && current.state === 'unhealthy' && failures >= UNHEALTHY_CHECKS_BEFORE_RESTART) {
        // Hung (SIGSTOPped, deadlocked): its process is alive but it does not answer. Stop the
        // tree; its exit then goes through the restart policy like any crash.
        const stopped = await stopInstanceTree(instanceOf(record)!, UNHEALTHY_GRACE_MS, OWN_TREE_GUARD);
        this.event(this.callerFor(record), { verb: 'kill', subject: name, outcome: 'ok', details: { reason: `health check failed ${failures} times in a row`, pid: record.identity.pid, pids: stopped.pids } });
        if (rt.child === null) this.onExit(name, instance, null, 'SIGKILL', `stopped after ${failures} failed health checks`);
        return;
      }
      const settled = current.state !== 'starting' || ok;
      known = settled ? record.identity : null;
      rt.timer = setTimeout(() => void tick(), rt.child === null ? ADOPTED_POLL_MS : settled ? HEALTH_INTERVAL_MS : READY_POLL_MS);
    };
    rt.timer = setTimeout(() => void tick(), 0);
  }

  private onExit(name: string, instance: number, code: number | null, signal: NodeJS.Signals | null, note?: string): void {
    const rt = this.runtime(name);
    if (rt.instance !== instance || this.closed) return;
    rt.child = null;
    if (rt.timer) clearTimeout(rt.timer);
    const record = loadService(this.registry, name);
    if (!record) return;
    const lastExit = { code, signal, at: new Date().toISOString() };
    removeServiceTmp(this.home, name);
    if (record.state === 'stopping' || record.state === 'stopped') {
      this.update(name, { lastExit });
      return;
    }
    // Cause-aware: if a stranger now holds its port or a declared lock, that is likely why.
    const blocker = findObstacles(record.port, record.spec.locks ?? [])[0];
    const blocked = blocker ? `; ${blocker.subject} ${blocker.kind === 'port' ? 'held' : 'locked'} by ${describeObstacleHolder(blocker)}` : '';
    const status = (note ?? (signal ? `killed by ${signal}` : `exit code ${code}`)) + blocked;
    this.event(this.callerFor(record), { verb: 'exit', subject: name, outcome: code === 0 ? 'ok' : 'failed', details: { pid: record.identity?.pid ?? null, code, signal, ...(note ? { note } : {}) } });
    const policy = record.spec.restart;
    const failed = code !== 0; // a signal or an unknown status counts as a failure
    if (policy === 'never' || (policy === 'on-failure' && !failed)) {
      this.update(name, { state: 'exited', lastExit, detail: status, healthySince: null });
      return;
    }
    if (record.healthySince !== null && Date.now() - record.healthySince >= BACKOFF_RESET_AFTER_MS) rt.attempt = 0;
    if (record.spec.maxRestarts !== null && record.restarts >= record.spec.maxRestarts) {
      this.update(name, { state: 'failed', lastExit, detail: `gave up after ${record.restarts} restarts (last: ${status})`, healthySince: null });
      this.event(this.callerFor(record), { verb: 'give-up', subject: name, outcome: 'failed', details: { restarts: record.restarts } });
      return;
    }
    this.update(name, { state: 'backoff', lastExit, healthySince: null });
    this.scheduleRetry(name, instance, status, blocker !== undefined);
  }

  /**
   * Schedules the next start of a service in backoff, after the backoff delay. When a stranger
   * blocks it (its port or a declared lock), berth also watches that obstacle and retries as
   * soon as it is gone: `berth free` (or the squatter leaving) brings the service straight back.
   */
  private scheduleRetry(name: string, instance: number, cause: string, blocked: boolean): void {
    const rt = this.runtime(name);
    if (rt.restartTimer) clearTimeout(rt.restartTimer);
    rt.attempt++;
    const delay = backoffDelay(rt.attempt);
    this.update(name, { detail: `${cause}; ${blocked ? 'retrying' : 'restarting'} in ${delay} ms (attempt ${rt.attempt})` });
    const due = Date.now() + delay;
    const fire = (): void => {
      rt.restartTimer = null;
      void this.serial(name, () => this.restartAfterCrash(name, instance)).catch(() => {});
    };
    const poll = (): void => {
      if (this.closed || rt.instance !== instance) return;
      const record = loadService(this.registry, name);
      if (!record || record.state !== 'backoff') return;
      if (Date.now() >= due || findObstacles(record.port, record.spec.locks ?? []).length === 0) fire();
      else rt.restartTimer = setTimeout(poll, OBSTACLE_POLL_MS);
    };
    rt.restartTimer = blocked ? setTimeout(poll, Math.min(delay, OBSTACLE_POLL_MS)) : setTimeout(fire, delay);
  }

  private async restartAfterCrash(name: string, instance: number): Promise<void> {
    const rt = this.runtime(name);
    const record = loadService(this.registry, name);
    if (!record || record.state !== 'backoff' || rt.instance !== instance || this.closed) return;
    const who = this.callerFor(record);
    try {
      await this.startInstance(record.spec, record.env, record.owner ?? this.self.owner, record.port, who, record, record.restarts + 1);
    } catch (err) {
      // Could not start (the port is held by a stranger, say): count it as a crash, with the
      // cause in the state, and try again later.
      if (loadService(this.registry, name)?.state !== 'backoff') return; // e.g. failed: the command is gone
      const cause = err instanceof ConflictError ? err.brief : err instanceof Error ? err.message : String(err);
      this.update(name, { restarts: record.restarts + 1 });
      this.event(who, { verb: 'restart', subject: name, outcome: 'failed', details: { cause } });
      this.scheduleRetry(name, instance, cause, err instanceof ConflictError);
    }
  }

  private async waitReady(name: string, instance: number, timeoutMs: number, t0: number): Promise<number> {
    const deadline = t0 + timeoutMs;
    for (;;) {
      const record = loadService(this.registry, name);
      const rt = this.runtime(name);
      if (!record) throw new ServiceNotFoundError(name);
      if (rt.instance !== instance || ['backoff', 'exited', 'failed'].includes(record.state)) {
        throw new ServiceExitedError(name, record.lastExit?.code ?? null, record.lastExit?.signal ?? null, tailLinesQuietly(logPath(this.home, name), LOG_TAIL_LINES));
      }
      if (record.state === 'healthy' || record.state === 'running') return Date.now() - t0;
      if (record.state === 'stopped' || record.state === 'stopping') throw new ServiceExitedError(name, null, null, []);
      if (Date.now() >= deadline) {
        const check = record.spec.health ?? (record.port !== null ? `a process of it to listen on :${record.port}` : 'it to run');
        throw new NotReadyError(name, timeoutMs, tailLinesQuietly(logPath(this.home, name), LOG_TAIL_LINES), check);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ---- stopping ------------------------------------------------------------------------------

  private async stopInstance(record: ServiceRecord, who: Requester, graceMs: number, reason: string): Promise<void> {
    const name = record.spec.name;
    const rt = this.runtime(name);
    if (rt.timer) clearTimeout(rt.timer);
    const instance = instanceOf(record);
    const alive = instance !== null && instanceTree(instance, undefined, { deep: true }).length > 0;
    if (!alive) {
      if (record.state !== 'stopped') this.update(name, { state: 'stopped', detail: reason, healthySince: null });
      removeServiceTmp(this.home, name);
      return;
    }
    this.update(name, { state: 'stopping', detail: reason });
    const outcome = await stopInstanceTree(instance!, graceMs, OWN_TREE_GUARD);
    if (record.port !== null) await this.waitPortFree(record.port);
    rt.instance++; // the old instance's exit callback must not restart it
    rt.child = null;
    removeServiceTmp(this.home, name);
    this.update(name, { state: 'stopped', detail: reason, healthySince: null });
    this.event(who, {
      verb: 'stop',
      subject: name,
      outcome: 'ok',
      details: { pid: record.identity!.pid, reason, pids: outcome.pids, forced: outcome.killed, ...(outcome.spared.length > 0 ? { spared: outcome.spared } : {}) },
    });
  }

  private cancelRestart(name: string): void {
    const rt = this.runtime(name);
    if (rt.restartTimer) clearTimeout(rt.restartTimer);
    rt.restartTimer = null;
    rt.attempt = 0;
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
      rt = { instance: 0, child: null, timer: null, restartTimer: null, attempt: 0 };
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  private mustLoad(name: string): ServiceRecord {
    const record = loadService(this.registry, name);
    if (!record) throw new ServiceNotFoundError(name);
    return record;
  }

  private save(record: ServiceRecord): void {
    saveService(this.registry, record);
  }

  private update(name: string, patch: Partial<Omit<ServiceRecord, 'spec'>> & { state?: ServiceState }): void {
    const record = loadService(this.registry, name);
    if (!record) return;
    const state = patch.state === undefined ? record.state : transition(record.state, patch.state);
    this.save({ ...record, ...patch, state });
  }

  private callerFor(record: ServiceRecord): Caller {
    return { actor: this.self.actor, owner: record.owner ?? this.self.owner };
  }

  private event(who: Requester, event: EventInput): void {
    recordEvent(this.registry, who, event);
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
