// A second Unix user for the tests that need one (another user's listener, a home owned by
// someone else). Only root can make one: the test is skipped with that reason otherwise. The
// user is created for the test and removed after it.
import { execFileSync } from 'node:child_process';
import { chownSync } from 'node:fs';
import type { TestContext } from 'node:test';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** argv prefix that runs a command as this user: [setpriv, --reuid, …, --] */
  as: string[];
  /** gives a path (and nothing below it) to this user */
  own(path: string): void;
}

/** Why a second user cannot be had here, or undefined when it can. */
export function noSecondUser(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a second user';
  try {
    execFileSync('useradd', ['--help'], { stdio: 'ignore' });
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'useradd or setpriv is missing';
  }
  return undefined;
}

let counter = 0;

/** Creates a user for this test (removed after it). Call only when noSecondUser() is undefined. */
export function secondUser(t: TestContext): OtherUser {
  const name = `berthadv${process.pid % 100000}x${counter++}`;
  // useradd takes a lock on /etc/passwd; tests running at the same moment retry
  retry(() => execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' }));
  t.after(() => retry(() => execFileSync('userdel', [name], { stdio: 'pipe' })));
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    as: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'],
    own: (path) => chownSync(path, uid, gid),
  };
}

function retry(fn: () => unknown): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      fn();
      return;
    } catch (err) {
      const text = String((err as { stderr?: Buffer }).stderr ?? err);
      if (!/lock|try again/i.test(text) || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}
