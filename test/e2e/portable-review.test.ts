// What the adversarial review of issue 16 found in the portable backend and the flock locks,
// each pinned: an environment variable named twice in `ps eww` output is read as neither (a
// value holding " BERTH_INSTANCE=…" must never make a stranger an instance member); ps's
// start times are read in UTC whatever the zone; a lock file whose holder lsof cannot see is
// held, not free, for an abstract-socket taker; the daemon is recognised by its lock file under
// a home reached through a symlink.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEnvTail } from '../../src/core/inspect/portable/environ.ts';
import { parseLstart } from '../../src/core/inspect/portable/ps.ts';
import { lockFilePath, tryFlock } from '../../src/core/locks/flock.ts';
import { daemonLockPath } from '../../src/core/locks/daemon-lock.ts';
import { berthProcessCheck } from '../../src/core/protect.ts';
import { berth, ok } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';

test('ps eww: a variable named twice (a value holding " NAME=") is read as neither', () => {
  const env = parseEnvTail('sleep 20 Z=q BERTH_INSTANCE=other BERTH_INSTANCE=real HOME=/h', 'sleep 20');
  assert.equal(env.BERTH_INSTANCE, undefined);
  assert.equal(env.HOME, '/h');
  assert.equal(parseEnvTail('sleep 20 B=two words C=3', 'sleep 20').B, 'two words');
});

test("ps lstart is read as UTC (ps runs with TZ=UTC0), not in Node's zone", () => {
  assert.equal(parseLstart(['Tue', 'Nov', '24', '00:04:54', '2026']), Date.UTC(2026, 10, 24, 0, 4, 54) / 1000);
});

test('a lock file taken by a helper that has exited (lsof shows no lock) is held for an abstract taker under the portable backend', async (t) => {
  const { env, home } = tempHome(t);
  const held = await tryFlock(home, lockFilePath(home, 'P'), 'perl');
  assert.ok(held);
  t.after(() => held.close());
  const r = ok(await berth(['lock', 'P', '--json', '--', 'true'], { env: { ...env, BERTH_INSPECT: 'portable', BERTH_LOCKS: 'abstract' } })).json();
  assert.equal(r.acquired, false, JSON.stringify(r));
});

test("the daemon's lock file is recognised under a home reached through a symlink", async (t) => {
  const dir = tempDir(t);
  const real = join(dir, 'real', 'h');
  mkdirSync(real, { recursive: true, mode: 0o700 });
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  const held = await tryFlock(real, daemonLockPath(real));
  assert.ok(held);
  t.after(() => held.close());
  assert.equal(berthProcessCheck(join(dir, 'link', 'h'))(process.pid), 'daemon');
});
