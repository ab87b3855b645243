// Locks as flock(2) on files of the home (BERTH_LOCKS=flock, the default where there is no
// abstract socket namespace): the same guarantees as the socket locks (the command holds the
// lock past a SIGKILL of `berth lock`, the holder is named, the kernel frees it when the holder
// dies), lock files never followed through a symlink, names that cannot leave locks/, and
// clients or daemons that disagree on BERTH_LOCKS never both holding one lock or one home.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { escapeLockName, lockFilePath, locksDir, tryFlock, unescapeLockFile } from '../../src/core/locks/flock.ts';
import { daemonEnvironment } from '../../src/client/daemon-launch.ts';
import { daemonLockPath } from '../../src/core/locks/daemon-lock.ts';
import { daemonAddress, tryBindAddress } from '../../src/core/locks/named-lock.ts';
import { CLI, berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { afterOutput, start, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const DAEMON = fileURLToPath(new URL('../../dist/bundle/berthd.cjs', import.meta.url));

test('lock names escape to file names that stay in locks/ and read back', () => {
  for (const name of ['web', 'api.v2', 'db_1', 'gpu#3', '../x', '..', '.', 'a/b', 'é%', 'x'.repeat(64) + '#1024']) {
    const file = escapeLockName(name) + '.lock';
    assert.ok(!file.includes('/') && !file.startsWith('.'), `${name} → ${file}`);
    assert.equal(dirname(lockFilePath('/h', name)), locksDir('/h'));
    assert.equal(unescapeLockFile(file), name);
    assert.ok(Buffer.byteLength(file) <= 255);
  }
  assert.equal(escapeLockName('gpu#3'), 'gpu%233');
  assert.equal(escapeLockName('..'), '%2E.');
  assert.equal(unescapeLockFile('berthd.sock'), undefined);
});

test('a daemon started on demand gets the caller\'s BERTH_LOCKS (its service slots are of the same kind)', () => {
  assert.equal(daemonEnvironment({ BERTH_LOCKS: 'flock', BERTH_SERVICE: 'p/x' }, '/h').BERTH_LOCKS, 'flock');
});

test('BERTH_LOCKS other than abstract or flock is a usage error (exit 2)', async (t) => {
  const { env } = tempHome(t);
  const r = await berth(['lock', 'x', '--', 'true'], { env: { ...env, BERTH_LOCKS: 'fcntl' } });
  assert.equal(r.code, 2, r.toString());
  assert.match(r.stderr, /invalid BERTH_LOCKS "fcntl"/);
});

test('flock: the command holds the lock past a SIGKILL of berth lock, is named by lock and locks, and frees it when it dies', async (t) => {
  const { env: base, home } = tempHome(t);
  const env = { ...base, BERTH_LOCKS: 'flock' };
  const sleepArgv = ['sleep', `31.${process.pid}`];
  const wrapper = start(t, process.execPath, [CLI, 'lock', 'K', '--', ...sleepArgv], { env });
  const sleepPid = await waitFor(() => pidsWithArgv(sleepArgv)[0], { what: 'the guarded command' });
  t.after(() => stopPid(sleepPid));
  const file = lockFilePath(home, 'K');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(locksDir(home)).mode & 0o777, 0o700);

  wrapper.child.kill('SIGKILL');
  await wrapper.exited;
  const late = ok(await berth(['lock', 'K', '--json', '--', 'true'], { env })).json();
  assert.deepEqual([late.acquired, late.holder.pid, late.holder.command], [false, sleepPid, sleepArgv.join(' ')]);
  const locks = ok(await berth(['locks', '--json'], { env })).json();
  assert.deepEqual(locks.named.map((l: { name: string; pid: number }) => [l.name, l.pid]), [['K', sleepPid]]);
  // the default kind on Linux (abstract) sees the flock too: never two holders
  const other = ok(await berth(['lock', 'K', '--json', '--', 'true'], { env: { ...base, BERTH_LOCKS: 'abstract' } })).json();
  assert.deepEqual([other.acquired, other.holder?.pid], [false, sleepPid]);

  process.kill(sleepPid, 'SIGKILL');
  const again = await waitFor(
    async () => {
      const r = ok(await berth(['lock', 'K', '--json', '--', 'true'], { env })).json();
      return r.acquired ? r : undefined;
    },
    { what: 'the lock to be free once its holder died' },
  );
  assert.equal(again.exitCode, 0);
  assert.deepEqual(ok(await berth(['locks', '--json'], { env })).json().named, []);
});

test('abstract holder, flock taker: the taker is refused and names the holder', async (t) => {
  const { env: base } = tempHome(t);
  const sleepArgv = ['sleep', `32.${process.pid}`];
  start(t, process.execPath, [CLI, 'lock', 'M', '--', ...sleepArgv], { env: { ...base, BERTH_LOCKS: 'abstract' } });
  const sleepPid = await waitFor(() => pidsWithArgv(sleepArgv)[0], { what: 'the guarded command' });
  t.after(() => stopPid(sleepPid));
  const r = ok(await berth(['lock', 'M', '--json', '--', 'true'], { env: { ...base, BERTH_LOCKS: 'flock' } })).json();
  assert.deepEqual([r.acquired, r.holder?.pid], [false, sleepPid]);
});

test('a lock file planted as a symlink is never followed: state_unsafe, exit 2, the target untouched', async (t) => {
  const { env: base, home } = tempHome(t);
  const env = { ...base, BERTH_LOCKS: 'flock' };
  mkdirSync(locksDir(home), { recursive: true, mode: 0o700 });
  const outside = join(tempDir(t), 'precious');
  writeFileSync(outside, 'keep');
  symlinkSync(outside, lockFilePath(home, 'S'));
  const dangling = join(tempDir(t), 'never-created');
  symlinkSync(dangling, lockFilePath(home, 'D'));
  for (const name of ['S', 'D']) {
    const r = await berth(['lock', name, '--json', '--', 'true'], { env });
    assert.equal(r.code, 2, r.toString());
    assert.equal(r.json().error.code, 'state_unsafe');
  }
  assert.equal(readFileSync(outside, 'utf8'), 'keep');
  assert.equal(existsSync(dangling), false);
});

test('perl helper: a flock taken by a helper process stays with our descriptor and excludes berth lock', async (t) => {
  const { env: base, home } = tempHome(t);
  const held = await tryFlock(home, lockFilePath(home, 'P'), 'perl');
  assert.ok(held, 'the helper took the free lock');
  const busy = ok(await berth(['lock', 'P', '--json', '--', 'true'], { env: { ...base, BERTH_LOCKS: 'flock' } })).json();
  assert.deepEqual([busy.acquired, busy.holder?.pid], [false, process.pid]);
  assert.equal(await tryFlock(home, lockFilePath(home, 'P'), 'perl'), undefined, 'a second helper is refused');
  await held.close();
  const free = ok(await berth(['lock', 'P', '--json', '--', 'true'], { env: { ...base, BERTH_LOCKS: 'flock' } })).json();
  assert.equal(free.acquired, true);
});

function runDaemon(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DAEMON], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    afterOutput(child, (code) => resolve({ code, out }));
  });
}

test('one daemon per home whatever BERTH_LOCKS says: it takes berthd.lock and, on Linux, the abstract socket', async (t) => {
  const { env: base, home } = daemonHome(t);
  const first = ok(await berth(['daemon', 'start', '--json'], { env: { ...base, BERTH_LOCKS: 'abstract' } })).json();
  for (const kind of ['flock', 'abstract']) {
    assert.deepEqual(await runDaemon({ ...base, BERTH_LOCKS: kind }), { code: 0, out: `berthd already running (pid ${first.pid}) for ${home}\n` });
  }
  ok(await berth(['daemon', 'stop'], { env: base }));

  // Either lock alone held by someone else keeps a new daemon out, and it lets go of the other.
  const file = await tryFlock(home, daemonLockPath(home));
  assert.ok(file);
  assert.deepEqual(await runDaemon({ ...base, BERTH_LOCKS: 'abstract' }), { code: 0, out: `berthd already running (pid ${process.pid}) for ${home}\n` });
  assert.equal(existsSync(join(home, 'berthd.sock')), false);
  await file.close();
  const socket = await tryBindAddress(daemonAddress(home));
  assert.ok(socket);
  const refused = await runDaemon({ ...base, BERTH_LOCKS: 'flock' });
  assert.match(refused.out, /^berthd already running/);
  assert.ok(await tryFlock(home, daemonLockPath(home)).then(async (h) => (await h?.close(), h !== undefined)), 'the refused daemon released berthd.lock');
  await socket.close();
});
