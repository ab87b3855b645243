// A private TMPDIR per service, $BERTH_HOME/tmp/<service>, removed when it stops. tmp/ must be
// berth's own real directory: were it a symlink (say to a project), the recursive removal at
// every stop and `berth gc` would delete files berth never created. So tmp/ is lstat-checked
// before anything under it is made, listed or removed; an unsafe one is never followed.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, isPrivateDir } from '../private-fs.ts';

export function serviceTmpDir(home: string, name: string): string {
  return join(home, 'tmp', name);
}

/** Creates tmp/ and tmp/<name> (0700) unless there; throws StateUnsafeError if either is not berth's own directory. */
export function ensureServiceTmp(home: string, name: string): string {
  ensurePrivateDir(join(home, 'tmp'));
  const dir = serviceTmpDir(home, name);
  ensurePrivateDir(dir);
  return dir;
}

/** Removes tmp/<name>, only through a tmp/ that is berth's own directory (a link named <name> is removed, not followed). */
export function removeServiceTmp(home: string, name: string): void {
  if (!isPrivateDir(join(home, 'tmp'))) return;
  rmSync(serviceTmpDir(home, name), { recursive: true, force: true });
}

/** The names under tmp/, or none if tmp/ is missing or not berth's own directory. */
export function listServiceTmps(home: string): string[] {
  const tmp = join(home, 'tmp');
  return isPrivateDir(tmp) ? readdirSync(tmp) : [];
}
