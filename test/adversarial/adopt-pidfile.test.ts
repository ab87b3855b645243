// What `berth adopt --pidfile` trusts (adversarial review of issue 13, #5, and the new-user
// trial #8, #9): a pidfile, or a symlink on its path, owned by another user is not evidence of
// what you started; an mtime in the future bounds nothing; a reused pid's hint must not offer
// --pid (which would adopt the unrelated process); and re-adopting says the output warning no more.
import assert from 'node:assert/strict';
import { chownSync, lchownSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

const notRoot = process.getuid?.() !== 0 && 'needs root to hand a file to another user';
const NOBODY = 65534;

function sleeper(t: Parameters<typeof daemonHome>[0], env: NodeJS.ProcessEnv) {
  return start(t, 'sleep', ['1041'], { env });
}

test('a pidfile owned by another user, or a symlink to ours owned by another user, is refused', { skip: notRoot }, async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const server = sleeper(t, env);
  const file = join(dir, 'theirs.pid');
  writeFileSync(file, `${server.pid}\n`);
  chownSync(file, NOBODY, NOBODY);
  const r = await berth(['adopt', 'theirs', '--pidfile', file, '--json'], { env });
  assert.equal(r.code, 2, r.toString());
  assert.equal(r.json().error.code, 'invalid_pidfile', r.toString());
  assert.equal(r.json().error.details.reason, 'other_owner', r.toString());

  const ours = join(dir, 'ours.pid');
  writeFileSync(ours, `${server.pid}\n`);
  const link = join(dir, 'link.pid');
  symlinkSync(ours, link);
  lchownSync(link, NOBODY, NOBODY);
  const viaLink = await berth(['adopt', 'linked', '--pidfile', link, '--json'], { env });
  assert.equal(viaLink.json().error?.details?.reason, 'other_owner', viaLink.toString());
});

test('a pidfile written in the future is stale (mtime_in_future)', async (t) => {
  const { env } = daemonHome(t);
  const server = sleeper(t, env);
  const file = join(tempDir(t), 'future.pid');
  writeFileSync(file, `${server.pid}\n`);
  const future = new Date(Date.now() + 3600_000);
  utimesSync(file, future, future);
  const r = await berth(['adopt', 'future', '--pidfile', file, '--json'], { env });
  assert.equal(r.code, 4, r.toString());
  assert.equal(r.json().error.code, 'pidfile_stale', r.toString());
  assert.equal(r.json().error.details.reason, 'mtime_in_future', r.toString());
});

test('the hint for a reused pid offers --port, never --pid', async (t) => {
  const { env } = daemonHome(t);
  const server = sleeper(t, env);
  const file = join(tempDir(t), 'old.pid');
  writeFileSync(file, `${server.pid}\n`);
  const past = new Date(Date.now() - 3600_000);
  utimesSync(file, past, past);
  const r = await berth(['adopt', 'old', '--pidfile', file, '--json'], { env });
  assert.equal(r.json().error.details.reason, 'started_after_file', r.toString());
  assert.match(r.json().error.hint, /--port/);
  assert.doesNotMatch(r.json().error.hint, /--pid/, 'adopting the reused pid would take an unrelated process');
});

test('adopting the same process again (already_adopted) does not repeat the output warning', async (t) => {
  const { env } = daemonHome(t);
  const server = sleeper(t, env);
  const first = ok(await berth(['adopt', 'again', '--pid', String(server.pid), '--json'], { env })).json();
  assert.equal(first.outcome, 'adopted');
  assert.equal(first.warnings.length, 1, 'said once, when adopting');
  const second = ok(await berth(['adopt', 'again', '--pid', String(server.pid), '--json'], { env })).json();
  assert.equal(second.outcome, 'already_adopted');
  assert.deepEqual(second.warnings, []);
  const human = ok(await berth(['adopt', 'again', '--pid', String(server.pid)], { env }));
  assert.doesNotMatch(human.stdout + human.stderr, /does not have its output/);
});
