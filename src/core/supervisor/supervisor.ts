// The supervisor: the API the daemon serves (run, stop, restart, rm, list, status) over the
// shell (shell.ts), which carries out decide()'s effects through injected dependencies
// (deps.ts). What stays here is each request's orchestration: stop the old instance, claim the
// port, start, wait for readiness; each step is I/O whose errors go back to the caller. It runs
// inside the daemon; everything decided is saved in the registry, so a new daemon can carry on
// where a dead one stopped.
import { type Caller, detectOwner } from '../owner.ts';
import { assertOwnership, type OwnedAction, overrideDetails } from '../ownership.ts';
import { findPortRecord, leasePort, releasePort, reservePort } from '../ports/ports.ts';
import type { Registry } from '../registry/registry.ts';
import { DEFAULT_PORT_RANGE, type PortRange } from '../validate.ts';
import { closeSync } from 'node:fs';
import { NameTakenError } from '../adopt/errors.ts';
import { SignalRefusedError } from '../errors.ts';
import { sameIdentity } from '../identity.ts';
import { adoptedRecord, liveAgentOwner, readAdoptable } from './adopt.ts';
import type { AdoptRequest, AdoptResult, BeatRequest, BeatResult, DaemonStatus, Requester, RestartRequest, RunOutcome, RunRequest, RunResult, ServiceView, StopRequest, SupervisorApi, SupervisorChange } from './api.ts';
import { ConflictError } from './conflicts.ts';
import { decideRun } from './decide.ts';
import { type ProcessOps, resolveDeps, type ServiceStore, type SupervisorClock, type SupervisorDeps } from './deps.ts';
import { NotInServiceTreeError, PortMismatchError, ServiceNotFoundError } from './errors.ts';
import { checkLogWritable, DEFAULT_LOG_MAX_BYTES, logPath, openLog, rotateLog } from './logs.ts';
import { SupervisorShell } from './shell.ts';
import { runChanges, type ServiceSpec, type SpecField, validateSpec } from './spec.ts';
import { isLive } from './state.ts';
import type { ServiceRecord } from './store.ts';
import { OwnerWatch } from './owner-watch.ts';
import { Reaper } from './reap.ts';
import { toView } from './view.ts';
import { unmarkedLeaderRefusal } from './unmarked.ts';
import { mark } from '../profile.ts';

export type { SupervisorClock } from './deps.ts';

// Logs are written by the services directly; checking often bounds the overshoot past the cap
// to what a service writes in this time.
const LOG_CHECK_MS = 200;

export interface SupervisorOptions extends Partial<Omit<SupervisorDeps, 'clock'>> {
  home: string;
  registry: Registry;
  version: string;
  /** the daemon's NOTIFY_SOCKET address (src/daemon/notify-socket.ts), when it could open one */
  notifySocket?: string;
  /** drains that socket at once (notify-socket.ts flush) */
  flushNotify?: () => void;
  range?: PortRange;
  logMaxBytes?: number;
  clock?: SupervisorClock;
  /** how often the owner watch checks the sessions (default OWNER_POLL_MS) */
  ownerPollMs?: number;
}

export class Supervisor implements SupervisorApi {
  private readonly home: string;
  private readonly registry: Registry;
  private readonly version: string;
  private readonly range: PortRange;
  private readonly logMaxBytes: number;
  private readonly clock: SupervisorClock;
  private readonly store: ServiceStore;
  private readonly processes: ProcessOps;
  private readonly shell: SupervisorShell;
  private readonly startedAt: number;
  private readonly self: Caller;
  private logTimer: NodeJS.Timeout | null = null;
  private readonly ownerWatch: OwnerWatch;
  private readonly unwatch: () => void;

  constructor(opts: SupervisorOptions) {
    this.home = opts.home;
    this.registry = opts.registry;
    this.version = opts.version;
    this.range = opts.range ?? DEFAULT_PORT_RANGE;
    this.logMaxBytes = opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
    const deps = resolveDeps(opts.registry, opts);
    this.clock = deps.clock;
    this.store = deps.store;
    this.processes = deps.processes;
    this.startedAt = this.clock.now();
    this.self = { actor: `berthd (pid ${process.pid})`, owner: detectOwner() };
    this.shell = new SupervisorShell({ home: this.home, registry: this.registry, deps, self: this.self, ...(opts.notifySocket !== undefined ? { notifySocket: opts.notifySocket } : {}), ...(opts.flushNotify !== undefined ? { flushNotify: opts.flushNotify } : {}) });
    const reaper = new Reaper({ shell: this.shell, store: this.store, processes: this.processes, clock: this.clock, self: this.self });
    this.ownerWatch = new OwnerWatch({
      clock: this.clock,
      store: this.store,
      isAlive: (identity) => this.processes.isAlive(identity),
      reap: (records) => reaper.reap(records),
      ...(opts.ownerPollMs !== undefined ? { intervalMs: opts.ownerPollMs } : {}),
    });
    this.unwatch = this.shell.subscribe((change) => {
      if (change.kind === 'service') this.ownerWatch.invalidate();
    });
  }

  /** Calls listener at every change of a service record and every event recorded; returns the unsubscribe. */
  subscribe(listener: (change: SupervisorChange) => void): () => void {
    return this.shell.subscribe(listener);
  }

  // ---- lifecycle of the daemon ---------------------------------------------------------

  /**
   * Adopts every recorded service whose process is alive; brings back, by policy, those that
   * died meanwhile. Then the owner watch starts: its first check reaps at once what sessions
   * that ended while no daemon ran left behind.
   */
  async adoptAll(): Promise<void> {
    for (const record of this.store.loadAll()) {
      await this.shell.adopt(record);
      // an adopted process this daemon now runs below (a subreaper that started it) is on the
      // record as such: every stop of it is refused (unmarked.ts)
      const refusal = unmarkedLeaderRefusal(record);
      if (refusal !== undefined) this.shell.event(this.self, { verb: 'adopt', subject: record.spec.name, outcome: 'refused', details: { pid: refusal.pid, reason: 'ancestor_of_berth', why: refusal.why } });
    }
    this.logTimer = setInterval(() => this.rotateLogs(), LOG_CHECK_MS);
    this.logTimer.unref();
    await this.ownerWatch.start();
  }

  /** Stops watching (the daemon is going away); services keep running. */
  close(): void {
    if (this.logTimer) clearInterval(this.logTimer);
    this.ownerWatch.stop();
    this.unwatch();
    this.shell.close();
  }

  // ---- the API ---------------------------------------------------------------------------

  async run(req: RunRequest): Promise<RunResult> {
    const spec = validateSpec(req.spec);
    const t0 = this.clock.now();
    const shell = this.shell;
    mark('run-request');
    const { outcome, instance, changed } = await shell.serial(spec.name, async () => {
      mark('run-begin');
      const existing = this.store.load(spec.name);
      const alive = existing?.identity ? isLive(existing.state) && this.isAlive(existing) : false;
      const changed = existing !== undefined ? runChanges(existing.spec, spec) : [];
      const decision = decideRun(existing, alive, existing !== undefined && changed.length === 0);
      if (decision === 'already_running') return { outcome: 'already_running' as const, instance: shell.instanceOf(spec.name), changed };
      // a log berth must not write refuses the start before the running instance is stopped for it
      checkLogWritable(this.home, spec.name);
      if (decision === 'replace') {
        this.authorize(existing!, req, 'replace', `berth up --force, or berth run ${spec.name} --force with the command`);
        await shell.stopInstance(existing!, req, 10_000, 'replaced by a new spec');
      }
      const outcome: RunOutcome = decision === 'replace' ? replaceOutcome(existing!.spec, spec, changed) : 'started';
      const wasRetrying = existing?.state === 'backoff';
      if (existing) await shell.step(spec.name, { kind: 'start-requested' });
      const port = this.claimPort(spec, req);
      shell.beginEvictions(spec.name);
      try {
        const instance = await shell.startInstance(spec, req.env, req.owner, port, req, existing, 0, req.timeoutMs);
        return { outcome, instance, changed };
      } catch (err) {
        // A supervised service that was waiting to restart keeps being retried.
        if (wasRetrying) await shell.step(spec.name, shell.startFailed(err, false));
        shell.takeEvictions(spec.name);
        // a start berth refused (a stranger holds its port or lock) is on the record too, with who held it
        if (err instanceof ConflictError) shell.event(req, { verb: 'start', subject: spec.name, outcome: 'refused', details: { cause: err.brief, ...err.details } });
        throw err;
      }
    });
    // An instance that is already running but not ready yet is waited for too.
    mark('run-spawned');
    const readyMs = req.wait ? await this.waitReady(spec.name, instance, req.timeoutMs, t0, req) : null;
    mark('run-ready');
    const evicted = shell.takeEvictions(spec.name);
    return { outcome, service: this.view(this.store.load(spec.name)!), readyMs, evicted, ...(outcome === 'started' || outcome === 'already_running' ? {} : { changed }) };
  }

  async stop(req: StopRequest): Promise<ServiceView> {
    return this.shell.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      // a service that is not running is not taken from anyone by stopping it
      if (isLive(record.state) || record.state === 'backoff') this.authorize(record, req, 'stop', `berth stop ${req.name} --force`);
      await this.shell.stopInstance(record, req, req.graceMs, 'stopped by request');
      return this.view(this.store.load(req.name)!);
    });
  }

  async restart(req: RestartRequest): Promise<RunResult> {
    const t0 = this.clock.now();
    const instance = await this.shell.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      this.authorize(record, req, 'restart', `berth restart ${req.name} --force`);
      checkLogWritable(this.home, req.name);
      // restart keeps the owner; --take makes the requester the owner, on the record
      const owner = req.take === true || record.owner === null ? req.owner : record.owner;
      if (req.take === true && record.owner !== null && record.owner.session !== req.owner.session) {
        this.shell.event(req, { verb: 'take', subject: req.name, outcome: 'ok', details: { from: record.owner.session, to: req.owner.session } });
      }
      await this.shell.stopInstance(record, req, req.graceMs, 'restart requested');
      const port = this.claimPort(record.spec, req);
      return this.shell.startInstance(record.spec, record.env, owner, port, req, this.store.load(req.name), 0, req.timeoutMs);
    });
    const readyMs = req.wait ? await this.waitReady(req.name, instance, req.timeoutMs, t0, req) : null;
    return { outcome: 'started', service: this.view(this.store.load(req.name)!), readyMs };
  }

  async remove(req: StopRequest): Promise<ServiceView> {
    return this.shell.serial(req.name, async () => {
      const record = this.mustLoad(req.name);
      this.authorize(record, req, 'rm', `berth rm ${req.name} --force`);
      let notStopped: SignalRefusedError | undefined;
      try {
        await this.shell.stopInstance(record, req, req.graceMs, 'removed');
      } catch (err) {
        // an adopted process berth must not stop is forgotten, left running (the stop refusal is on the record)
        if (!(err instanceof SignalRefusedError && record.instance === null)) throw err;
        notStopped = err;
      }
      const view = this.view(this.store.load(req.name)!);
      this.registry.transaction(() => {
        this.store.delete(req.name);
        if (findPortRecord(this.registry, req.name)) releasePort(this.registry, req, req.name);
        this.shell.event(req, { verb: 'rm', subject: req.name, outcome: 'ok', ...(notStopped ? { details: { notStopped: notStopped.pid, why: notStopped.why } } : {}) });
      });
      this.shell.forget(req.name);
      this.shell.announce(req.name);
      return view;
    });
  }

  /**
   * Puts a running process berth did not start under a name: checked and read here (adopt.ts),
   * its port reserved for the name, recorded as running and watched like an adopted record
   * (liveness by identity, checks, restart policy). The same process under the same name again
   * is `already_adopted`; any other use of a taken name is refused.
   */
  async adopt(req: AdoptRequest): Promise<AdoptResult> {
    return this.shell.serial(req.name, async () => {
      const existing = this.store.load(req.name);
      if (existing) {
        const same = existing.identity !== null && sameIdentity(existing.identity, req.identity) && isLive(existing.state) && this.isAlive(existing);
        if (same) return { outcome: 'already_adopted' as const, service: this.view(existing), source: req.source };
        throw new NameTakenError(req.name, isLive(existing.state) && this.isAlive(existing) ? existing.identity!.pid : null);
      }
      const found = readAdoptable(req.identity, { home: this.home, protect: req.protect ?? [], services: this.store.loadAll(), port: req.source.port });
      const spec = validateSpec({
        name: req.name,
        argv: found.argv,
        cwd: found.cwd,
        env: {},
        port: found.port === null ? { kind: 'none' } : { kind: 'fixed', port: found.port },
        health: req.health,
        restart: req.restart,
        maxRestarts: null,
        purpose: req.purpose,
        ephemeral: false,
        onConflict: 'refuse',
        locks: [],
      });
      checkLogWritable(this.home, req.name);
      // a process a live agent session runs stays that session's (decision 0019): adopting names
      // it, it does not take it; the adopter then stops it only with --force, on the record
      const runsFor = liveAgentOwner(req.identity.pid);
      const owner = runsFor !== undefined && runsFor.session !== req.owner.session ? runsFor : req.owner;
      const record = adoptedRecord(spec, req.identity, found, owner, this.clock.now());
      // a port another name holds refuses the adoption (port_taken) before anything is recorded
      this.claimPort(spec, req);
      this.store.save(record, this.clock.now());
      // its output so far went elsewhere; what berth starts from now on is written after this line
      closeSync(openLog(this.home, req.name, `adopted pid ${req.identity.pid} (${found.argv.join(' ')}): berth did not have its output before; a restart by berth writes it here`));
      const command = found.argv.join(' ');
      await this.shell.watchAdopted(req.name, req, { command, source: req.source.kind, port: found.port, ...(req.source.pidfile !== null ? { pidfile: req.source.pidfile } : {}), ...(owner !== req.owner ? { ownedBy: owner.session } : {}) });
      return { outcome: 'adopted' as const, service: this.view(this.store.load(req.name)!), source: req.source };
    });
  }

  async list(): Promise<ServiceView[]> {
    return this.store.loadAll().map((r) => this.view(r));
  }

  /**
   * One drain of the NOTIFY_SOCKET: each pid is the sender's, from its kernel credentials; the
   * process table is read once for the whole batch. Returns the service each was for, or null
   * (ignored: no service's tree holds the sender).
   */
  notifyBatch(batch: { pid: number; text: string }[]): Promise<(string | null)[]> {
    return this.shell.notifyBatch(batch);
  }

  /**
   * `berth beat` over the API socket: the caller's pid must be in the named service's tree.
   * (The API socket is the user's own, 0600; the pid is the caller's word, checked against the
   * tree, where the NOTIFY_SOCKET's is the kernel's: decision 0024.)
   */
  async beat(req: BeatRequest): Promise<BeatResult> {
    const record = this.mustLoad(req.name);
    const name = await this.shell.notify(req.pid, req.message, record.spec.name);
    if (name === null) throw new NotInServiceTreeError(req.name, req.pid);
    return { service: name, accepted: true };
  }

  async status(): Promise<DaemonStatus> {
    return {
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      home: this.home,
      version: this.version,
      ...countServices(this.store.loadAll()),
      rssBytes: process.memoryUsage.rss(),
    };
  }

  // ---- helpers -------------------------------------------------------------------------------

  /**
   * Waits for readiness; a service listening elsewhere than on its port (port-mismatch.ts) is
   * stopped and the error returned at once, or, with --port-from-listener, given the port it
   * listens on (its lease becomes a reservation of that port) and waited for on it.
   */
  private async waitReady(name: string, instance: number, timeoutMs: number, t0: number, req: Requester): Promise<number> {
    for (;;) {
      try {
        return await this.shell.waitReady(name, instance, timeoutMs, t0);
      } catch (err) {
        if (!(err instanceof PortMismatchError)) throw err;
        // followed only when the tree listens on exactly one port, and has for the longer grace
        // (ready.ts): a sidecar's port opened before the server's own is never taken for it
        const { listening } = err.mismatch;
        const follow = this.store.load(name)?.spec.portFromListener === true && listening.length === 1;
        if (follow && (await this.followListener(name, instance, listening[0]!, req))) continue;
        await this.shell.serial(name, async () => {
          const record = this.store.load(name);
          if (record && this.shell.instanceOf(name) === instance) await this.shell.stopInstance(record, req, 5_000, `port mismatch: ${err.message}`);
        });
        throw err;
      }
    }
  }

  /** --port-from-listener: the port the instance really listens on becomes its port (reserved, shown by ps and who). */
  private followListener(name: string, instance: number, port: number, req: Requester): Promise<boolean> {
    return this.shell.serial(name, async () => {
      const record = this.store.load(name);
      if (!record || record.state !== 'starting' || this.shell.instanceOf(name) !== instance || record.port === null) return false;
      // throws PortTakenError if another name holds it: then the mismatch is reported instead
      try {
        reservePort(this.registry, req, name, port);
      } catch {
        return false;
      }
      this.store.save({ ...record, port }, this.clock.now());
      this.shell.event(req, { verb: 'port-follow', subject: name, outcome: 'ok', details: { from: record.port, to: port } });
      this.shell.announce(name);
      return true;
    });
  }

  /** Leases or reserves the service's port (sticky per name). */
  private claimPort(spec: ServiceSpec, who: Requester): number | null {
    const existing = findPortRecord(this.registry, spec.name);
    if (spec.port.kind === 'none') return null;
    if (spec.port.kind === 'fixed') return reservePort(this.registry, who, spec.name, spec.port.port).port;
    if (existing?.kind === 'reservation') releasePort(this.registry, who, spec.name);
    return leasePort(this.registry, who, spec.name, { range: who.portRange ?? this.range }).port;
  }

  /**
   * The ownership rule for one request on one service (throws OwnedElsewhereError): checked
   * here, in the daemon, inside the service's serial queue, so the owner it sees is the one
   * the action changes. An override is recorded with both sessions.
   */
  private authorize(record: ServiceRecord, req: Requester & { force?: boolean }, action: OwnedAction, forceHint: string): void {
    const service = { name: record.spec.name, owner: record.owner, startedAt: isLive(record.state) ? record.startedAt : null };
    const forcedOver = assertOwnership(service, req.owner, { force: req.force === true }, { action, command: forceHint }, this.clock.now());
    if (forcedOver) this.shell.event(req, { verb: 'override', subject: record.spec.name, outcome: 'ok', details: overrideDetails(action, forcedOver, req.owner) });
  }

  private isAlive(record: ServiceRecord): boolean {
    return record.identity !== null && this.processes.isAlive(record.identity);
  }

  private mustLoad(name: string): ServiceRecord {
    const record = this.store.load(name);
    if (!record) throw new ServiceNotFoundError(name);
    return record;
  }

  private rotateLogs(): void {
    // the services this daemon knows (started or adopted), without a registry read every tick
    for (const name of this.shell.names()) {
      try {
        rotateLog(logPath(this.home, name), this.logMaxBytes);
      } catch {
        // a log we cannot rotate now is tried again at the next check
      }
    }
  }

  private view(record: ServiceRecord): ServiceView {
    return toView(record, this.home, this.shell.notifyState(record.spec.name));
  }
}

/**
 * A live instance stopped for a new spec: `recreated` when the same berth.yaml declared both
 * (an edit applied by `berth up`, compose's "Recreating"), else `replaced` (another spec took
 * the name, e.g. `berth run` with another command).
 */
function replaceOutcome(recorded: ServiceSpec, spec: ServiceSpec, changed: SpecField[]): 'recreated' | 'replaced' {
  return changed.length > 0 && recorded.configFile !== undefined && recorded.configFile === spec.configFile ? 'recreated' : 'replaced';
}

/** The daemon status's counts: every record (`services`, as it always was) and the live ones. */
function countServices(records: readonly ServiceRecord[]): { services: number; servicesRunning: number } {
  return { services: records.length, servicesRunning: records.filter((r) => isLive(r.state)).length };
}
