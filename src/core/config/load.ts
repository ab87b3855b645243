// Loading berth.yaml (or a Procfile): every error names the file, line, column and field.
import { parseWatchdog } from '../validate.ts';
import { statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { readBoundedText, UnreadableFileError } from '../bounded-read.ts';
import { BerthError, EXIT } from '../errors.ts';
import { checkHealthSpec, lockFields, type ServiceSpec } from '../supervisor/spec.ts';
import { commandToArgv } from './command.ts';
import { configSchema, type ServiceConfig } from './schema.ts';

export { CONFIG_NAMES, findConfig } from './find.ts';
import { findConfig } from './find.ts';

export interface Project {
  file: string;
  dir: string;
  /** the `name:` key (the project), if the file has one */
  name?: string;
  /** services by name, in file order */
  services: Map<string, ProjectService>;
}

export interface ProjectService {
  spec: ServiceSpec;
  dependsOn: string[];
  /** the env_file read into spec.env (absolute), if any: what the spec depends on besides this file */
  envFile?: string;
}

export interface ConfigLocation {
  file: string;
  line: number | null;
  column: number | null;
  field: string | null;
}

export class ConfigError extends BerthError {
  readonly location: ConfigLocation;
  constructor(location: ConfigLocation, message: string, hint?: string) {
    const where = `${location.file}${location.line !== null ? `:${location.line}:${location.column}` : ''}`;
    super('config_invalid', `${where}: ${location.field ? `${location.field}: ` : ''}${message}`, {
      hint: hint ?? 'fix the file; `berth schema` prints what berth.yaml may contain',
      exitCode: EXIT.usage,
      details: { ...location },
    });
    this.location = location;
  }
}

export class ConfigNotFoundError extends BerthError {
  constructor(from: string) {
    super('config_not_found', `no berth.yaml, berth.yml or Procfile in ${from} or its parents`, {
      hint: 'write a berth.yaml (see README), or start one service with berth run NAME -- CMD',
      exitCode: EXIT.notFound,
    });
  }
}

export function loadProject(from: string): Project {
  const file = findConfig(from);
  if (!file) throw new ConfigNotFoundError(from);
  return loadConfigFile(file);
}

/** A berth.yaml, berth.yml or Procfile already found (findConfig). */
export function loadConfigFile(file: string): Project {
  return basename(file) === 'Procfile' ? loadProcfile(file) : loadYaml(file);
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/**
 * A config file's text, read with a bound; anything but a regular file of at most 1 MiB is a
 * ConfigError. `fail` places the error: in the file itself, or at the key that names the file.
 */
function readConfigText(file: string, fail: (msg: string) => ConfigError, named: boolean): string {
  try {
    return readBoundedText(file);
  } catch (err) {
    if (err instanceof UnreadableFileError) throw fail(err.reason === 'missing' ? `no such file: ${file}` : named ? err.message : err.detail);
    throw err;
  }
}

/** YAML aliases berth expands at most: enough for any real file, far below a "billion laughs" document. */
const MAX_YAML_ALIASES = 100;

export function loadYaml(file: string): Project {
  const text = readConfigText(file, (msg) => new ConfigError({ file, line: null, column: null, field: null }, msg), false);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined, field: string | null): ConfigLocation => {
    if (offset === undefined) return { file, line: null, column: null, field };
    const pos = lines.linePos(offset);
    return { file, line: pos.line, column: pos.col, field };
  };
  const firstError = doc.errors[0];
  if (firstError) throw new ConfigError(at(firstError.pos[0], null), `not valid YAML: ${firstError.message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // the yaml library refuses an alias bomb (and other documents it cannot build) by throwing
    throw new ConfigError(at(undefined, null), `cannot be read as data: ${(err as Error).message}`, 'remove the aliases (*name) that expand into a huge document');
  }
  const parsed = configSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const { offset, path } = locateIssue(doc, issue);
    // a bad record key (a service or variable name) carries the reason in its nested issue
    const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    throw new ConfigError(at(offset, fieldName(path)), message);
  }
  const dir = dirname(file);
  const services = new Map<string, ProjectService>();
  const portOwner = new Map<number, string>();
  const offsetOf = (path: Array<string | number>): number | undefined => nodeOffset(doc, path);
  for (const [name, svc] of Object.entries(parsed.data.services)) {
    const argv = parseRun(svc, (msg) => new ConfigError(at(offsetOf(['services', name, 'run']), `services.${name}.run`), msg));
    if (typeof svc.port === 'number') {
      const other = portOwner.get(svc.port);
      if (other) throw new ConfigError(at(offsetOf(['services', name, 'port']), `services.${name}.port`), `port ${svc.port} is already declared by "${other}"`);
      portOwner.set(svc.port, name);
    }
    const cwd = svc.cwd ? resolve(dir, svc.cwd) : dir;
    if (svc.cwd) checkCwd(cwd, (msg) => new ConfigError(at(offsetOf(['services', name, 'cwd']), `services.${name}.cwd`), msg));
    if (svc.health !== undefined) {
      try {
        checkHealthSpec(svc.health, svc.port !== undefined);
      } catch (err) {
        if (!(err instanceof BerthError)) throw err;
        throw new ConfigError(at(offsetOf(['services', name, 'health']), `services.${name}.health`), err.message, err.hint);
      }
    }
    const watchdogMs = svc.watchdog === undefined ? undefined : configWatchdog(svc.watchdog, (msg, hint) => new ConfigError(at(offsetOf(['services', name, 'watchdog']), `services.${name}.watchdog`), msg, hint));
    // `ephemeral:` is the old spelling of `keep: false` (decision 0017): both are read, and must agree
    if (svc.keep !== undefined && svc.ephemeral !== undefined && svc.keep === svc.ephemeral) {
      throw new ConfigError(at(offsetOf(['services', name, 'ephemeral']), `services.${name}.ephemeral`), `keep: ${svc.keep} contradicts ephemeral: ${svc.ephemeral}`, 'give keep only (ephemeral is its old name, the opposite of keep)');
    }
    services.set(name, {
      spec: {
        name,
        argv,
        cwd,
        env: { ...readEnvFile(svc, dir, (msg) => new ConfigError(at(offsetOf(['services', name, 'env_file']), `services.${name}.env_file`), msg)), ...stringify(svc.env) },
        port: svc.port === undefined ? { kind: 'none' } : svc.port === 'auto' ? { kind: 'auto' } : { kind: 'fixed', port: svc.port },
        health: svc.health ?? null,
        restart: svc.restart ?? 'on-failure',
        maxRestarts: svc.max_restarts ?? null,
        purpose: svc.purpose ?? null,
        ephemeral: svc.keep !== undefined ? !svc.keep : (svc.ephemeral ?? false),
        onConflict: svc.on_conflict ?? 'refuse',
        ...lockFields(
          (svc.locks ?? []).map((l) => {
            const { path, mode = 'writer' } = typeof l === 'string' ? { path: l } : l;
            return { path: isAbsolute(path) ? path : resolve(dir, path), mode };
          }),
        ),
        ...(svc.port_from_listener === true ? { portFromListener: true } : {}),
        ...(watchdogMs !== undefined ? { watchdogMs } : {}),
        ...(svc.slots !== undefined && Object.keys(svc.slots).length > 0 ? { slots: svc.slots } : {}),
        configFile: file,
      },
      dependsOn: svc.depends_on ?? [],
      ...(svc.env_file ? { envFile: resolve(dir, svc.env_file) } : {}),
    });
  }
  for (const [name, svc] of services) {
    svc.dependsOn.forEach((dep, i) => {
      if (!services.has(dep)) throw new ConfigError(at(offsetOf(['services', name, 'depends_on', i]), `services.${name}.depends_on[${i}]`), `no service named "${dep}" in this file`);
      if (dep === name) throw new ConfigError(at(offsetOf(['services', name, 'depends_on', i]), `services.${name}.depends_on[${i}]`), 'a service cannot depend on itself');
    });
  }
  const cycle = findCycle(services);
  if (cycle) {
    throw new ConfigError(at(offsetOf(['services', cycle[0]!, 'depends_on']), `services.${cycle[0]}.depends_on`), `depends_on has a cycle: ${cycle.join(' -> ')}`);
  }
  return { file, dir, services, ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}) };
}

function parseRun(svc: ServiceConfig, fail: (msg: string) => ConfigError): string[] {
  if (Array.isArray(svc.run)) {
    if (svc.run[0]!.trim() === '') throw fail('the command is empty');
    return svc.run;
  }
  let argv: string[];
  try {
    argv = commandToArgv(svc.run);
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (argv.length === 0) throw fail('the command is empty');
  return argv;
}

function stringify(env: ServiceConfig['env']): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
}

/** A service's cwd must be a directory that exists: otherwise its start fails as if the command were missing. */
function checkCwd(cwd: string, fail: (msg: string) => ConfigError): void {
  let isDir: boolean;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch {
    throw fail(`the working directory ${cwd} does not exist`);
  }
  if (!isDir) throw fail(`the working directory ${cwd} is not a directory`);
}

function readEnvFile(svc: ServiceConfig, dir: string, fail: (msg: string) => ConfigError): Record<string, string> {
  if (!svc.env_file) return {};
  const path = resolve(dir, svc.env_file);
  const env: Record<string, string> = {};
  readConfigText(path, fail, true).split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw fail(`${path} line ${i + 1} is not KEY=VALUE`);
    env[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  });
  return env;
}

/** A depends_on cycle as a list of names (first repeated at the end), or undefined. */
export function findCycle(services: Map<string, ProjectService>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of services.get(name)?.dependsOn ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of services.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The names to start, dependencies first; with no names, every service. */
export function startOrder(project: Project, names: string[]): string[] {
  for (const n of names) if (!project.services.has(n)) throw new ConfigError({ file: project.file, line: null, column: null, field: null }, `no service named "${n}"`, `the services are: ${[...project.services.keys()].join(', ')}`);
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    for (const dep of project.services.get(name)!.dependsOn) visit(dep);
    order.push(name);
  };
  for (const name of names.length > 0 ? names : project.services.keys()) visit(name);
  return order;
}

function nodeOffset(doc: Document, path: Array<string | number>): number | undefined {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  return node?.range?.[0];
}

/** Where a schema issue points in the file: the offending value, or the unknown key itself. */
function locateIssue(doc: Document, issue: z.core.$ZodIssue): { offset: number | undefined; path: Array<string | number> } {
  let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys' || issue.code === 'invalid_key') {
    // point at the key itself, in its parent mapping
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0]! : String(path.at(-1));
    if (issue.code === 'invalid_key') path = path.slice(0, -1);
    const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
      return { offset: keyNode?.range?.[0], path: [...path, key] };
    }
    return { offset: undefined, path: [...path, key] };
  }
  // the deepest node of the path that exists in the document
  for (let n = path.length; n >= 0; n--) {
    const offset = n === 0 ? (doc.contents as { range?: number[] } | null)?.range?.[0] : nodeOffset(doc, path.slice(0, n));
    if (offset !== undefined) return { offset, path };
  }
  return { offset: undefined, path };
}

/** A Procfile, read as foreman and overmind read it: `name: command` per line, each given a $PORT. */
export function loadProcfile(file: string): Project {
  const dir = dirname(file);
  const services = new Map<string, ProjectService>();
  readConfigText(file, (msg) => new ConfigError({ file, line: null, column: null, field: null }, msg), false).split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9._-]{1,64}):\s*(.*)$/.exec(line);
    const loc = { file, line: i + 1, column: 1, field: m?.[1] ?? null };
    if (!m) throw new ConfigError(loc, 'a Procfile line is "name: command"');
    if (services.has(m[1]!)) throw new ConfigError(loc, `"${m[1]}" is declared twice`);
    if (m[2]!.trim() === '') throw new ConfigError(loc, 'the command is empty');
    services.set(m[1]!, {
      spec: {
        name: m[1]!,
        argv: ['sh', '-c', m[2]!],
        cwd: dir,
        env: {},
        port: { kind: 'auto' },
        health: null,
        restart: 'on-failure',
        maxRestarts: null,
        purpose: null,
        ephemeral: false,
        onConflict: 'refuse',
        locks: [],
        configFile: file,
      },
      dependsOn: [],
    });
  });
  if (services.size === 0) throw new ConfigError({ file, line: null, column: null, field: null }, 'no processes declared');
  return { file, dir, services };
}

/** `watchdog: 30s`, as --watchdog reads it; an error names the field. */
function configWatchdog(text: string, fail: (message: string, hint?: string) => Error): number {
  try {
    return parseWatchdog(text);
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    throw fail(err.message, err.hint);
  }
}
