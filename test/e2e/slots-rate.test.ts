// Semaphores and shared rate limits (issue 14, part 3), with real processes: `berth lock NAME
// --slots N` never lets more than N commands run at once and frees the slot of a SIGKILLed
// holder at once; `berth rate NAME --limit 10/s` hands out no token early to 30 concurrent
// takers, and --timeout fails with rate_timeout taking nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTRACT } from '../../src/app/contract.ts';
import { CLI, berth } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { isRunning, type Proc, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

test('10 concurrent `berth lock g --slots 3` run every command, never more than 3 at once', async (t) => {
  const { env } = tempHome(t);
  const log = join(tempDir(t), 'entries.log');
  // each command appends its entry and its exit (O_APPEND: lines never interleave)
  const script = `echo "+ $$" >> ${log}; sleep 0.4; echo "- $$" >> ${log}`;
  const takers: Proc[] = [];
  for (let i = 0; i < 10; i++) takers.push(start(t, process.execPath, [CLI, 'lock', 'g', '--slots', '3', '--wait', '120s', '--', 'sh', '-c', script], { env }));
  const exits = await Promise.all(takers.map((p) => p.exited));
  for (const [i, e] of exits.entries()) assert.equal(e.code, 0, takers[i]!.output());

  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('+ ')).length, 10, `all 10 ran:\n${lines.join('\n')}`);
  assert.equal(lines.filter((l) => l.startsWith('- ')).length, 10, lines.join('\n'));
  let running = 0;
  let max = 0;
  for (const line of lines) {
    running += line.startsWith('+ ') ? 1 : -1;
    max = Math.max(max, running);
  }
  t.diagnostic(`max concurrency: ${max}`);
  assert.ok(max <= 3, `at most 3 at once, saw ${max}:\n${lines.join('\n')}`);
  assert.ok(max >= 2, `a semaphore of 3, not a lock of 1: saw at most ${max} at once`);
  const locks = (await berth(['locks', '--json'], { env })).json();
  assert.deepEqual(locks.slots, [], 'every slot is free again');
});

test('a slot whose holders are SIGKILLed is free again at once; locks shows slot holders', async (t) => {
  const { env } = tempHome(t);
  const sleepArgv = ['sleep', `30.${process.pid}`];
  const holder = start(t, process.execPath, [CLI, 'lock', 'gpu', '--slots', '1', '--', ...sleepArgv], { env });
  const sleepPid = await waitFor(() => pidsWithArgv(sleepArgv)[0], { what: 'the guarded command to start' });
  const listed = await waitFor(
    async () => {
      const doc = (await berth(['locks', '--json'], { env })).json();
      return doc.slots.length === 1 ? doc : undefined;
    },
    { what: 'the slot holder to be recorded' },
  );
  assert.deepEqual(listed.slots.map((s: { name: string; slot: number; pid: number }) => [s.name, s.slot, s.pid]), [['gpu', 1, sleepPid]]);
  assert.deepEqual(listed.named, [], 'a slot is not a plain lock');

  const full = await berth(['lock', 'gpu', '--slots', '1', '--json', '--', 'true'], { env });
  assert.equal(full.code, 0, full.toString());
  assert.equal(full.json().acquired, false);
  assert.ok(CONTRACT.lock.safeParse(full.json()).success, 'the held-slots document is the contract\'s');
  assert.ok(CONTRACT.locks.safeParse(listed).success, 'locks with a slot holder is the contract\'s');
  assert.deepEqual(full.json().holders.map((h: { pid: number; slot: number }) => [h.pid, h.slot]), [[sleepPid, 1]]);
  // with --wait, running out of it is a failure: exit 3, slot_busy, the holder named, CMD never ran
  const marker = join(tempDir(t), 'ran');
  const waited = await berth(['lock', 'gpu', '--slots', '1', '--wait', '300ms', '--json', '--', 'touch', marker], { env });
  assert.equal(waited.code, 3, waited.toString());
  assert.equal(waited.json().error.code, 'slot_busy');
  assert.match(waited.json().error.message, new RegExp(`the 1 slot of "gpu" is still held by pid ${sleepPid}`));
  assert.ok(!existsSync(marker), 'the command did not run');
  const text = await berth(['lock', 'gpu', '--slots', '1', '--', 'true'], { env });
  assert.equal(text.code, 0, 'without --wait: "already running", exit 0 (the singleton cron use)');
  assert.match(text.stdout, /the 1 slot of "gpu" is held/);
  // --timeout is taken as --wait
  const aliased = await berth(['lock', 'gpu', '--slots', '1', '--timeout', '200ms', '--json', '--', 'true'], { env });
  assert.equal(aliased.code, 3, aliased.toString());
  // a plain lock held by a live process, waited for: lock_held
  const lockHolder = start(t, process.execPath, [CLI, 'lock', 'plainx', '--', 'sleep', `31.${process.pid}`], { env });
  const plainPid = await waitFor(() => pidsWithArgv(['sleep', `31.${process.pid}`])[0], { what: 'the plain lock holder' });
  const lockWait = await berth(['lock', 'plainx', '--wait', '200ms', '--json', '--', 'true'], { env });
  assert.equal(lockWait.code, 3, lockWait.toString());
  assert.equal(lockWait.json().error.code, 'lock_held');
  assert.match(lockWait.json().error.message, new RegExp(`still held by pid (${plainPid}|${lockHolder.pid}) `), lockWait.toString());
  lockHolder.child.kill('SIGTERM');
  process.kill(plainPid, 'SIGTERM');
  await lockHolder.exited;

  // a plain lock of the same name is another lock
  const plain = await berth(['lock', 'gpu', '--json', '--', 'true'], { env });
  assert.equal(plain.json().acquired, true, plain.toString());

  // SIGKILL both processes that hold the socket: berth and its command
  holder.child.kill('SIGKILL');
  process.kill(sleepPid, 'SIGKILL');
  await holder.exited;
  await waitFor(() => !isRunning(sleepPid), { what: 'the command to die' });
  const next = await berth(['lock', 'gpu', '--slots', '1', '--json', '--', 'true'], { env });
  assert.equal(next.code, 0, next.toString());
  assert.deepEqual([next.json().acquired, next.json().slot], [true, 1], next.toString());
});

test('`berth rate api --limit 10/s`: 30 concurrent takers all get through, none early', async (t) => {
  const { env } = tempHome(t);
  const takers: Proc[] = [];
  for (let i = 0; i < 30; i++) takers.push(start(t, process.execPath, [CLI, 'rate', 'api', '--limit', '10/s', '--take', '--json'], { env }));
  const exits = await Promise.all(takers.map((p) => p.exited));
  const docs = takers.map((p, i) => {
    assert.equal(exits[i]!.code, 0, p.output());
    const json = p.output().slice(p.output().indexOf('{'));
    const doc = JSON.parse(json.slice(0, json.lastIndexOf('}') + 1));
    assert.match(p.output(), new RegExp(`took a token of "api" \\(10/s\\) after waiting ${doc.waitedMs} ms`));
    return doc as { at: string; waitedMs: number; limit: string; burst: number };
  });
  const times = docs.map((d) => Date.parse(d.at)).sort((a, b) => a - b);
  // the first token was taken no earlier than the first taker asked (its `at` less its wait):
  // a taker descheduled between its take and its clock read must not shift the origin
  const first = Math.min(...docs.map((d) => Date.parse(d.at) - d.waitedMs));
  // a token bucket of burst 1 at 10/s: by any time T, at most 1 + 10 * (T - first) / 1 s taken
  const EPSILON_MS = 5; // the clock's and the timers' granularity, not a scheduling allowance
  for (const [i, at] of times.entries()) {
    const allowed = 1 + Math.floor(((at - first + EPSILON_MS) * 10) / 1000);
    assert.ok(i + 1 <= allowed, `${i + 1} tokens taken ${at - first} ms after the first: at most ${allowed} allowed`);
  }
  t.diagnostic(`30 takes spread over ${times.at(-1)! - first} ms; waits: ${docs.map((d) => d.waitedMs).sort((a, b) => a - b).join(' ')}`);
  assert.ok(times.at(-1)! - times[0]! >= 2900 - EPSILON_MS - (times[0]! - first), 'the 30th token is due 2.9 s after the first');
  assert.ok(docs.some((d) => d.waitedMs >= 100), 'somebody waited');
  const locks = (await berth(['locks', '--json'], { env })).json();
  assert.deepEqual(locks.buckets.map((b: { name: string; limit: string; burst: number }) => [b.name, b.limit, b.burst]), [['api', '10/s', 1]]);
});

test('`berth rate --timeout` fails with rate_timeout, takes nothing and changes no limit; the latest taker wins; bad limits are usage errors', async (t) => {
  const { env } = tempHome(t);
  const take = (args: string[]) => berth(['rate', 'slow', '--take', '--json', ...args], { env });
  assert.equal((await take(['--limit', '1/h'])).code, 0);
  const refused = await take(['--limit', '1/h', '--timeout', '2s']);
  assert.equal(refused.code, 1, refused.toString());
  assert.equal(refused.json().error.code, 'rate_timeout');
  assert.ok(refused.json().error.details.dueInMs > 3_500_000, refused.toString());
  // nothing was taken: the bucket holds no reservation
  let bucket = (await berth(['locks', '--json'], { env })).json().buckets[0];
  assert.deepEqual([bucket.tokensLeft, bucket.waiting], [0, 0]);

  // a refused taker changes nothing shared: not the limit (which would re-time the waits
  // promised to other takers), and no `replaced` event
  const faster = await take(['--limit', '2/min', '--timeout', '5s']);
  assert.equal(faster.code, 1, faster.toString());
  assert.match(faster.json().error.hint, /--timeout/);
  bucket = (await berth(['locks', '--json'], { env })).json().buckets[0];
  assert.equal(bucket.limit, '1/h', 'a failed take must not replace the shared limit');
  const rateEvents = async (): Promise<string[]> =>
    (await berth(['events', '--json'], { env })).json().events.filter((e: { verb: string }) => e.verb === 'rate').map((e: { details: { change: string } }) => e.details.change).sort();
  assert.deepEqual(await rateEvents(), ['created']);
  // a taker that takes a token sets its limit (recorded): the latest taker wins
  const taker = await take(['--limit', '20/s', '--timeout', '5s']);
  assert.equal(taker.code, 0, taker.toString());
  bucket = (await berth(['locks', '--json'], { env })).json().buckets[0];
  assert.equal(bucket.limit, '20/s');
  assert.deepEqual(await rateEvents(), ['created', 'replaced']);

  // the command form runs CMD after its token, with CMD's status
  const ran = await berth(['rate', 'slow', '--limit', '20/s', '--json', '--', 'sh', '-c', 'exit 7'], { env });
  assert.equal(ran.code, 7, ran.toString());
  assert.equal(ran.json().status, 7);

  const bad = await take(['--limit', '10/fortnight']);
  assert.equal(bad.code, 2, bad.toString());
  assert.equal(bad.json().error.code, 'invalid_rate');
  const slots = await berth(['lock', 'g', '--slots', '0', '--json', '--', 'true'], { env });
  assert.equal(slots.code, 2, slots.toString());
});
