// A private TMPDIR per service, $BERTH_HOME/tmp/<project>/<service>, removed when it stops. tmp/
// (and each tmp/<project>) must be berth's own real directory: were one a symlink (say to a
// project), the recursive removal at every stop and `berth gc` would delete files berth never
// created. So each is lstat-checked before anything under it is made, listed or removed; an
// unsafe one is never followed. A name recorded before projects (no '/') keeps tmp/<service>.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, isPrivateDir } from '../private-fs.ts';
import { splitName } from '../project.ts';

export function serviceTmpDir(home: string, name: string): string {
  return join(home, 'tmp', name);
}

/** Creates tmp/, tmp/<project> and tmp/<project>/<service> (0700) unless there; throws StateUnsafeError if one is not berth's own directory. */
export function ensureServiceTmp(home: string, name: string): string {
  ensurePrivateDir(join(home, 'tmp'));
  const { project } = splitName(name);
  if (project !== null) ensurePrivateDir(join(home, 'tmp', project));
  const dir = serviceTmpDir(home, name);
  ensurePrivateDir(dir);
  return dir;
}

/** Removes tmp/<name>, only through directories that are berth's own (a link named <service> is removed, not followed). */
export function removeServiceTmp(home: string, name: string): void {
  if (!isPrivateDir(join(home, 'tmp'))) return;
  const { project } = splitName(name);
  if (project !== null && !isPrivateDir(join(home, 'tmp', project))) return;
  rmSync(serviceTmpDir(home, name), { recursive: true, force: true });
}

/**
 * The service names under tmp/ (project/service, and bare ones of older records), or none if
 * tmp/ is missing or not berth's own directory. `projects` tells a project's directory from an
 * older service's own TMPDIR.
 */
export function listServiceTmps(home: string, projects: ReadonlySet<string>): string[] {
  const tmp = join(home, 'tmp');
  if (!isPrivateDir(tmp)) return [];
  const names: string[] = [];
  for (const entry of readdirSync(tmp)) {
    if (projects.has(entry) && isPrivateDir(join(tmp, entry))) names.push(...readdirSync(join(tmp, entry)).map((s) => `${entry}/${s}`));
    else names.push(entry);
  }
  return names;
}
