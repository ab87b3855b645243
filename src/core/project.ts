// Projects: the namespace of service names. Two checkouts (or git worktrees) of one repository
// both declare `web`; without a namespace they would fight over one name, one lease and one log.
// A service's full name is `project/service` ('/' never occurs in a name, so it separates them
// unambiguously); it is the key of the service's record, its lease, its log and its tmp dir.
// Which directory is which project is remembered in the registry, so that two directories whose
// names agree get two projects (the second with a stable suffix from its real path), and the
// same directory always gets the same one. See docs/decisions/0016-projects.md.
import { realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { EXIT, UsageError, BerthError } from './errors.ts';
import { sha256Hex } from './hash.ts';
import type { Registry } from './registry/registry.ts';
import { parseName } from './validate.ts';

export const PROJECT_SEPARATOR = '/';

/** `project/service`. */
export function joinName(project: string, service: string): string {
  return `${project}${PROJECT_SEPARATOR}${service}`;
}

/** The parts of a full name; a bare (legacy) name has no project. */
export function splitName(name: string): { project: string | null; service: string } {
  const at = name.indexOf(PROJECT_SEPARATOR);
  return at < 0 ? { project: null, service: name } : { project: name.slice(0, at), service: name.slice(at + 1) };
}

/** A full name as typed (`shop/web`), each part a valid name. */
export function parseFullName(text: string): string {
  const { project, service } = splitName(text);
  if (project === null) throw new UsageError(`invalid service name ${JSON.stringify(text)}: a full name is PROJECT/SERVICE`, 'for example: shop/web', 'invalid_name');
  return joinName(parseName(project, 'project name'), parseName(service, 'service name'));
}

/** A directory's name made into a project name: characters outside the name alphabet become '-'. */
export function projectNameOf(dir: string): string {
  const base = basename(dir).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  return base === '' || /^\.+$/.test(base) ? 'root' : base;
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

/** A short stable suffix from a directory's real path. */
function suffixOf(dir: string, length: number): string {
  return sha256Hex(dir).slice(0, length);
}

export interface ProjectAssignment {
  project: string;
  dir: string;
  /** set once, when this directory got a suffixed name because another directory has the plain one */
  notice?: string;
}

interface ProjectRow {
  name: string;
  dir: string;
  base: string;
}

/**
 * The project of a directory that wants the name `wanted`: the one remembered for it, else
 * `wanted` if no other directory has it, else `wanted-XXXX` (a hash of the real path).
 */
export function assignProject(registry: Registry, dir: string, wanted: string, now = Date.now()): ProjectAssignment {
  const real = realDir(dir);
  return registry.transaction(() => {
    const known = registry.get<ProjectRow>('SELECT name, dir, base FROM projects WHERE dir = ?', real);
    if (known && known.base === wanted) return { project: known.name, dir: real };
    if (known) registry.run('DELETE FROM projects WHERE dir = ?', real);
    const holder = registry.get<ProjectRow>('SELECT name, dir, base FROM projects WHERE name = ?', wanted);
    let project = wanted;
    for (let length = 4; holder && length <= 64; length += 4) {
      project = `${wanted.slice(0, 63 - length)}-${suffixOf(real, length)}`;
      if (!registry.get('SELECT name FROM projects WHERE name = ?', project)) break;
    }
    registry.run('INSERT INTO projects (name, dir, base, created_at) VALUES (?, ?, ?, ?)', project, real, wanted, now);
    return holder
      ? { project, dir: real, notice: `project "${wanted}" is already ${holder.dir}; ${real} is project "${project}" (set name: in berth.yaml, or BERTH_PROJECT, to choose)` }
      : { project, dir: real };
  });
}

/** The project remembered for a directory, without recording one. */
export function knownProjectOf(registry: Registry | undefined, dir: string, wanted: string): string | undefined {
  const row = registry?.get<ProjectRow>('SELECT name, dir, base FROM projects WHERE dir = ?', realDir(dir));
  return row && row.base === wanted ? row.name : undefined;
}

/** A bare name that more than one project has, typed where no project decides which. */
export class AmbiguousNameError extends BerthError {
  constructor(name: string, candidates: string[]) {
    super('ambiguous_name', `"${name}" is a service of ${candidates.length} projects: ${candidates.join(', ')}`, {
      hint: `name one: ${candidates.map((c) => `berth … ${c}`).join(' or ')} (or pass --project)`,
      exitCode: EXIT.usage,
      details: { name, candidates },
    });
  }
}

/**
 * What a typed name means. `shop/web` is explicit; with an explicit project (--project,
 * BERTH_PROJECT) a bare name is that project's; otherwise the current project's if it has
 * one by that name, else the one service of that name across projects; more than one is an
 * AmbiguousNameError; none is the current project's name (which the verb then reports as not found).
 */
export function resolveName(typed: string, ctx: { current: string | null; explicit: boolean }, known: readonly string[]): string {
  if (typed.includes(PROJECT_SEPARATOR)) return parseFullName(typed);
  const service = parseName(typed, 'service name');
  if (ctx.current !== null && ctx.explicit) return joinName(ctx.current, service);
  if (ctx.current !== null && known.includes(joinName(ctx.current, service))) return joinName(ctx.current, service);
  if (known.includes(service)) return service;
  const candidates = known.filter((n) => splitName(n).service === service);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) throw new AmbiguousNameError(service, [...candidates].sort());
  return ctx.current !== null ? joinName(ctx.current, service) : service;
}

/** A recorded service's name: a full name, or a bare one of a record older than projects. */
export function parseServiceName(text: string): string {
  return text.includes(PROJECT_SEPARATOR) ? parseFullName(text) : parseName(text, 'service name');
}
