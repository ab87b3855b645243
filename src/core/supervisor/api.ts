// The supervisor's interface. The daemon implements it in process; the client implements the
// same interface over the daemon's socket. The CLI (and later MCP and the dashboard) depend on
// this interface only.
import type { Eviction } from '../evict.ts';
import type { Identity } from '../identity.ts';
import type { OrphanTarget } from '../orphans-gc.ts';
import type { Owner } from '../owner.ts';
import type { PortRange } from '../validate.ts';
import type { ServiceSpec, SpecField } from './spec.ts';
import type { ServiceState } from './state.ts';
import type { Lifetime } from './lifetime.ts';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: string;
}

export interface ServiceView {
  /** the service's own name, without its project ("web") */
  name: string;
  /** its project ("shop"); null only for a record older than projects */
  project: string | null;
  /** what every verb takes to name it unambiguously: "shop/web" */
  fullName: string;
  state: ServiceState;
  pid: number | null;
  identity: Identity | null;
  port: number | null;
  /** the health check as given, or "port" (a listener in the service's tree), or null */
  health: string | null;
  owner: Owner | null;
  ownerGone: boolean;
  purpose: string | null;
  command: string;
  argv: string[];
  cwd: string;
  restartPolicy: ServiceSpec['restart'];
  /** a process of it must send WATCHDOG=1 at least this often, or it is hung (--watchdog); null: no watchdog */
  watchdogMs: number | null;
  /** true when it ends with its owner session (lifetime "session") */
  ephemeral: boolean;
  /** what happens when its owner session ends: `session`, berth stops it (a BERTH_SESSION never ends); `keep`, it runs on */
  lifetime: Lifetime;
  onConflict: ServiceSpec['onConflict'];
  /** the berth.yaml (or Procfile) `berth up` started it from, or null (`berth run`) */
  configFile: string | null;
  /** `ps`: how its berth.yaml entry differs from what runs ("config changed: berth up applies it"); absent when it does not */
  configChanged?: SpecField[];
  startedAt: string | null;
  uptimeMs: number | null;
  restarts: number;
  lastExit: ExitInfo | null;
  /** why it is in its state: the backoff delay, the cause of a crash, a failing health check */
  detail: string | null;
  /** the last STATUS= the running instance sent (sd_notify or `berth beat --status`): one line, at most 200 characters */
  status: string | null;
  /** the last MAINPID= it sent (shown only: which processes berth stops is proven by the instance marker) */
  mainPid: number | null;
  logPath: string;
}

export interface Requester {
  actor: string;
  owner: Owner;
  /** pids berth must never evict for this request: the requester and its ancestors */
  protect?: number[];
  /**
   * the port range of the requester's settings (BERTH_PORT_RANGE where it runs): a lease made
   * for this request comes from it, so `berth port X` and `run --port auto` agree. Absent: the
   * daemon's own. See docs/decisions/0012-settings.md.
   */
  portRange?: PortRange;
}

/** `berth free` through the daemon. */
export interface FreeRequest extends Requester {
  target: { kind: 'port'; port: number } | { kind: 'path'; path: string };
  force: boolean;
  graceMs: number;
}

/** `berth gc` through the daemon. */
export interface GcRequest extends Requester {
  dryRun: boolean;
}

/** `berth gc --orphans` through the daemon: the collectable orphans (only these targets, when given). */
export interface GcOrphansRequest extends Requester {
  dryRun: boolean;
  targets?: OrphanTarget[];
  graceMs: number;
}

/**
 * Acting on another live session's service (the ownership rule, src/core/ownership.ts): refused
 * unless force, and then the override is recorded. Checked in the daemon, the single writer.
 */
export interface Override {
  force?: boolean;
}

export interface RunRequest extends Requester, Override {
  spec: ServiceSpec;
  /** the caller's environment, the base the service's own variables go on top of */
  env: Record<string, string>;
  wait: boolean;
  timeoutMs: number;
}

export type RunOutcome = 'started' | 'already_running' | 'replaced' | 'recreated';

export interface RunResult {
  outcome: RunOutcome;
  service: ServiceView;
  /** how long it took to become ready, when berth waited */
  readyMs: number | null;
  /** the strangers berth evicted for this start (on_conflict: evict), when it ran one */
  evicted?: Eviction[];
  /** replaced or recreated: the fields of the spec that changed (none when a stopping instance was replaced by the same spec) */
  changed?: SpecField[];
}

export interface StopRequest extends Requester, Override {
  name: string;
  graceMs: number;
}

export interface RestartRequest extends Requester, Override {
  name: string;
  /** the restarted service becomes the requester's (else it keeps its owner) */
  take?: boolean;
  graceMs: number;
  wait: boolean;
  timeoutMs: number;
}

/**
 * `berth adopt`: a running process berth did not start, resolved by the caller (by pid, port or
 * pidfile) to an identity the daemon checks again before it records it under the name.
 */
export interface AdoptRequest extends Requester {
  name: string;
  identity: Identity;
  source: AdoptSourceFacts;
  restart: ServiceSpec['restart'];
  health: string | null;
  purpose: string | null;
}

/** How the adopted process was found: the adopt event and document say so. */
export interface AdoptSourceFacts {
  kind: 'pid' | 'port' | 'pidfile';
  /** the port it was found by (kind port) */
  port: number | null;
  /** the pidfile it was found by (kind pidfile), absolute */
  pidfile: string | null;
}

export interface AdoptResult {
  /** adopted now, or already this service (the same process under the same name) */
  outcome: 'adopted' | 'already_adopted';
  service: ServiceView;
  source: AdoptSourceFacts;
}

/** `berth beat`: a notification over the API socket from a process of the service's tree. */
export interface BeatRequest {
  /** the service (BERTH_SERVICE where the caller runs) */
  name: string;
  /** the caller's pid: it must be in the service's instance tree */
  pid: number;
  /** sd_notify text: READY=1, WATCHDOG=1, STATUS=… lines */
  message: string;
}

export interface BeatResult {
  service: string;
  accepted: boolean;
}

export interface DaemonStatus {
  pid: number;
  startedAt: string;
  home: string;
  version: string;
  /** every recorded service, stopped ones too (the field's meaning since the first release) */
  services: number;
  /** the recorded services whose process is (supposed to be) alive */
  servicesRunning: number;
  rssBytes: number;
}

/** What changed in the daemon: a service's record, or the audit log. */
export type SupervisorChange = { kind: 'service'; name: string } | { kind: 'event' };

export interface SupervisorApi {
  run(req: RunRequest): Promise<RunResult>;
  stop(req: StopRequest): Promise<ServiceView>;
  restart(req: RestartRequest): Promise<RunResult>;
  remove(req: StopRequest): Promise<ServiceView>;
  /** puts a running process berth did not start under a name (docs/decisions/0019-adopt.md) */
  adopt(req: AdoptRequest): Promise<AdoptResult>;
  list(): Promise<ServiceView[]>;
  status(): Promise<DaemonStatus>;
  beat(req: BeatRequest): Promise<BeatResult>;
  /** In the daemon: calls listener at every change (streams are notified instead of polling). */
  subscribe?(listener: (change: SupervisorChange) => void): () => void;
}
