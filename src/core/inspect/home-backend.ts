// A berth home is judged by one inspection backend for its whole life. The proc backend records
// a process's start in clock ticks and the boot by the kernel's boot_id; the portable one to the
// second and by the boot time: the same process has two different identities. Were a home's
// records (services, locks, owners) read by the other backend, every recorded process would look
// gone (another boot) and be dropped, restarted or reaped while it runs. So the home records the
// backend that first used it (the file `inspect-backend`), and berth refuses, with exit 2, to use
// it with the other one (docs/decisions/0027-inspection-backends.md).
import { closeSync, constants, linkSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, EXIT, isErrno } from '../errors.ts';
import { registryPath } from '../home.ts';
import { lstatOrUndefined, openChecked } from '../private-fs.ts';
import type { BackendName } from './backend.ts';
import { BACKEND_NAMES, backendName } from './select.ts';

export const BACKEND_FILE = 'inspect-backend';

export class InspectBackendMismatchError extends BerthError {
  constructor(home: string, recorded: string, current: BackendName) {
    super('inspect_backend_mismatch', `the berth home ${home} is judged with the ${recorded} inspection backend, not ${current}: the same process has another identity in each, so its records would look gone`, {
      hint: (BACKEND_NAMES as readonly string[]).includes(recorded)
        ? `run with BERTH_INSPECT=${recorded} (or unset BERTH_INSPECT where that is the default), or use another BERTH_HOME`
        : `use another BERTH_HOME (${join(home, BACKEND_FILE)} names no backend berth knows)`,
      exitCode: EXIT.usage,
      details: { home, recorded, current },
    });
  }
}

function readRecorded(home: string): string | undefined {
  try {
    return readFileSync(join(home, BACKEND_FILE), 'utf8').trim();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** checkHomeBackend for a home as it is now: it had records if its registry has any bytes. */
export function checkHomeBackendOf(home: string): void {
  checkHomeBackend(home, (lstatOrUndefined(registryPath(home))?.size ?? 0) > 0);
}

/**
 * Checks that this process's backend is the home's, recording it on first use. `hadRecords`: the
 * registry existed before this open; a home with records and no file is from before issue 16,
 * when berth read /proc only, so it is a proc home. Throws InspectBackendMismatchError.
 */
export function checkHomeBackend(home: string, hadRecords: boolean, current: BackendName = backendName()): void {
  let recorded = readRecorded(home);
  if (recorded === undefined) {
    const claim = hadRecords ? 'proc' : current;
    // Written whole to a file of our own, then linked into place: a berth starting at the same
    // moment reads the complete word or no file, never an empty one (link fails if one exists).
    // node:crypto is loaded here, not at import: only a home's first use writes this file
    const temp = join(home, `.${BACKEND_FILE}.${process.pid}.${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}`);
    try {
      const fd = openChecked(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        writeSync(fd, `${claim}\n`);
      } finally {
        closeSync(fd);
      }
      linkSync(temp, join(home, BACKEND_FILE));
      recorded = claim;
    } catch (err) {
      if (err instanceof BerthError) throw err;
      // another berth recorded it meanwhile: its word stands; a read-only home: judge by the claim
      recorded = (isErrno(err, 'EEXIST') ? readRecorded(home) : undefined) ?? claim;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  if (recorded !== current) throw new InspectBackendMismatchError(home, recorded, current);
}
