// What a service is: the spec a user gives to `berth run` (or berth.yaml). For `berth run`, two
// specs are the same service when command, cwd, env, port, health and locks agree; a spec from
// berth.yaml that differs in any field (restart, purpose, on_conflict too) replaces the running
// instance, so an edited berth.yaml takes effect at the next `berth up`
// (docs/decisions/0015-config-drift.md).
import { UsageError } from '../errors.ts';
import { parseServiceName } from '../project.ts';

export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type OnConflict = 'refuse' | 'evict' | 'wait';
export type PortRequest = { kind: 'none' } | { kind: 'auto' } | { kind: 'fixed'; port: number };

export interface ServiceSpec {
  /** the full name, project/service (decision 0016): the key of its record, lease, log and tmp dir */
  name: string;
  argv: string[];
  cwd: string;
  /** variables the user set for this service (--env), on top of the caller's environment */
  env: Record<string, string>;
  port: PortRequest;
  health: string | null;
  restart: RestartPolicy;
  maxRestarts: number | null;
  purpose: string | null;
  ephemeral: boolean;
  /** what to do when a stranger holds the port or a declared lock file */
  onConflict: OnConflict;
  /** files the service must be the only writer of (absolute paths); see exclusiveLocks */
  locks: string[];
  /** when it listens on another port than its own: take that port as its port (else: a port_mismatch error) */
  portFromListener?: boolean;
  /** those of `locks` declared `mode: exclusive` (DuckDB): a reader is in the way too; absent when none */
  exclusiveLocks?: string[];
  /** `slots: {gpu: 1}`: semaphore name → its number of slots; the service holds one of each while it lives (service-slots.ts) */
  slots?: Record<string, number>;
  /** sd_notify watchdog (`watchdog: 30s`): no WATCHDOG=1 within this many ms and the service is hung */
  watchdogMs?: number;
  /** the berth.yaml (or Procfile) that declared it, when `berth up` started it: not part of what it is */
  configFile?: string;
}

/** What ps and doctor say beside a running service whose berth.yaml entry differs from what runs. */
export const DRIFT_HINT = 'config changed: berth up applies it';

/** A spec field a user sets, by the name berth.yaml gives it (`run` is the command). */
export type SpecField = 'run' | 'cwd' | 'env' | 'port' | 'health' | 'restart' | 'max_restarts' | 'purpose' | 'keep' | 'on_conflict' | 'locks' | 'port_from_listener' | 'watchdog' | 'slots';

/** `health: notify`: ready when a process of the instance sends READY=1 (notify.ts). */
export const NOTIFY_HEALTH = 'notify';

const FIELDS: ReadonlyArray<[SpecField, (s: ServiceSpec) => unknown]> = [
  ['run', (s) => s.argv],
  ['cwd', (s) => s.cwd],
  ['env', (s) => s.env],
  ['port', (s) => s.port],
  ['health', (s) => s.health],
  ['restart', (s) => s.restart],
  ['max_restarts', (s) => s.maxRestarts ?? null],
  ['purpose', (s) => s.purpose ?? null],
  ['keep', (s) => s.ephemeral !== true],
  ['on_conflict', (s) => s.onConflict ?? 'refuse'],
  ['locks', (s) => declaredLocks(s)],
  ['port_from_listener', (s) => s.portFromListener === true],
  ['watchdog', (s) => s.watchdogMs ?? null],
  ['slots', (s) => s.slots ?? {}],
];

/** Every SpecField, in berth.yaml's order: what a stored drift judgement may name. */
export const SPEC_FIELDS: readonly SpecField[] = FIELDS.map(([field]) => field);

/**
 * How a declared lock file is contended (decision 0023): `writer` (the default) by a process
 * that writes it (SQLite's write lock, any write lock, or, on a file nobody locks, an open for
 * writing); `exclusive` (DuckDB, which allows one process at all) by anyone holding it.
 */
export type LockMode = 'writer' | 'exclusive';

export interface DeclaredLock {
  path: string;
  mode: LockMode;
}

/** The spec's lock files with their modes. */
export function declaredLocks(spec: Pick<ServiceSpec, 'locks' | 'exclusiveLocks'>): DeclaredLock[] {
  const exclusive = new Set(spec.exclusiveLocks ?? []);
  return (spec.locks ?? []).map((path) => ({ path, mode: exclusive.has(path) ? 'exclusive' : 'writer' }));
}

/** The spec fields for these lock files: `locks`, and `exclusiveLocks` only when one is exclusive. */
export function lockFields(locks: DeclaredLock[]): Pick<ServiceSpec, 'locks' | 'exclusiveLocks'> {
  const exclusive = locks.filter((l) => l.mode === 'exclusive').map((l) => l.path);
  return { locks: locks.map((l) => l.path), ...(exclusive.length > 0 ? { exclusiveLocks: exclusive } : {}) };
}

/**
 * `--lock PATH`, `--lock PATH:exclusive` or `--lock PATH:writer` (the default, spelled out for
 * a path that itself ends in ":exclusive").
 */
export function parseLockArg(text: string): DeclaredLock {
  for (const mode of ['exclusive', 'writer'] as const) {
    const suffix = `:${mode}`;
    if (text.endsWith(suffix) && text.length > suffix.length) return { path: text.slice(0, -suffix.length), mode };
  }
  if (text === '') throw new UsageError('empty --lock path', 'give a file: --lock data/app.db, or --lock data/app.duckdb:exclusive', 'invalid_lock');
  return { path: text, mode: 'writer' };
}

/** The largest max_restarts berth takes (beyond it, say nothing: never give up). */
export const MAX_RESTARTS_LIMIT = 1_000_000;

export function parseOnConflict(text: string): OnConflict {
  if (text === 'refuse' || text === 'evict' || text === 'wait') return text;
  throw new UsageError(`invalid --on-conflict ${JSON.stringify(text)}`, 'use refuse, evict or wait', 'invalid_on_conflict');
}

/** What makes a service started by `berth run` another one: repeating `run` with fewer flags (no --purpose) keeps it running. */
const RUN_FIELDS: ReadonlySet<SpecField> = new Set(['run', 'cwd', 'env', 'port', 'health', 'locks', 'watchdog', 'slots']);

/** The fields in which two specs of one service differ, in berth.yaml's words; `fields` limits the comparison. */
export function specChanges(recorded: ServiceSpec, declared: ServiceSpec, fields?: ReadonlySet<SpecField>): SpecField[] {
  return FIELDS.filter(([field, get]) => (fields === undefined || fields.has(field)) && !process.getBuiltinModule('node:util').isDeepStrictEqual(get(recorded), get(declared))).map(([field]) => field);
}

/**
 * What differs between a running instance and a new spec for it: every field a user sets when
 * the new spec comes from a berth.yaml (an edit there is applied by `berth up`), the command,
 * cwd, env, port, health and locks when it comes from `berth run`.
 */
export function runChanges(recorded: ServiceSpec, spec: ServiceSpec): SpecField[] {
  return specChanges(recorded, spec, spec.configFile === undefined ? RUN_FIELDS : undefined);
}

/** Whether `berth run` finds this spec already running (command, cwd, env, port, health, locks agree). */
export function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  return specChanges(a, b, RUN_FIELDS).length === 0;
}

export function parseRestart(text: string): RestartPolicy {
  if (text === 'always' || text === 'on-failure' || text === 'never') return text;
  throw new UsageError(`invalid restart policy ${JSON.stringify(text)}`, 'use always, on-failure or never', 'invalid_restart');
}

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pair.slice(0, eq))) {
      throw new UsageError(`invalid --env ${JSON.stringify(pair)}`, 'write it as NAME=VALUE', 'invalid_env');
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export function validateSpec(spec: ServiceSpec): ServiceSpec {
  parseServiceName(spec.name);
  if (spec.argv.length === 0 || spec.argv[0] === '') throw new UsageError('no command given', 'berth run NAME -- CMD [ARGS…]', 'empty_command');
  if (spec.health !== null) checkHealthSpec(spec.health, spec.port.kind !== 'none');
  return spec;
}

const HEALTH_HINT = 'use http://HOST:PORT/PATH, tcp:PORT, cmd:COMMAND or notify ($PORT stands for the service\'s port)';

/**
 * Refuses a health check that could never pass or could not be run: an unknown scheme, an http
 * URL that does not parse, a tcp: target that is not [HOST:]PORT, or $PORT in a service without a port.
 */
export function checkHealthSpec(health: string, hasPort: boolean): void {
  const bad = (why: string): never => {
    throw new UsageError(`invalid health check ${JSON.stringify(health)}: ${why}`, HEALTH_HINT, 'invalid_health');
  };
  if (health === NOTIFY_HEALTH) return;
  if (!/^(https?:\/\/|tcp:|cmd:)/.test(health)) bad('an unknown kind of check');
  if (health.startsWith('cmd:')) return;
  if (/\$\{?PORT\b/.test(health) && !hasPort) bad('it uses $PORT but the service has no port (add --port auto, or a number)');
  const expanded = health.replaceAll('${PORT}', '1').replaceAll('$PORT', '1');
  if (expanded.startsWith('tcp:')) {
    const target = expanded.slice(4);
    const port = target.slice(target.lastIndexOf(':') + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) bad('tcp: takes [HOST:]PORT');
    return;
  }
  if (!URL.canParse(expanded)) bad('not a URL');
}
