// The socket API's requests, as strict schemas checked at the boundary. A body is untrusted:
// any local process of this user can write to the socket, and a client of another build may
// send another shape. Before this, `{}` or `null` reached the supervisor and failed inside it
// (a 500 with a stack in the log), and a spec with `restart: "bogus"` or port 70000 was stored
// and crash-looped or broke the registry. Now a bad body is a 400 with the field named, and
// nothing invalid is ever stored.
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { owner } from '../app/contract.ts';
import { BerthError, EXIT } from '../core/errors.ts';
import { MAX_RESTARTS_LIMIT } from '../core/supervisor/spec.ts';
import type { FreeRequest, GcRequest, RestartRequest, RunRequest, StopRequest } from '../core/supervisor/api.ts';
import { MAX_DURATION_MS } from '../core/validate.ts';

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
const text = z.string().refine((s) => !s.includes('\0'), 'must not contain a NUL byte');
const absolutePath = text.refine((s) => isAbsolute(s), 'must be an absolute path');
const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a name is 1 to 64 of A-Z a-z 0-9 . _ -');
const port = z.number().int().min(1).max(65535);
const durationMs = z.number().int().min(0).max(MAX_DURATION_MS);

const spec = z.strictObject({
  name,
  argv: z.array(text).min(1).max(10_000).refine((a) => a[0] !== '', 'the command is empty'),
  cwd: absolutePath,
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), text),
  port: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('none') }), z.strictObject({ kind: z.literal('auto') }), z.strictObject({ kind: z.literal('fixed'), port })]),
  health: text.regex(/^(https?:\/\/|tcp:|cmd:)/, 'health is http://…, tcp:PORT or cmd:COMMAND').nullable(),
  restart: z.enum(['always', 'on-failure', 'never']),
  maxRestarts: z.number().int().min(0).max(MAX_RESTARTS_LIMIT).nullable(),
  purpose: text.nullable(),
  ephemeral: z.boolean(),
  onConflict: z.enum(['refuse', 'evict', 'wait']),
  locks: z.array(absolutePath).max(1000),
});

const requester = {
  actor: text,
  owner,
  protect: z.array(z.number().int().positive()).max(10_000).optional(),
  portRange: z
    .strictObject({ low: port, high: port })
    .refine((r) => r.low <= r.high, 'low must not be above high')
    .optional(),
};

// The caller's environment: the base a service's variables go on top of. Any name the kernel
// takes (no '=' and no NUL).
const callerEnv = z.record(z.string().min(1).regex(/^[^=\0]+$/, 'an environment variable name'), text);

const runRequest = z.strictObject({ ...requester, spec, env: callerEnv, wait: z.boolean(), timeoutMs: durationMs });
const stopRequest = z.strictObject({ ...requester, name, graceMs: durationMs });
const freeTarget = z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('port'), port }), z.strictObject({ kind: z.literal('path'), path: absolutePath })]);
const freeRequest = z.strictObject({ ...requester, target: freeTarget, force: z.boolean(), graceMs: durationMs });
const gcRequest = z.strictObject({ ...requester, dryRun: z.boolean() });
const restartRequest = z.strictObject({ ...requester, name, graceMs: durationMs, wait: z.boolean(), timeoutMs: durationMs });

function parseWith<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new BadRequestError(`invalid ${what} request${field ? ` at ${field}` : ''}: ${issue.message}`, field || undefined);
}

export const parseRunRequest = (body: unknown): RunRequest => parseWith(runRequest, body, 'run') as RunRequest;
export const parseStopRequest = (body: unknown): StopRequest => parseWith(stopRequest, body, 'stop') as StopRequest;
export const parseFreeRequest = (body: unknown): FreeRequest => parseWith(freeRequest, body, 'free') as FreeRequest;
export const parseGcRequest = (body: unknown): GcRequest => parseWith(gcRequest, body, 'gc') as GcRequest;
export const parseRestartRequest = (body: unknown): RestartRequest => parseWith(restartRequest, body, 'restart') as RestartRequest;

/** A whole-number query parameter (?n=, ?after=), or its default when absent. */
export function queryCount(params: URLSearchParams, key: string, dflt: number | undefined, max: number): number | undefined {
  const raw = params.get(key);
  if (raw === null) return dflt;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(n) && n <= max)) throw new BadRequestError(`invalid ?${key}=${JSON.stringify(raw)}: a whole number from 0 to ${max}`, key);
  return n;
}
