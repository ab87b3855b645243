// The git worktree and branch of a directory, read from .git and HEAD (inspect/git.ts): a real
// repository made by git, a linked worktree, a detached HEAD, a submodule-style .git file, and
// the cache that makes a listing read each cwd's files once and sees a switched branch after
// its TTL.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GitReader, gitTopOf, parseHead } from '../../src/core/inspect/git.ts';
import { git, makeCheckouts } from '../helpers/git.ts';
import { tempDir } from '../helpers/home.ts';

test('a repository on a branch, a linked worktree and a detached HEAD are read as git reads them', (t) => {
  const c = makeCheckouts(tempDir(t));
  const reader = new GitReader();
  assert.deepEqual(reader.read(join(c.main, 'src')), { worktree: c.main, branch: 'feature-x', detached: false });
  assert.deepEqual(reader.read(c.linked), { worktree: c.linked, branch: 'linked-y', detached: false });
  const short = git(c.detached, ['rev-parse', '--short=7', 'HEAD']);
  assert.deepEqual(reader.read(c.detached), { worktree: c.detached, branch: short, detached: true });
  assert.equal(gitTopOf(join(c.main, 'src')), c.main);
});

test('a directory in no worktree, a relative path and null have no git', (t) => {
  const dir = tempDir(t);
  const reader = new GitReader();
  // the temporary directory's ancestors are not a checkout on this machine; if one were, this test would say so
  assert.equal(reader.read(dir), null);
  assert.equal(reader.read('relative/dir'), null);
  assert.equal(reader.read(null), null);
});

test('a submodule-style .git file with a relative gitdir is followed', (t) => {
  const root = tempDir(t);
  const gitdir = join(root, 'super', '.git', 'modules', 'lib');
  mkdirSync(gitdir, { recursive: true });
  writeFileSync(join(gitdir, 'HEAD'), 'ref: refs/heads/vendored\n');
  const top = join(root, 'super', 'lib');
  mkdirSync(top, { recursive: true });
  writeFileSync(join(top, '.git'), 'gitdir: ../.git/modules/lib\n');
  assert.deepEqual(new GitReader().read(top), { worktree: top, branch: 'vendored', detached: false });
});

test('an answer is reused within the TTL and read again after it: a switched branch shows within seconds', (t) => {
  const c = makeCheckouts(tempDir(t));
  let now = 1_000_000;
  const reader = new GitReader({ ttlMs: 2000, now: () => now });
  assert.equal(reader.read(c.main)?.branch, 'feature-x');
  git(c.main, ['checkout', '-q', '-b', 'switched']);
  now += 1999;
  assert.equal(reader.read(c.main)?.branch, 'feature-x', 'within the TTL: cached, not re-read');
  now += 1;
  assert.equal(reader.read(c.main)?.branch, 'switched', 'after the TTL: read again');
});

test('HEAD is parsed as a branch, a detached commit (SHA-1 or SHA-256), or nothing', () => {
  assert.deepEqual(parseHead('ref: refs/heads/feat/a-b\n'), { branch: 'feat/a-b', detached: false });
  assert.deepEqual(parseHead(`${'a'.repeat(40)}\n`), { branch: 'aaaaaaa', detached: true });
  assert.deepEqual(parseHead(`${'b'.repeat(64)}\n`), { branch: 'bbbbbbb', detached: true });
  assert.deepEqual(parseHead('ref: refs/remotes/origin/main\n'), { branch: null, detached: false });
  assert.deepEqual(parseHead('ref: refs/heads/evil\u001b[2J\n'), { branch: null, detached: false });
  assert.deepEqual(parseHead('not a head'), { branch: null, detached: false });
  assert.deepEqual(parseHead(undefined), { branch: null, detached: false });
});
