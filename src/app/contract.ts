// The JSON contract: the shape of every verb's --json document (and of every MCP tool's
// structured content), as zod schemas. docs/json.md describes the same; the tests check real
// output against these, strictly, so a renamed or undocumented field fails the build.
import { z } from 'zod';
import { ERROR_CODES } from '../core/errors.ts';

const iso = z.string().datetime({ offset: true });
const nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const identity = z.strictObject({ pid: z.number().int(), startTicks: z.number().int(), bootId: z.string() });
export const owner = z.strictObject({
  session: z.string(),
  source: z.enum(['env', 'agent', 'terminal', 'unknown']),
  agent: z.string().optional(),
  process: identity.optional(),
  user: z.string(),
});
export const gitInfo = nullable(
  z.strictObject({
    worktree: z.string().describe('the top of the git worktree its cwd is in (where .git is)'),
    branch: nullable(z.string()).describe('the checked-out branch; the short commit id when detached; null when HEAD is unreadable'),
    detached: z.boolean().describe('HEAD names a commit, not a branch'),
  }),
).describe('the git worktree and branch of its cwd, read from .git and HEAD (git is not run); null outside a worktree');
export const processInfo = z.strictObject({
  pid: z.number().int(),
  ppid: z.number().int(),
  pgid: z.number().int(),
  uid: z.number().int(),
  user: z.string(),
  argv: z.array(z.string()),
  command: z.string(),
  cwd: nullable(z.string()),
  startedAt: iso,
  identity,
  unit: nullable(z.strictObject({ name: z.string(), manager: z.enum(['system', 'user', 'launchd']) })).describe('the systemd service it runs in (from its cgroup), or on macOS the launchd job (its label, manager launchd); null for none, a scope, or no service manager'),
  git: gitInfo,
});
export const listener = z.strictObject({
  protocol: z.enum(['tcp', 'udp']),
  family: z.enum(['ipv4', 'ipv6']),
  address: z.string(),
  port: z.number().int(),
  uid: z.number().int(),
  inode: z.number().int(),
  user: z.string(),
  processes: z.array(processInfo),
});
const portRecordShape = {
  port: z.number().int(),
  name: z.string(),
  kind: z.enum(['lease', 'reservation']),
  owner: nullable(owner),
  holder: nullable(identity),
  createdAt: iso,
  renewedAt: iso,
  expiresAt: nullable(iso),
};
export const portRecord = z.strictObject(portRecordShape);
export const claim = z.strictObject({ ...portRecordShape, status: z.enum(['ok', 'conflict', 'idle', 'lapsed']), strangers: z.array(z.number().int()) });
const known = z.record(z.string(), z.array(z.strictObject({ kind: z.enum(['lock', 'lease', 'reservation', 'service']), name: z.string(), declared: z.boolean().optional() })));
const fileLockShape = {
  id: z.number().int(),
  kind: z.enum(['POSIX', 'FLOCK', 'OFD', 'LEASE', 'DELEG', 'UNKNOWN']),
  mandatory: z.boolean(),
  access: z.enum(['read', 'write']),
  pid: z.number().int(),
  major: z.number().int(),
  minor: z.number().int(),
  inode: z.number().int(),
  start: z.number(),
  end: nullable(z.number()),
  waiting: z.boolean(),
  description: z.string(),
};
const companion = z.enum(['-wal', '-shm', '-journal']);
export const heldLock = z.strictObject({ ...fileLockShape, companion: companion.optional().describe('the companion file the lock is on (app.db-shm for app.db)') });
const fileReportShape = {
  path: z.string(),
  device: z.string(),
  inode: z.number().int(),
  holders: z.array(
    z.strictObject({
      process: processInfo,
      fds: z.array(z.strictObject({ fd: z.number().int(), mode: z.enum(['read', 'write', 'read-write']), companion: companion.optional() })),
      locks: z.array(heldLock),
      role: z.enum(['writer', 'checkpointer', 'reader', 'open']).describe('what it is to the file: for a SQLite database read from its lock bytes, companions included'),
    }),
  ),
  locks: z.array(heldLock),
};
export const lockHolder = z.strictObject({ name: z.string(), pid: z.number().int(), command: z.string(), identity: nullable(identity), owner: nullable(owner), acquiredAt: nullable(iso) });
const slotHolder = z.strictObject({ ...lockHolder.shape, slot: z.number().int().min(1) });
const bucket = z.strictObject({ name: z.string(), limit: z.string(), burst: z.number().int(), tokensLeft: z.number().int(), waiting: z.number().int(), fullAt: iso });
const takeShape = { name: z.string(), limit: z.string(), burst: z.number().int(), waitedMs: z.number().int(), tokensLeft: z.number().int(), at: iso };
export const event = z.strictObject({
  id: z.number().int(),
  at: iso,
  actor: z.string(),
  owner: nullable(owner),
  verb: z.string(),
  subject: z.string(),
  outcome: z.enum(['ok', 'refused', 'failed', 'reclaimed']),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const exitInfo = z.strictObject({ code: nullable(z.number().int()), signal: nullable(z.string()), at: iso });
const specField = z.enum(['run', 'cwd', 'env', 'port', 'health', 'restart', 'max_restarts', 'purpose', 'keep', 'on_conflict', 'locks', 'port_from_listener']);
export const service = z.strictObject({
  name: z.string().describe('the service name within its project: web'),
  project: nullable(z.string()).describe('its project: shop (null only for a record older than projects)'),
  fullName: z.string().describe('project/service: what every verb takes to name it unambiguously'),
  state: z.enum(['starting', 'running', 'healthy', 'unhealthy', 'backoff', 'stopping', 'stopped', 'exited', 'failed']),
  pid: nullable(z.number().int()),
  identity: nullable(identity),
  port: nullable(z.number().int()),
  health: nullable(z.string()),
  owner: nullable(owner),
  ownerGone: z.boolean(),
  purpose: nullable(z.string()),
  command: z.string(),
  argv: z.array(z.string()),
  cwd: z.string(),
  restartPolicy: z.enum(['always', 'on-failure', 'never']),
  watchdogMs: nullable(z.number().int()).describe('no WATCHDOG=1 within this many ms: hung, stopped, restarted by its policy (--watchdog); null: no watchdog'),
  ephemeral: z.boolean(),
  lifetime: z.enum(['session', 'keep']).describe('what happens when its owner session ends: session, berth stops it; keep, it runs on'),
  onConflict: z.enum(['refuse', 'evict', 'wait']),
  configFile: nullable(z.string()),
  configChanged: z.array(specField).optional(),
  startedAt: nullable(iso),
  uptimeMs: nullable(z.number()),
  restarts: z.number().int(),
  lastExit: nullable(exitInfo),
  detail: nullable(z.string()),
  status: nullable(z.string()).describe('the last STATUS= the running instance sent (sd_notify, berth beat --status)'),
  mainPid: nullable(z.number().int()).describe('the last MAINPID= it sent (shown only)'),
  logPath: z.string(),
});
const spared = z.strictObject({ pid: z.number().int(), reason: z.string() });
const eviction = z.strictObject({
  target: z.string(),
  port: nullable(z.number().int()),
  path: nullable(z.string()),
  service: nullable(z.string()),
  cause: z.enum(['free', 'on_conflict']),
  pid: z.number().int(),
  command: z.string(),
  cwd: nullable(z.string()),
  user: z.string(),
  owner: nullable(z.string()),
  forced: z.boolean(),
  pids: z.array(z.number().int()),
  spared: z.array(spared),
});
export const runResult = z.strictObject({
  outcome: z.enum(['started', 'already_running', 'replaced', 'recreated']),
  service,
  readyMs: nullable(z.number()),
  evicted: z.array(eviction).optional(),
  changed: z.array(specField).optional(),
});
export const orphan = z.strictObject({
  pid: z.number().int(),
  ppid: z.number().int(),
  uid: z.number().int(),
  user: z.string(),
  command: z.string(),
  cwd: nullable(z.string()),
  git: gitInfo,
  startedAt: iso,
  ageMs: z.number(),
  rssBytes: nullable(z.number()),
  ports: z.array(z.strictObject({ protocol: z.enum(['tcp', 'udp']), address: z.string(), port: z.number().int() })),
  files: z.array(z.string()),
  kind: z.enum(['agent-abandoned', 'reparented', 'session-gone']),
  reasons: z.array(z.string()),
  agent: nullable(z.string()),
  session: nullable(z.string()),
  collectable: z.boolean(),
  fix: z.string(),
  adopt: z.string(),
  identity,
});
const orphanStop = z.strictObject({
  pid: z.number().int(),
  command: z.string(),
  outcome: z.enum(['stopped', 'gone', 'refused']),
  why: nullable(z.string()),
  forced: z.boolean(),
  pids: z.array(z.number().int()),
  spared: z.array(spared),
});
const daemonStatusShape = { pid: z.number().int(), startedAt: iso, home: z.string(), version: z.string(), services: z.number().int(), servicesRunning: z.number().int(), rssBytes: z.number() };

/** Every verb's document, by the name the tests and docs use. */
export const CONTRACT = {
  error: z.strictObject({ error: z.strictObject({ code: z.enum(ERROR_CODES), message: z.string(), hint: z.string().optional(), details: z.record(z.string(), z.unknown()).optional() }) }),
  'who-port': z.strictObject({ port: z.number().int(), listeners: z.array(listener), claim: nullable(claim), known, owners: z.record(z.string(), owner), unreadable: z.number().int() }),
  'who-path': z.strictObject({ ...fileReportShape, journalMode: nullable(z.enum(['wal', 'rollback'])).describe("a SQLite database's journal mode from its header; null: not a SQLite database"), companions: z.array(z.strictObject(fileReportShape)), unreadable: z.number().int(), known, owners: z.record(z.string(), owner) }),
  ports: z.strictObject({ claims: z.array(claim), listeners: z.array(listener), conflicts: z.number().int(), unreadable: z.number().int() }),
  port: z.strictObject({ ...portRecordShape, created: z.boolean() }),
  'port-release': z.strictObject({ released: portRecord }),
  lock: z.union([
    z.strictObject({ acquired: z.literal(false), alreadyRunning: z.literal(true), name: z.string(), holder: nullable(lockHolder) }),
    z.strictObject({ acquired: z.literal(false), alreadyRunning: z.literal(true), name: z.string(), slots: z.number().int(), holders: z.array(slotHolder) }),
    z.strictObject({ acquired: z.literal(true), name: z.string(), pid: z.number().int(), exitCode: nullable(z.number().int()), signal: nullable(z.string()), status: z.number().int() }),
    z.strictObject({ acquired: z.literal(true), name: z.string(), slots: z.number().int(), slot: z.number().int(), pid: z.number().int(), exitCode: nullable(z.number().int()), signal: nullable(z.string()), status: z.number().int() }),
  ]),
  'lock-holders': z.strictObject({ named: z.array(lockHolder) }),
  slots: z.strictObject({ slots: z.array(slotHolder), buckets: z.array(bucket) }),
  'rate-take': z.strictObject(takeShape),
  'rate-run': z.strictObject({ ...takeShape, pid: z.number().int(), exitCode: nullable(z.number().int()), signal: nullable(z.string()), status: z.number().int() }),
  locks: z.strictObject({ named: z.array(lockHolder), slots: z.array(slotHolder), buckets: z.array(bucket), files: z.array(z.strictObject({ ...fileLockShape, process: nullable(processInfo), path: nullable(z.string()) })) }),
  events: z.strictObject({ events: z.array(event) }),
  run: runResult.extend({ warnings: z.array(z.string()) }),
  restart: runResult,
  stop: z.strictObject({ service }),
  adopt: z.strictObject({
    outcome: z.enum(['adopted', 'already_adopted']),
    service,
    source: z.strictObject({ kind: z.enum(['pid', 'port', 'pidfile']), port: nullable(z.number().int()), pidfile: nullable(z.string()) }),
    warnings: z.array(z.string()),
  }),
  'stop-session': z.strictObject({ session: z.string(), services: z.array(service) }),
  rm: z.strictObject({ removed: service }),
  ps: z.strictObject({ services: z.array(service) }),
  logs: z.strictObject({ name: z.string(), path: z.string(), lines: z.array(z.string()) }),
  'daemon-status': z.union([
    z.strictObject({ running: z.literal(true), ...daemonStatusShape, socket: z.string(), socketFallback: z.boolean() }),
    z.strictObject({ running: z.literal(false), home: z.string(), socket: z.string(), socketFallback: z.boolean() }),
  ]),
  'daemon-start': z.strictObject({ running: z.literal(true), alreadyRunning: z.boolean(), ...daemonStatusShape }),
  'daemon-stop': z.strictObject({ running: z.literal(false), stopped: nullable(z.number().int()) }),
  up: z.strictObject({ file: z.string(), project: z.string(), services: z.array(runResult), failed: z.string().optional() }),
  down: z.strictObject({ file: z.string(), project: z.string(), services: z.array(service) }),
  free: z.strictObject({ target: z.string(), stopped: z.array(z.strictObject({ pid: z.number().int(), command: z.string(), service: nullable(z.string()), forced: z.boolean() })) }),
  gc: z.strictObject({
    dryRun: z.boolean(),
    actions: z.array(z.strictObject({ kind: z.enum(['stop-service', 'reclaim-lease', 'drop-lock-record', 'remove-tmpdir']), subject: z.string(), detail: z.string() })),
    orphans: z.strictObject({ found: z.array(orphan), stopped: z.array(orphanStop), skipped: z.array(z.strictObject({ pid: z.number().int(), why: z.string() })) }).optional(),
  }),
  orphans: z.strictObject({ orphans: z.array(orphan), collectable: z.number().int() }),
  doctor: z.strictObject({
    findings: z.array(z.strictObject({ severity: z.enum(['error', 'warning', 'info']), kind: z.string(), subject: z.string(), message: z.string(), fix: nullable(z.string()) })),
    conflicts: z.number().int(),
    config: nullable(z.string()),
  }),
  init: z.strictObject({ agent: z.enum(['claude', 'codex', 'cursor', 'generic']), reason: z.string(), file: z.string(), change: z.enum(['created', 'added', 'updated', 'unchanged']), register: z.array(z.string()) }),
  guard: z.strictObject({ allow: z.boolean(), reason: z.string().optional() }),
  schema: z.record(z.string(), z.unknown()),
  export: z.strictObject({ format: z.enum(['systemd', 'launchd']), dir: nullable(z.string()), files: z.array(z.strictObject({ path: z.string(), content: z.string() })) }),
} as const;

export type ContractName = keyof typeof CONTRACT;
