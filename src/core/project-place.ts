// The first half of the project finder (project-dir.ts), which needs no YAML: the config file
// around a directory if there is one (its `name:` is then read by project-dir.ts), else the top
// of the enclosing git worktree, else the directory itself, named after itself. `berth run` and
// `berth port` outside a berth.yaml stop here and never load the YAML reader.
import { basename } from 'node:path';
import { findConfig } from './config/find.ts';
import { gitTopOf } from './inspect/git.ts';
import { projectNameOf } from './project.ts';

export type ProjectPlace = { file: string } | { dir: string; wanted: string };

export function projectPlaceOf(cwd: string): ProjectPlace | undefined {
  const file = findConfig(cwd);
  if (file !== undefined) return { file };
  const top = gitTopOf(cwd) ?? cwd;
  return basename(top) === '' ? undefined : { dir: top, wanted: projectNameOf(top) };
}
