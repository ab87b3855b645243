// The one place a typed service name becomes a full name (project/service), for every verb and
// every door: the project comes from --project (MCP: project), BERTH_PROJECT, the berth.yaml
// around the caller's directory, the enclosing git worktree, or the directory itself
// (decision 0016). Verbs that create (run, up, port) record the directory's project; verbs that
// act on what exists only look it up, and fall back to a name unique across projects.
import { assignProject, joinName, knownProjectOf, resolveName } from '../core/project.ts';
import { parseName } from '../core/validate.ts';
import { phaseAsync } from '../core/profile.ts';
import { projectPlaceOf } from '../core/project-place.ts';
import type { Session } from './session.ts';

export interface NameContext {
  /** --project / the MCP project argument */
  project?: string | undefined;
  /** the caller's directory (default: this process's) */
  cwd?: string | undefined;
}

/** The directory that makes the project; the berth.yaml reader is loaded only when there is a berth.yaml to read its name from. */
async function projectDir(cwd: string): Promise<{ dir: string; wanted: string } | undefined> {
  const place = projectPlaceOf(cwd);
  if (place === undefined || !('file' in place)) return place;
  const { projectOfConfigFile } = await phaseAsync('load berth.yaml reader', () => import('../core/project-dir.ts'));
  return projectOfConfigFile(place.file);
}

/** The project of the caller: explicit (flag, environment), or its directory's (recorded when `create`). */
export async function currentProject(session: Session, ctx: NameContext, create: boolean): Promise<{ project: string | null; explicit: boolean }> {
  const override = ctx.project ?? session.envVar('BERTH_PROJECT');
  if (override !== undefined && override !== '') return { project: parseName(override, 'project name'), explicit: true };
  const found = await projectDir(ctx.cwd ?? process.cwd());
  if (found === undefined) return { project: create ? 'root' : null, explicit: false };
  if (!create) return { project: knownProjectOf(session.existingRegistry(), found.dir, found.wanted) ?? null, explicit: false };
  const assigned = assignProject(session.registry(), found.dir, found.wanted);
  if (assigned.notice !== undefined) session.notice(assigned.notice);
  return { project: assigned.project, explicit: false };
}

/** A name for a service to be made (run, port): the current project's, unless typed in full. */
export async function nameToCreate(session: Session, typed: string, ctx: NameContext = {}): Promise<string> {
  if (typed.includes('/')) return resolveName(typed, { current: null, explicit: false }, []);
  const { project } = await currentProject(session, ctx, true);
  return joinName(project!, parseName(typed, 'service name'));
}

/** A name of something that exists (stop, restart, rm, logs, ps NAME, port --release): resolved against `known`. */
export async function nameToFind(session: Session, typed: string, known: readonly string[], ctx: NameContext = {}): Promise<string> {
  if (typed.includes('/')) return resolveName(typed, { current: null, explicit: false }, known);
  const { project, explicit } = await currentProject(session, ctx, false);
  return resolveName(typed, { current: project, explicit }, known);
}
