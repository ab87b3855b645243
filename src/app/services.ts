// Operations on services and projects, shared by the CLI and the MCP server. Each returns the
// document that `--json` prints and that MCP returns as structured content.
import { existsSync, statSync } from 'node:fs';
import { isExecutable } from '../core/executable.ts';
import { cachedConfigDrift } from '../core/config/drift-cache.ts';
import { phaseAsync } from '../core/profile.ts';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { loadProject as LoadProject, startOrder as StartOrder } from '../core/config/load.ts';
import { BerthError, UsageError } from '../core/errors.ts';
import { ServiceNotFoundError } from '../core/supervisor/errors.ts';
import type { RunResult, ServiceView } from '../core/supervisor/api.ts';
import type { Eviction } from '../core/evict.ts';
export { DRIFT_HINT } from '../core/supervisor/spec.ts';
import { checkHealthSpec, lockFields, MAX_RESTARTS_LIMIT, parseEnvPairs, parseLockArg, parseOnConflict, parseRestart, type PortRequest, type ServiceSpec } from '../core/supervisor/spec.ts';
import { parsePort } from '../core/validate.ts';
import type { Owner } from '../core/owner.ts';
import { endsWithSession, type Lifetime, lifetimeOf } from '../core/supervisor/lifetime.ts';
import { joinName, parseServiceName } from '../core/project.ts';
import { currentProject, type NameContext, nameToCreate, nameToFind } from './names.ts';
import type { Session } from './session.ts';

export interface RunInput {
  /** as typed: web (the current project's) or shop/web */
  name: string;
  /** the project, overriding the directory's (--project) */
  project?: string;
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
  /** keep it running after the owner session ends (the default from a terminal session) */
  keep?: boolean;
  /** stop it when the owner session ends (the default from an agent session) */
  untilSessionEnds?: boolean;
  /** the old name of untilSessionEnds */
  ephemeral?: boolean;
  onConflict?: string;
  locks?: string[];
  /** take the port its tree listens on when that is not the one berth gave it (--port-from-listener) */
  portFromListener?: boolean;
  /** sd_notify watchdog interval in ms (--watchdog) */
  watchdogMs?: number;
  wait?: boolean;
  timeoutMs?: number;
  /** replace it even if another live session owns it (recorded) */
  force?: boolean;
}

export function parsePortRequest(value: string | number | undefined): PortRequest {
  if (value === undefined) return { kind: 'none' };
  if (value === 'auto') return { kind: 'auto' };
  return { kind: 'fixed', port: parsePort(value) };
}

/**
 * A service spec from what a user typed (flags or tool arguments), validated. Whether it ends with
 * its session is decided here, where the caller's owner is known (decision 0017).
 */
export function specFromInput(input: RunInput, owner: Pick<Owner, 'source'>, baseDir = process.cwd()): ServiceSpec {
  const cwd = resolve(baseDir, input.cwd ?? '.');
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new UsageError(`cwd ${JSON.stringify(input.cwd)} is not a directory`, 'give an existing directory (absolute, or relative to where berth runs)', 'invalid_cwd');
  if (input.maxRestarts !== undefined && !(Number.isInteger(input.maxRestarts) && input.maxRestarts >= 0 && input.maxRestarts <= MAX_RESTARTS_LIMIT)) {
    throw new UsageError(`invalid max restarts ${JSON.stringify(input.maxRestarts)}: a whole number`, `give a whole number from 0 to ${MAX_RESTARTS_LIMIT}, or leave it out to never give up`, 'invalid_max_restarts');
  }
  const port = parsePortRequest(input.port);
  if (input.health !== undefined) checkHealthSpec(input.health, port.kind !== 'none');
  return {
    name: parseServiceName(input.name),
    argv: input.argv,
    cwd,
    env: parseEnvPairs(input.env ?? []),
    port,
    health: input.health ?? null,
    restart: parseRestart(input.restart ?? 'on-failure'),
    maxRestarts: input.maxRestarts ?? null,
    purpose: input.purpose ?? null,
    ephemeral: endsWithSession(owner, { keep: input.keep === true, ephemeral: input.ephemeral === true, untilSessionEnds: input.untilSessionEnds === true }),
    onConflict: parseOnConflict(input.onConflict ?? 'refuse'),
    ...lockFields((input.locks ?? []).map(parseLockArg).map((l) => ({ ...l, path: resolve(baseDir, l.path) }))),
    ...(input.portFromListener === true ? { portFromListener: true } : {}),
    ...(input.watchdogMs !== undefined ? { watchdogMs: input.watchdogMs } : {}),
  };
}

/** berth.yaml support (yaml + zod) is loaded only by the verbs that read one: it costs start-up time. */
async function config(): Promise<{ loadProject: typeof LoadProject; startOrder: typeof StartOrder }> {
  return import('../core/config/load.ts');
}

function callerEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}


/** Whether argv[0] names a program: a path to an executable file, or one found on PATH. */
function findsProgram(word: string, cwd: string): boolean {
  if (word.includes('/')) return isExecutable(isAbsolute(word) ? word : join(cwd, word));
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, word)));
}

/**
 * A command given as one quoted word with spaces ("node server.js") that is no program: berth
 * runs no shell, so it would fail to start. Refused here, before the daemon records a service
 * or leases a port for it, with the split form to use instead.
 */
export function checkCommandSplit(name: string, argv: string[], cwd: string): void {
  const [first] = argv;
  if (argv.length !== 1 || first === undefined || !/\s/.test(first.trim()) || findsProgram(first, cwd)) return;
  const words = first.trim().split(/\s+/);
  throw new UsageError(
    `the command ${JSON.stringify(first)} is one argument with spaces, and no program is named that: berth runs no shell`,
    `give the program and its arguments as separate words: berth run ${name} -- ${words.join(' ')}`,
    'command_not_split',
  );
}

/** One stranger evicted for a start, in a line: "evicted pid 4242 (python3 -m http.server) holding :8765, owner agent-b". */
export function evictionLine(e: Eviction): string {
  return `evicted pid ${e.pid} (${e.command}) holding ${e.target}, owner ${e.owner ?? 'unknown'}${e.forced ? ', killed after the grace' : ''}`;
}

/** `run`'s document: the supervisor's result and what berth did not do of what was asked. */
export type RunDocument = RunResult & { warnings: string[] };

/** Makes sure a service runs (idempotent), waiting until it is ready unless told not to. */
export async function runService(session: Session, input: RunInput, baseDir?: string): Promise<RunDocument> {
  const name = await nameToCreate(session, input.name, { project: input.project, cwd: baseDir });
  const spec = specFromInput({ ...input, name }, session.caller.owner, baseDir);
  checkCommandSplit(input.name, spec.argv, spec.cwd);
  const client = await session.client();
  const result = await client.run({ spec, env: callerEnv(), wait: input.wait !== false, timeoutMs: input.timeoutMs ?? 60_000, force: input.force === true, ...session.requester() });
  return { ...result, warnings: lifetimeIgnored(input, lifetimeOf(spec), result) };
}

/**
 * A lifetime flag given to a `run` that found the service already running with another lifetime:
 * the running one is not changed (a lifetime alone does not restart a service), and saying
 * nothing would let the caller believe it was.
 */
function lifetimeIgnored(input: RunInput, asked: Lifetime, result: RunResult): string[] {
  const flag = input.keep === true ? '--keep' : input.untilSessionEnds === true ? '--until-session-ends' : input.ephemeral === true ? '--ephemeral' : null;
  const running = result.service.lifetime;
  if (flag === null || result.outcome !== 'already_running' || running === asked) return [];
  const name = input.name;
  return [`${flag} ignored: ${name} is already running with lifetime ${running}; berth stop ${name} and run again to change it`];
}

export interface UpResult {
  file: string;
  project: string;
  services: RunResult[];
}

/** Starts a project's services (or some and their dependencies), each after its dependencies are ready. */
export async function upProject(session: Session, dir: string, names: string[], timeoutMs: number, onStarted?: (result: RunResult) => void, ctx: NameContext & { force?: boolean } = {}): Promise<UpResult> {
  const { loadProject, startOrder } = await config();
  const project = loadProject(dir);
  const order = startOrder(project, names);
  const { project: projectName } = await currentProject(session, { ...ctx, cwd: project.dir }, true);
  const client = await session.client();
  const services: RunResult[] = [];
  for (const name of order) {
    const spec = { ...project.services.get(name)!.spec, name: joinName(projectName!, name) };
    const result = await client.run({ spec, env: callerEnv(), wait: true, timeoutMs, force: ctx.force === true, ...session.requester() });
    services.push(result);
    onStarted?.(result);
  }
  return { file: project.file, project: projectName!, services };
}

export interface DownResult {
  file: string;
  project: string;
  services: ServiceView[];
}

/** Stops a project's services, dependents first; those never started are skipped. */
export async function downProject(session: Session, dir: string, names: string[], graceMs: number, ctx: NameContext & { force?: boolean } = {}): Promise<DownResult> {
  const { loadProject, startOrder } = await config();
  const project = loadProject(dir);
  const { project: projectName } = await currentProject(session, { ...ctx, cwd: project.dir }, true);
  const client = await session.client();
  const services: ServiceView[] = [];
  for (const name of startOrder(project, names).reverse()) {
    try {
      services.push(await client.stop({ name: joinName(projectName!, name), graceMs, force: ctx.force === true, ...session.requester() }));
    } catch (err) {
      if (err instanceof BerthError && err.code === 'not_found') continue;
      throw err;
    }
  }
  return { file: project.file, project: projectName!, services };
}

/** The full name a typed name stands for, among the services berth knows (see names.ts). */
export async function resolveService(session: Session, typed: string, ctx: NameContext = {}): Promise<string> {
  const known = (await (await session.client()).list()).map((s) => s.fullName);
  return nameToFind(session, typed, known, ctx);
}

/**
 * The services, without stopped and exited ones unless `all`, only this session's with `mine`,
 * only one project's with `project`; with a name, that one service whatever its state
 * (not_found if berth knows none).
 */
export async function listServices(session: Session, opts: { all?: boolean; mine?: boolean; name?: string; project?: string }): Promise<{ services: ServiceView[]; total: number }> {
  const everything = await markDrift(session, await (await session.client()).list());
  if (opts.name !== undefined) {
    const name = await nameToFind(session, opts.name, everything.map((s) => s.fullName), { project: opts.project });
    const one = everything.find((s) => s.fullName === name);
    if (!one) throw new ServiceNotFoundError(name);
    return { services: [one], total: 1 };
  }
  const inProject = opts.project !== undefined ? everything.filter((s) => s.project === opts.project) : everything;
  const mine = opts.mine ? inProject.filter((s) => s.owner?.session === session.caller.owner.session) : inProject;
  return { services: opts.all ? mine : mine.filter((s) => s.state !== 'stopped' && s.state !== 'exited'), total: mine.length };
}

/** Marks the running services whose berth.yaml entry differs from what runs (configChanged). */
async function markDrift(session: Session, views: ServiceView[]): Promise<ServiceView[]> {
  const running = new Set(views.filter((v) => v.configFile !== null && v.pid !== null).map((v) => v.fullName));
  const registry = running.size > 0 ? session.existingRegistry() : undefined;
  if (!registry) return views;
  const { loadServices } = await import('../core/supervisor/store.ts');
  const recorded = loadServices(registry).filter((r) => running.has(r.spec.name)).map((r) => r.spec);
  // the berth.yaml reader (yaml + zod) is loaded only for files whose cached judgement no longer holds
  const drift = await cachedConfigDrift(session.home, recorded, (specs) => phaseAsync('judge config drift', async () => (await import('../core/config/drift.ts')).judgeConfigFiles(specs)));
  return views.map((v) => (drift.has(v.fullName) ? { ...v, configChanged: drift.get(v.fullName)! } : v));
}

/** Stops every running service of a session (`berth stop --mine`, `--session S`): the stop-session document. */
export async function stopSession(session: Session, owner: string, graceMs: number, force = false): Promise<{ session: string; services: ServiceView[] }> {
  const client = await session.client();
  const targets = (await client.list()).filter((s) => s.owner?.session === owner && s.state !== 'stopped' && s.state !== 'exited');
  const stopped: ServiceView[] = [];
  for (const s of targets) stopped.push(await client.stop({ name: s.fullName, graceMs, force, ...session.requester() }));
  return { session: owner, services: stopped };
}

/** `stop NAME`: the service's whole process tree, TERM then KILL after the grace. */
export async function stopService(session: Session, typed: string, graceMs: number, ctx: NameContext & { force?: boolean } = {}): Promise<{ service: ServiceView }> {
  const name = await resolveService(session, typed, ctx);
  const service = await (await session.client()).stop({ name, graceMs, force: ctx.force === true, ...session.requester() });
  return { service };
}

/** `stop` with a name, or every service of a session (`mine` is the caller's). */
export async function stopVerb(session: Session, input: { name?: string; mine?: boolean; session?: string; graceMs: number; force?: boolean; project?: string }): Promise<{ service: ServiceView } | { session: string; services: ServiceView[] }> {
  const bySession = input.mine ? session.caller.owner.session : input.session;
  if ((input.name === undefined) === (bySession === undefined)) throw new UsageError('give a service name, or mine, or a session', 'berth stop NAME | berth stop --mine | berth stop --session S');
  const force = input.force === true;
  return bySession !== undefined ? stopSession(session, bySession, input.graceMs, force) : stopService(session, input.name!, input.graceMs, { project: input.project, force });
}

/** `restart NAME`: stop and start it with its recorded spec; it keeps its owner unless `take`. */
export async function restartService(session: Session, input: { name: string; graceMs: number; wait: boolean; timeoutMs: number; force?: boolean; take?: boolean; project?: string }): Promise<RunResult> {
  const name = await resolveService(session, input.name, { project: input.project });
  return (await session.client()).restart({ name, graceMs: input.graceMs, wait: input.wait, timeoutMs: input.timeoutMs, force: input.force === true, take: input.take === true, ...session.requester() });
}

/** `rm NAME`: stop it and forget it; its leased port is released. */
export async function removeService(session: Session, typed: string, graceMs: number, ctx: NameContext & { force?: boolean } = {}): Promise<{ removed: ServiceView }> {
  const name = await resolveService(session, typed, ctx);
  const removed = await (await session.client()).remove({ name, graceMs, force: ctx.force === true, ...session.requester() });
  return { removed };
}
