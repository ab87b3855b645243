// Which directory makes a caller's project, and the project name it asks for: the berth.yaml
// around it (its `name:`, else its directory's name), else the top of the enclosing git
// worktree, else the directory itself. One function for the CLI/MCP (src/app/names.ts) and the
// library (src/index.ts), so that `leasePort('web')` and `berth port web` run in one directory
// name the same lease (decision 0016). Its own module: it loads the berth.yaml reader, which
// the rest of project.ts must not (spec.ts imports project.ts; load.ts imports spec.ts).
import { dirname } from 'node:path';
import { loadConfigFile } from './config/load.ts';
import { projectPlaceOf } from './project-place.ts';
import { projectNameOf } from './project.ts';

export function projectDirOf(cwd: string): { dir: string; wanted: string } | undefined {
  const place = projectPlaceOf(cwd);
  return place === undefined || !('file' in place) ? place : projectOfConfigFile(place.file);
}

/** The project a found config file makes: its directory, named by its `name:` or after the directory. */
export function projectOfConfigFile(file: string): { dir: string; wanted: string } {
  let named: string | undefined;
  try {
    named = loadConfigFile(file).name;
  } catch {
    // a broken berth.yaml still names its directory; `up` reports what is wrong with it
  }
  return { dir: dirname(file), wanted: named ?? projectNameOf(dirname(file)) };
}
