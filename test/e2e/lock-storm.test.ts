// 30 contenders for one lock: exactly one runs; the lock survives SIGKILL of the berth that
// won (its command holds it); when the command ends, a waiting contender takes it promptly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLI, berth } from '../helpers/cli.ts';
import { tempHome } from '../helpers/home.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { isRunning, type Proc, start, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

test('lock storm: 30 concurrent `berth lock X -- sleep`, SIGKILL of the winner, hand-over to a waiter', async (t) => {
  const { env } = tempHome(t);
  const sleepArgv = ['sleep', `30.${process.pid}`];
  const contenders: Proc[] = [];
  for (let i = 0; i < 30; i++) contenders.push(start(t, process.execPath, [CLI, 'lock', 'X', '--', ...sleepArgv], { env }));

  // 29 of them exit 0 saying who holds it; one stays, running the command.
  const exits = await waitFor(
    () => {
      const settled = contenders.map((c) => c.status());
      return settled.filter((e) => e !== undefined).length === 29 ? settled : undefined;
    },
    { timeoutMs: 60_000, what: '29 contenders to give up' },
  );
  const winner = contenders[exits.findIndex((e) => e === undefined)]!;
  const sleeps = pidsWithArgv(sleepArgv);
  assert.equal(sleeps.length, 1, `exactly one sleep runs: ${sleeps}`);
  const sleepPid = sleeps[0]!;
  t.after(() => stopPid(sleepPid));
  for (const [i, c] of contenders.entries()) {
    if (c === winner) continue;
    assert.equal(exits[i]!.code, 0, c.output());
    assert.match(c.output(), new RegExp(`^already running \\(pid ${sleepPid}\\): sleep 30\\.\\d+\\n$`));
  }

  // SIGKILL the berth that won: the command lives on and still holds the lock.
  winner.child.kill('SIGKILL');
  await winner.exited;
  assert.ok(isRunning(sleepPid), 'the command outlives its berth');
  for (let i = 0; i < 5; i++) {
    const late = await berth(['lock', 'X', '--json', '--', 'true'], { env });
    assert.equal(late.code, 0, late.toString());
    assert.deepEqual([late.json().acquired, late.json().holder.pid], [false, sleepPid]);
  }
  assert.deepEqual(pidsWithArgv(sleepArgv), [sleepPid], 'still exactly one');
  const locks = (await berth(['locks', '--json'], { env })).json();
  assert.deepEqual(locks.named.map((l: { name: string; pid: number }) => [l.name, l.pid]), [['X', sleepPid]]);

  // Waiters: when the command ends, exactly one of them takes the lock, promptly.
  const waiters = [0, 1, 2].map(() => start(t, process.execPath, [CLI, 'lock', 'X', '--wait', '60s', '--', 'sh', '-c', 'echo acquired; exec sleep 30'], { env }));
  await waitFor(() => pidsWithArgv([process.execPath, CLI, 'lock', 'X', '--wait', '60s', '--', 'sh', '-c', 'echo acquired; exec sleep 30']).length === 3, { what: 'waiters to start' });
  // give every waiter time to find the lock held and start polling
  await waitFor(() => waiters.every((w) => isRunning(w.pid)), { what: 'waiters polling' });
  assert.ok(waiters.every((w) => !/acquired/.test(w.output())), 'nobody acquires while the command runs');
  const ended = Date.now();
  process.kill(sleepPid, 'SIGTERM');
  await waitFor(() => waiters.some((w) => /acquired/.test(w.output())), { timeoutMs: 5_000, intervalMs: 5, what: 'a waiter to acquire' });
  const latencyMs = Date.now() - ended;
  t.diagnostic(`hand-over latency: ${latencyMs} ms`);
  assert.ok(latencyMs < 2_000, `a waiter took the lock ${latencyMs} ms after the holder ended`);
  // exactly one acquired; the others keep waiting
  await waitFor(() => waiters.filter((w) => /acquired/.test(w.output())).length === 1 || undefined, { what: 'one holder' });
  assert.equal(waiters.filter((w) => /acquired/.test(w.output())).length, 1);
});

