import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ProcessGoneError, SignalRefusedError } from '../../src/core/errors.ts';
import { isAlive, readIdentity } from '../../src/core/identity.ts';
import { parseStat } from '../../src/core/inspect/proc/procfs.ts';
import { signalProcess } from '../../src/core/signal.ts';
import { start } from '../helpers/procs.ts';

test('parseStat survives a comm with spaces and parentheses', () => {
  const s = parseStat('4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10');
  assert.deepEqual([s?.pid, s?.comm, s?.state, s?.ppid, s?.pgid, s?.sid, s?.startTicks], [4242, 'my (odd) name', 'S', 1, 4242, 4242, 987654]);
});

test('an identity is alive only while pid, start time and boot id all match', () => {
  const me = readIdentity(process.pid)!;
  assert.ok(me.startTicks > 0 && me.bootId.length > 0);
  assert.equal(isAlive(me), true);
  assert.equal(isAlive({ ...me, startTicks: me.startTicks + 1 }), false, 'another start time: pid reused');
  assert.equal(isAlive({ ...me, bootId: 'another-boot' }), false);
  assert.equal(readIdentity(0), undefined);
});

test('PID reuse: a live pid with another start time is never signalled', async (t) => {
  const sleeper = start(t, 'sleep', ['30']);
  const real = readIdentity(sleeper.pid)!;
  assert.throws(() => signalProcess({ ...real, startTicks: real.startTicks - 1 }, 'SIGTERM'), ProcessGoneError);
  assert.equal(sleeper.status(), undefined, 'still running');
  signalProcess(real, 'SIGTERM');
  assert.equal((await sleeper.exited).signal, 'SIGTERM');
  assert.throws(() => signalProcess(real, 'SIGTERM'), ProcessGoneError);
});

test('pid 1, berth itself and its ancestors are refused', () => {
  const refuse = (pid: number, reason: string): void =>
    assert.throws(() => signalProcess(readIdentity(pid) ?? { pid, startTicks: 0, bootId: '' }, 'SIGTERM'), (e: unknown) => e instanceof SignalRefusedError && e.reason === reason);
  refuse(1, 'pid1');
  refuse(process.pid, 'self');
  refuse(process.ppid, 'ancestor');
});

test('a process group is signalled only through its leader', async (t) => {
  const leader = start(t, 'sh', ['-c', 'sleep 30 & sleep 30; wait'], { detached: true });
  const identity = readIdentity(leader.pid)!;
  signalProcess(identity, 'SIGKILL', { group: true });
  assert.equal((await leader.exited).signal, 'SIGKILL');
  const child = spawn('sleep', ['30']);
  t.after(() => child.kill('SIGKILL'));
  assert.throws(() => signalProcess(readIdentity(child.pid!)!, 'SIGTERM', { group: true }), ProcessGoneError);
});
