// The inspection backend (issue 16, docs/decisions/0027-inspection-backends.md): BERTH_INSPECT
// chooses it or is refused; a home is judged by one backend for its life (a proc identity and a
// portable one differ for the same process, so mixing them would make live processes look gone);
// the daemon is started with its client's backend.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { daemonEnvironment } from '../../src/client/daemon-launch.ts';
import { checkHomeBackend, BACKEND_FILE } from '../../src/core/inspect/home-backend.ts';
import { chooseBackend, inspect } from '../../src/core/inspect/select.ts';
import { BerthError } from '../../src/core/errors.ts';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempHome } from '../helpers/home.ts';

test('BERTH_INSPECT chooses the backend; on Linux with /proc the default is proc; anything else is a usage error', async (t) => {
  assert.equal(chooseBackend({}), 'proc');
  assert.equal(chooseBackend({ BERTH_INSPECT: 'portable' }), 'portable');
  assert.equal(chooseBackend({ BERTH_INSPECT: 'proc' }), 'proc');
  assert.throws(() => chooseBackend({ BERTH_INSPECT: 'lsof' }), (err: BerthError) => err.code === 'invalid_inspect_backend' && err.exitCode === 2 && /proc or portable/.test(err.hint ?? ''));
  if (process.env.BERTH_INSPECT === undefined) assert.equal(inspect().name, 'proc');

  const { env } = tempHome(t);
  const r = await berth(['who', '1', '--json'], { env: { ...env, BERTH_INSPECT: 'lsof' } });
  assert.equal(r.code, 2, r.toString());
  assert.equal(r.json().error.code, 'invalid_inspect_backend', r.toString());
});

test('a home used with one backend refuses the other (exit 2), and says which one to use', async (t) => {
  const { home, env } = daemonHome(t); // the daemon its first verbs start is stopped when the test ends
  const proc = { ...env, BERTH_INSPECT: 'proc' };
  ok(await berth(['port', 'web', '--json'], { env: proc }));
  assert.equal(readFileSync(join(home, BACKEND_FILE), 'utf8').trim(), 'proc', 'the home records the backend that first used it');
  ok(await berth(['ps', '--json'], { env: proc }));

  // the same home as a portable berth would have left it (that backend is part P's: the file is
  // what this check reads, whichever backend wrote it)
  writeFileSync(join(home, BACKEND_FILE), 'portable\n');
  for (const args of [['ps', '--json'], ['port', 'web', '--json'], ['who', '1', '--json']]) {
    const r = await berth(args, { env: proc });
    assert.equal(r.code, 2, r.toString());
    const error = r.json().error;
    assert.equal(error.code, 'inspect_backend_mismatch', r.toString());
    assert.match(error.hint, /BERTH_INSPECT=portable/);
  }
  assert.throws(() => checkHomeBackend(home, true, 'proc'), (err: BerthError) => err.code === 'inspect_backend_mismatch' && (err.details as { current: string }).current === 'proc');
});

test('a home from before issue 16 (records, no backend file) is a proc home', async (t) => {
  const { home, env } = daemonHome(t);
  ok(await berth(['port', 'web', '--json'], { env: { ...env, BERTH_INSPECT: 'proc' } }));
  rmSync(join(home, BACKEND_FILE));
  assert.throws(() => checkHomeBackend(home, true, 'portable'), (err: BerthError) => err.code === 'inspect_backend_mismatch' && (err.details as { recorded: string }).recorded === 'proc');
  assert.equal(readFileSync(join(home, BACKEND_FILE), 'utf8').trim(), 'proc');
  // a new home takes the backend that first opens it
  const fresh = join(home, 'fresh');
  mkdirSync(fresh, { mode: 0o700 });
  checkHomeBackend(fresh, false, 'portable');
  assert.ok(existsSync(join(fresh, BACKEND_FILE)));
  assert.equal(readFileSync(join(fresh, BACKEND_FILE), 'utf8').trim(), 'portable');
  assert.throws(() => checkHomeBackend(fresh, true, 'proc'), (err: BerthError) => err.code === 'inspect_backend_mismatch');
});

test('the daemon is started with its client backend (BERTH_INSPECT) and lock kind (BERTH_LOCKS)', () => {
  assert.equal(daemonEnvironment({ BERTH_INSPECT: 'portable', BERTH_LOCKS: 'flock' }, '/h').BERTH_INSPECT, 'portable');
  assert.equal(daemonEnvironment({ BERTH_INSPECT: 'portable', BERTH_LOCKS: 'flock' }, '/h').BERTH_LOCKS, 'flock');
  assert.equal(daemonEnvironment({}, '/h').BERTH_INSPECT, chooseBackend({}), 'an unforced client names the backend it chose');
});

test('a profiled call does not leave the daemon it starts profiling (BERTH_PROFILE only with BERTH_PROFILE_DAEMON=1)', () => {
  assert.equal(daemonEnvironment({ BERTH_PROFILE: '1' }, '/h').BERTH_PROFILE, undefined);
  assert.equal(daemonEnvironment({ BERTH_PROFILE: '1', BERTH_PROFILE_DAEMON: '1' }, '/h').BERTH_PROFILE, '1');
});
