// The program of an exported unit must be an absolute path: systemd refuses `ExecStart=./worker.sh`
// and looks a bare `python3` up in its own PATH, not the one berth ran the service with, and
// launchd has no PATH of the service at all. So argv[0] is resolved when the unit is written: a
// path with a slash against the service's cwd, a bare name in the service's PATH (its env, else
// the caller's). A name found nowhere is an error that names it, not a unit that fails at boot.
import { isAbsolute, join, resolve } from 'node:path';
import { NotFoundError } from '../core/errors.ts';
import { isExecutable } from '../core/executable.ts';

/** argv[0] as an absolute path, or NotFoundError naming it. */
export function resolveProgram(program: string, cwd: string, path: string | undefined, service: string): string {
  if (program.includes('/')) return isAbsolute(program) ? program : resolve(cwd, program);
  for (const dir of (path ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(isAbsolute(dir) ? dir : resolve(cwd, dir), program);
    if (isExecutable(candidate)) return candidate;
  }
  throw new NotFoundError(
    `cannot export ${service}: its command ${JSON.stringify(program)} is not found in PATH`,
    'install it, or write its absolute path in run: (a unit needs an absolute program path)',
    { service, command: program },
  );
}
