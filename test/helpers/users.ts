// A second Unix user for the tests that need one (another user's listener, a home owned by
// someone else). Only root can make one: the test is skipped with that reason otherwise. The
// user is created for the test and removed after it.
import { execFileSync } from 'node:child_process';
import { chownSync, readdirSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { stopPid } from './procs.ts';

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
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  t.after(async () => {
    // the user was made for this test, so whatever still runs as it was started by this test
    // (a daemon its berth started, say): stopped by pid, TERM then KILL, before the user goes
    await Promise.all(pidsOfUid(uid).map((pid) => stopPid(pid, 2000)));
    retry(() => execFileSync('userdel', [name], { stdio: 'pipe' }));
  });
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    as: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'],
    own: (path) => chownSync(path, uid, gid),
  };
}

function pidsOfUid(uid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
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
