// Operations on services and projects, shared by the CLI and the MCP server. Each returns the
// document that `--json` prints and that MCP returns as structured content.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { loadProject as LoadProject, startOrder as StartOrder } from '../core/config/load.ts';
import { BerthError, UsageError } from '../core/errors.ts';
import type { RunResult, ServiceView } from '../core/supervisor/api.ts';
import { MAX_RESTARTS_LIMIT, parseEnvPairs, parseOnConflict, parseRestart, type PortRequest, type ServiceSpec } from '../core/supervisor/spec.ts';
import { parseName, parsePort } from '../core/validate.ts';
import type { Session } from './session.ts';

export interface RunInput {
  name: string;
  argv: string[];
  /** "auto", a port number, or none */
  port?: string | number;
  health?: string;
  purpose?: string;
  cwd?: string;
  /** K=V pairs */
  env?: string[];
  restart?: string;
  maxRestarts?: number;
  ephemeral?: boolean;
  onConflict?: string;
  locks?: string[];
  wait?: boolean;
  timeoutMs?: number;
}

export function parsePortRequest(value: string | number | undefined): PortRequest {
  if (value === undefined) return { kind: 'none' };
  if (value === 'auto') return { kind: 'auto' };
  return { kind: 'fixed', port: parsePort(value) };
}

/** A service spec from what a user typed (flags or tool arguments), validated. */
export function specFromInput(input: RunInput, baseDir = process.cwd()): ServiceSpec {
  const cwd = resolve(baseDir, input.cwd ?? '.');
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new UsageError(`cwd ${JSON.stringify(input.cwd)} is not a directory`, undefined, 'invalid_cwd');
  if (input.maxRestarts !== undefined && !(Number.isInteger(input.maxRestarts) && input.maxRestarts >= 0 && input.maxRestarts <= MAX_RESTARTS_LIMIT)) {
    throw new UsageError(`invalid max restarts ${JSON.stringify(input.maxRestarts)}: a whole number`, undefined, 'invalid_max_restarts');
  }
  return {
    name: parseName(input.name, 'service name'),
    argv: input.argv,
    cwd,
    env: parseEnvPairs(input.env ?? []),
    port: parsePortRequest(input.port),
    health: input.health ?? null,
    restart: parseRestart(input.restart ?? 'on-failure'),
    maxRestarts: input.maxRestarts ?? null,
    purpose: input.purpose ?? null,
    ephemeral: input.ephemeral === true,
    onConflict: parseOnConflict(input.onConflict ?? 'refuse'),
    locks: (input.locks ?? []).map((p) => resolve(baseDir, p)),
  };
}

/** berth.yaml support (yaml + zod) is loaded only by the verbs that read one: it costs start-up time. */
async function config(): Promise<{ loadProject: typeof LoadProject; startOrder: typeof StartOrder }> {
  return import('../core/config/load.ts');
}

function callerEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Makes sure a service runs (idempotent), waiting until it is ready unless told not to. */
export async function runService(session: Session, input: RunInput, baseDir?: string): Promise<RunResult> {
  const spec = specFromInput(input, baseDir);
  const client = await session.client();
  return client.run({ spec, env: callerEnv(), wait: input.wait !== false, timeoutMs: input.timeoutMs ?? 60_000, ...session.requester() });
}

export interface UpResult {
  file: string;
  services: RunResult[];
}

/** Starts a project's services (or some and their dependencies), each after its dependencies are ready. */
export async function upProject(session: Session, dir: string, names: string[], timeoutMs: number, onStarted?: (result: RunResult) => void): Promise<UpResult> {
  const { loadProject, startOrder } = await config();
  const project = loadProject(dir);
  const order = startOrder(project, names);
  const client = await session.client();
  const services: RunResult[] = [];
  for (const name of order) {
    const result = await client.run({ spec: project.services.get(name)!.spec, env: callerEnv(), wait: true, timeoutMs, ...session.requester() });
    services.push(result);
    onStarted?.(result);
  }
  return { file: project.file, services };
}

export interface DownResult {
  file: string;
  services: ServiceView[];
}

/** Stops a project's services, dependents first; those never started are skipped. */
export async function downProject(session: Session, dir: string, names: string[], graceMs: number): Promise<DownResult> {
  const { loadProject, startOrder } = await config();
  const project = loadProject(dir);
  const client = await session.client();
  const services: ServiceView[] = [];
  for (const name of startOrder(project, names).reverse()) {
    try {
      services.push(await client.stop({ name, graceMs, ...session.requester() }));
    } catch (err) {
      if (err instanceof BerthError && err.code === 'not_found') continue;
      throw err;
    }
  }
  return { file: project.file, services };
}

/** The services, without stopped and exited ones unless `all`, and only this session's with `mine`. */
export async function listServices(session: Session, opts: { all?: boolean; mine?: boolean }): Promise<{ services: ServiceView[]; total: number }> {
  const everything = await (await session.client()).list();
  const mine = opts.mine ? everything.filter((s) => s.owner?.session === session.caller.owner.session) : everything;
  return { services: opts.all ? mine : mine.filter((s) => s.state !== 'stopped' && s.state !== 'exited'), total: mine.length };
}

/** Stops every running service of a session (`berth stop --mine`, `--session S`). */
export async function stopSession(session: Session, owner: string, graceMs: number): Promise<ServiceView[]> {
  const client = await session.client();
  const targets = (await client.list()).filter((s) => s.owner?.session === owner && s.state !== 'stopped' && s.state !== 'exited');
  const stopped: ServiceView[] = [];
  for (const s of targets) stopped.push(await client.stop({ name: s.name, graceMs, ...session.requester() }));
  return stopped;
}
