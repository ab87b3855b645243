// A hostile checkout around a holder's cwd: berth reads .git and HEAD of directories other users
// and programs write (inspect/git.ts). A FIFO must not hang it, a huge file must not be read
// whole, a device must not be opened for reading, and a pointer through /proc must not mislead
// it: /proc/PID/cwd (or /proc/self/cwd) leads into another process's directory, so a checkout
// could borrow the branch of whatever that process runs in. Each case answers at once with the
// worktree's top and an unknown branch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { GitReader } from '../../src/core/inspect/git.ts';
import { countHostile } from '../helpers/adversarial.ts';
import { tempDir } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

/** A directory holding a HEAD on branch `decoy`, and a process whose cwd it is: the branch a /proc pointer would borrow. */
function decoy(t: TestContext, root: string): { dir: string; pid: number } {
  const dir = join(root, 'decoy');
  mkdirSync(dir);
  writeFileSync(join(dir, 'HEAD'), 'ref: refs/heads/decoy\n');
  return { dir, pid: start(t, 'sleep', ['1000'], { cwd: dir }).pid };
}

/** A checkout whose .git is made by plant(top); the reader's answer for a directory inside it. */
function plantAndRead(root: string, name: string, plant: (top: string) => void): { top: string; info: ReturnType<GitReader['read']>; ms: number } {
  const top = join(root, name);
  mkdirSync(join(top, 'src'), { recursive: true });
  plant(top);
  const began = performance.now();
  const info = new GitReader().read(join(top, 'src'));
  return { top, info, ms: performance.now() - began };
}

/** A linked-worktree .git file naming gitdir, and that gitdir with the given HEAD writer. */
function pointerTo(top: string, gitdir: string): void {
  writeFileSync(join(top, '.git'), `gitdir: ${gitdir}\n`);
}

test('a FIFO, a huge file or a device as .git or HEAD: answered at once, branch unknown', (t) => {
  const root = tempDir(t);
  const fifo = (path: string): void => void execFileSync('mkfifo', [path]);
  const cases: Array<[string, (top: string) => void]> = [
    ['fifo-dotgit', (top) => fifo(join(top, '.git'))],
    ['fifo-head', (top) => {
      mkdirSync(join(top, '.git'));
      fifo(join(top, '.git', 'HEAD'));
    }],
    ['fifo-pointer-via-symlink', (top) => {
      fifo(join(root, 'a-fifo'));
      symlinkSync(join(root, 'a-fifo'), join(top, '.git'));
    }],
    ['huge-head', (top) => {
      mkdirSync(join(top, '.git'));
      // a valid first line, then 8 MiB: read whole, it would name a branch
      writeFileSync(join(top, '.git', 'HEAD'), `ref: refs/heads/huge\n${'x'.repeat(8 * 1024 * 1024)}`);
    }],
    ['huge-pointer', (top) => writeFileSync(join(top, '.git'), `gitdir: ${join(top, 'gd')}\n${'#'.repeat(8 * 1024 * 1024)}`)],
    ['zero-head', (top) => {
      mkdirSync(join(top, '.git'));
      symlinkSync('/dev/zero', join(top, '.git', 'HEAD'));
    }],
    ['zero-pointer', (top) => symlinkSync('/dev/zero', join(top, '.git'))],
    ['looping-pointer', (top) => {
      symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
      symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
      pointerTo(top, join(root, 'loop-a'));
    }],
    ['pointer-to-a-file', (top) => {
      writeFileSync(join(root, 'plain-file'), 'ref: refs/heads/not-a-dir\n');
      pointerTo(top, join(root, 'plain-file'));
    }],
  ];
  countHostile(t, cases.length, 'hostile .git and HEAD files: FIFOs, huge files, /dev/zero, loops');
  for (const [name, plant] of cases) {
    const { top, info, ms } = plantAndRead(root, name, plant);
    assert.deepEqual(info, { worktree: top, branch: null, detached: false }, name);
    assert.ok(ms < 1000, `${name}: answered in ${ms.toFixed(0)} ms`);
  }
});

test('a pointer through /proc borrows no other process\'s branch: gitdir, a symlinked .git, a symlink on the way, a symlinked HEAD', (t) => {
  const root = tempDir(t);
  const d = decoy(t, root);
  const viaProc = `/proc/${d.pid}/cwd`;
  // the control: a pointer to the decoy's own path is followed (git would follow it too), so each
  // case below would say "decoy" if berth followed the path through /proc
  assert.equal(plantAndRead(root, 'control', (top) => pointerTo(top, d.dir)).info?.branch, 'decoy');
  const cases: Array<[string, (top: string) => void]> = [
    ['gitdir-proc', (top) => pointerTo(top, viaProc)],
    ['gitdir-proc-self', (top) => pointerTo(top, '/proc/self/cwd')],
    ['gitdir-relative-into-proc', (top) => pointerTo(top, `${'../'.repeat(30)}proc/${d.pid}/cwd`)],
    ['dotgit-symlink-to-proc', (top) => symlinkSync(viaProc, join(top, '.git'))],
    ['gitdir-through-a-symlink-to-proc', (top) => {
      symlinkSync(viaProc, join(top, 'innocent'));
      pointerTo(top, join(top, 'innocent'));
    }],
    ['head-symlink-to-proc', (top) => {
      mkdirSync(join(top, '.git'));
      symlinkSync(join(viaProc, 'HEAD'), join(top, '.git', 'HEAD'));
    }],
    ['gitdir-sys', (top) => pointerTo(top, '/sys/kernel')],
    ['gitdir-dev', (top) => pointerTo(top, '/dev')],
  ];
  countHostile(t, cases.length, '.git pointers into /proc, /sys and /dev');
  for (const [name, plant] of cases) {
    const { top, info } = plantAndRead(root, name, plant);
    assert.deepEqual(info, { worktree: top, branch: null, detached: false }, name);
  }
});
