// The socket API's requests, as strict shapes checked at the boundary (src/core/shape.ts, not
// zod: it would cost the daemon ~14 MiB). A body is untrusted:
// any local process of this user can write to the socket, and a client of another build may
// send another shape. Before this, `{}` or `null` reached the supervisor and failed inside it
// (a 500 with a stack in the log), and a spec with `restart: "bogus"` or port 70000 was stored
// and crash-looped or broke the registry. Now a bad body is a 400 with the field named, and
// nothing invalid is ever stored.
import { isAbsolute } from 'node:path';
import { BerthError, EXIT } from '../core/errors.ts';
import { arr, bool, byKind, int, nullable, oneOf, optional, record, type Shape, ShapeError, str, strict } from '../core/shape.ts';
import { MAX_SLOTS } from '../core/locks/slots.ts';
import { MAX_RESTARTS_LIMIT } from '../core/supervisor/spec.ts';
import type { AdoptRequest, BeatRequest, Requester, FreeRequest, GcOrphansRequest, GcRequest, RestartRequest, RunRequest, StopRequest } from '../core/supervisor/api.ts';
import type { PortRequest } from '../core/supervisor/spec.ts';
import { MAX_DURATION_MS, MAX_WATCHDOG_MS, MIN_WATCHDOG_MS } from '../core/validate.ts';

/** A request body the daemon refuses: not JSON, the wrong shape, or a value out of range. */
export class BadRequestError extends BerthError {
  constructor(message: string, field?: string) {
    super('bad_request', message, {
      hint: 'the request does not match the socket API; use the berth CLI or the library, of the same version as the daemon',
      exitCode: EXIT.usage,
      ...(field !== undefined ? { details: { field } } : {}),
    });
  }
}

// Strings that reach exec, the environment or a path: a NUL byte is never valid in them (Node
// throws on it, synchronously, deep in spawn).
const noNul = (s: string): string | undefined => (s.includes('\0') ? 'must not contain a NUL byte' : undefined);
const text = str({ check: noNul });
const absolutePath = str({ check: (s) => noNul(s) ?? (isAbsolute(s) ? undefined : 'must be an absolute path') });
// a service's full name, project/service (decision 0016), or a bare one of a record older than
// projects; each part 1 to 64 of the name alphabet, never only dots (a path's . or ..)
const name = str({ pattern: /^(?:(?!\.+\/)[A-Za-z0-9._-]{1,64}\/)?(?!\.+$)[A-Za-z0-9._-]{1,64}$/, message: 'a service name is [PROJECT/]SERVICE, each 1 to 64 of A-Z a-z 0-9 . _ -' });
const port = int(1, 65535);
const durationMs = int(0, MAX_DURATION_MS);
const pid = int(1, Number.MAX_SAFE_INTEGER);

const health = nullable(str({ check: (s) => noNul(s) ?? (s === 'notify' || /^(https?:\/\/|tcp:|cmd:)/.test(s) ? undefined : 'health is http://…, tcp:PORT, cmd:COMMAND or notify') }));

const spec = strict({
  name,
  argv: arr(text, { min: 1, max: 10_000, check: (a) => (a[0] === '' ? 'the command is empty' : undefined) }),
  cwd: absolutePath,
  env: record(str({ pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, message: 'an environment variable name' }), text),
  port: byKind<PortRequest>({ none: strict({ kind: oneOf(['none']) }), auto: strict({ kind: oneOf(['auto']) }), fixed: strict({ kind: oneOf(['fixed']), port }) }),
  health,
  restart: oneOf(['always', 'on-failure', 'never']),
  maxRestarts: nullable(int(0, MAX_RESTARTS_LIMIT)),
  purpose: nullable(text),
  ephemeral: bool,
  onConflict: oneOf(['refuse', 'evict', 'wait']),
  locks: arr(absolutePath, { max: 1000 }),
  portFromListener: optional(bool),
  exclusiveLocks: optional(arr(absolutePath, { max: 1000 })),
  watchdogMs: optional(int(MIN_WATCHDOG_MS, MAX_WATCHDOG_MS)),
  // slot group names are lock names (the name alphabet); one of 1..MAX_SLOTS slots of each
  slots: optional(record(str({ pattern: /^(?!\.+$)[A-Za-z0-9._-]{1,64}$/, message: 'a slot group name is 1 to 64 of A-Z a-z 0-9 . _ -' }), int(1, MAX_SLOTS))),
  configFile: optional(absolutePath),
});

const identity = strict({ pid, startTicks: int(0, Number.MAX_SAFE_INTEGER), bootId: str() });
const owner = strict({
  session: str(),
  source: oneOf(['env', 'agent', 'terminal', 'unknown']),
  agent: optional(str()),
  process: optional(identity),
  user: str(),
});

const requester = {
  actor: text,
  owner,
  protect: optional(arr(pid, { max: 10_000 })),
  portRange: optional(strict({ low: port, high: port }, (r) => (r.low <= r.high ? undefined : 'low must not be above high'))),
};

// The caller's environment: the base a service's variables go on top of. Any name the kernel
// takes (no '=' and no NUL).
const callerEnv = record(str({ pattern: /^[^=\0]+$/, message: 'an environment variable name' }), text);

const runRequest = strict({ ...requester, spec, env: callerEnv, wait: bool, timeoutMs: durationMs, force: optional(bool) });
const stopRequest = strict({ ...requester, name, graceMs: durationMs, force: optional(bool) });
const freeTarget = byKind<FreeRequest['target']>({ port: strict({ kind: oneOf(['port']), port }), path: strict({ kind: oneOf(['path']), path: absolutePath }) });
const freeRequest = strict({ ...requester, target: freeTarget, force: bool, graceMs: durationMs });
const gcRequest = strict({ ...requester, dryRun: bool });
const orphanTarget = strict({ pid, startTicks: nullable(int(0, Number.MAX_SAFE_INTEGER)) });
const gcOrphansRequest = strict({ ...requester, dryRun: bool, targets: optional(arr(orphanTarget, { max: 10_000 })), graceMs: durationMs });
const restartRequest = strict({ ...requester, name, graceMs: durationMs, wait: bool, timeoutMs: durationMs, force: optional(bool), take: optional(bool) });

const adoptSource = strict({ kind: oneOf(['pid', 'port', 'pidfile']), port: nullable(port), pidfile: nullable(absolutePath) });
const adoptRequest = strict({
  ...requester,
  name,
  identity,
  source: adoptSource,
  restart: oneOf(['always', 'on-failure', 'never']),
  health,
  purpose: nullable(text),
});

function parseWith<T>(shape: Shape<T>, body: unknown, what: string): T {
  try {
    return shape(body, '');
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new BadRequestError(`invalid ${what} request${err.path ? ` at ${err.path}` : ''}: ${err.message}`, err.path || undefined);
  }
}

const beatRequest = strict({ name, pid, message: str({ check: (s) => noNul(s) ?? (Buffer.byteLength(s) > 4096 ? 'at most 4096 bytes' : undefined) }) });
export const parseBeatRequest = (body: unknown): BeatRequest => parseWith(beatRequest, body, 'beat') as BeatRequest;
export const parseRunRequest = (body: unknown): RunRequest => parseWith(runRequest, body, 'run') as RunRequest;
export const parseStopRequest = (body: unknown): StopRequest => parseWith(stopRequest, body, 'stop') as StopRequest;
export const parseFreeRequest = (body: unknown): FreeRequest => parseWith(freeRequest, body, 'free') as FreeRequest;
export const parseGcRequest = (body: unknown): GcRequest => parseWith(gcRequest, body, 'gc') as GcRequest;
export const parseGcOrphansRequest = (body: unknown): GcOrphansRequest => parseWith(gcOrphansRequest, body, 'gc --orphans') as GcOrphansRequest;
export const parseAdoptRequest = (body: unknown): AdoptRequest => parseWith(adoptRequest, body, 'adopt') as AdoptRequest;
export const parseDashboardRequest = (body: unknown): Requester => parseWith(strict(requester), body, 'dashboard') as Requester;
export const parseRestartRequest = (body: unknown): RestartRequest => parseWith(restartRequest, body, 'restart') as RestartRequest;

/** A whole-number query parameter (?n=, ?after=), or its default when absent. */
export function queryCount(params: URLSearchParams, key: string, dflt: number | undefined, max: number): number | undefined {
  const raw = params.get(key);
  if (raw === null) return dflt;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(n) && n <= max)) throw new BadRequestError(`invalid ?${key}=${JSON.stringify(raw)}: a whole number from 0 to ${max}`, key);
  return n;
}
