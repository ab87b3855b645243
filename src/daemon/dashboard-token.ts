// The dashboard's token: 32 random bytes, hex, in $BERTH_HOME/dashboard.token. Created 0600 in
// the creating call (O_EXCL, never through a link), read back only from a regular file of ours
// with one link: another user cannot read it (the home is 0700 and the file 0600), and a file
// planted in its place is refused rather than trusted. It outlives the daemon, so a browser that
// holds the cookie keeps working across daemon restarts.
import { closeSync, constants, fstatSync, readSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BerthError, EXIT, isErrno } from '../core/errors.ts';
import { openChecked, openPrivateRead } from '../core/private-fs.ts';

export const TOKEN_FILE = 'dashboard.token';
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** The home's dashboard token, created on first use. */
export function loadOrCreateToken(home: string): string {
  const path = join(home, TOKEN_FILE);
  const existing = readToken(path);
  if (existing !== undefined) return existing;
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  let fd: number;
  try {
    fd = openChecked(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    // another daemon of this home cannot run; a file made between our read and create is judged as found
    if (isErrno(err, 'EEXIST')) return readToken(path) ?? unsafe(path, 'vanished while it was being created');
    throw err;
  }
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return token;
}

function readToken(path: string): string | undefined {
  const fd = openPrivateRead(path);
  if (fd === undefined) return undefined;
  try {
    // readable by others (chmod'ed after berth made it): the token may be known; refuse it
    if ((fstatSync(fd).mode & 0o077) !== 0) unsafe(path, 'is readable or writable by other users');
    const buf = Buffer.alloc(256);
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8').trim();
    return TOKEN_PATTERN.test(text) ? text : unsafe(path, 'does not hold a dashboard token');
  } finally {
    closeSync(fd);
  }
}

function unsafe(path: string, why: string): never {
  throw new BerthError('dashboard_failed', `will not use ${path}: it ${why}`, { hint: `remove it (rm ${path}) and run berth dashboard again: berth makes a new private one`, exitCode: EXIT.failure, details: { path } });
}
