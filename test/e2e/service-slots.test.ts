// `slots: {gpu: 1}` in berth.yaml (issue 14): a service starts only once it holds a slot of each
// declared group, holds it for its whole life in its own process (not the daemon's), and the
// kernel frees it when the service stops or dies, SIGKILL included. Real daemon, real services,
// real abstract sockets.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { boundLocks } from '../../src/core/locks/named-lock.ts';
import { CLI, berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { isRunning, start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

interface Svc {
  name: string;
  pid: number | null;
  state: string;
}

/** A berth.yaml of services a and b, both needing the one slot of gpu; neither restarts. */
function project(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  const svc = (tag: string): string => `  ${tag}:\n    run: ["${node}", "${SERVICE}", "--${tag}"]\n    restart: never\n    slots: {gpu: 1}\n`;
  writeFileSync(join(dir, 'berth.yaml'), `name: slotted\nservices:\n${svc('a')}${svc('b')}`);
  return dir;
}

async function service(env: NodeJS.ProcessEnv, name: string): Promise<Svc | undefined> {
  const services: Svc[] = ok(await berth(['ps', '--all', '--json'], { env })).json().services;
  return services.find((s) => s.name === name);
}

async function slotHolders(env: NodeJS.ProcessEnv): Promise<Array<[string, number, number, string]>> {
  const doc = ok(await berth(['locks', '--json'], { env })).json();
  return doc.slots.map((s: { name: string; slot: number; pid: number; command: string }) => [s.name, s.slot, s.pid, s.command]);
}

/** Waits until b's `berth up` has found the slot taken (its slot-wait event). */
async function waitingForSlot(env: NodeJS.ProcessEnv): Promise<void> {
  await waitFor(
    async () => {
      const events = ok(await berth(['events', '--json'], { env })).json().events as Array<{ verb: string; subject: string }>;
      return events.some((e) => e.verb === 'slot-wait' && e.subject === 'slotted/b') || undefined;
    },
    { what: 'b to wait for the gpu slot' },
  );
}

test('a second service declaring slots {gpu: 1} waits while the first runs, and starts once it is stopped', async (t) => {
  const { env } = daemonHome(t);
  const dir = project(t);
  ok(await berth(['up', 'a', '--json'], { env, cwd: dir }));
  const a = (await service(env, 'a'))!;
  assert.ok(a.pid !== null && isRunning(a.pid), `a runs: ${JSON.stringify(a)}`);
  const held = await slotHolders(env);
  assert.equal(held.length, 1, JSON.stringify(held));
  assert.deepEqual(held[0]!.slice(0, 3), ['gpu', 1, a.pid], 'locks names a\'s process as the holder of gpu#1');
  assert.match(held[0]![3], /^service slotted\/a: /, 'and says it is the service');

  // no wait: the slot is taken, b fails, naming the holder, and nothing of b runs
  const refused = await berth(['up', 'b', '--timeout', '300ms', '--json'], { env, cwd: dir });
  assert.equal(refused.code, 3, refused.toString());
  const error = refused.json().error;
  assert.equal(error.code, 'slot_busy', refused.toString());
  assert.deepEqual(error.details.holders.map((h: { pid: number; slot: number }) => [h.pid, h.slot]), [[a.pid, 1]]);
  assert.equal((await service(env, 'b'))?.pid ?? null, null, 'b did not start');

  // a patient `berth up b` waits; b does not start while a runs
  const upB = start(t, node, [CLI, 'up', 'b', '--timeout', '60s', '--json'], { env, cwd: dir });
  await waitingForSlot(env);
  assert.equal((await service(env, 'b'))?.pid ?? null, null, 'b does not start while a holds the slot');
  assert.ok(isRunning(a.pid!));

  ok(await berth(['stop', 'a'], { env }));
  const exit = await upB.exited;
  assert.equal(exit.code, 0, upB.output());
  const b = (await service(env, 'b'))!;
  assert.ok(b.pid !== null && isRunning(b.pid), `b runs once a stopped: ${JSON.stringify(b)}`);
  assert.deepEqual((await slotHolders(env)).map((h) => h.slice(0, 3)), [['gpu', 1, b.pid]]);
});

test('SIGKILL of the holding service frees its slot; the daemon never holds a slot, even across its own SIGKILL', async (t) => {
  const { env } = daemonHome(t);
  const dir = project(t);
  ok(await berth(['up', 'a'], { env, cwd: dir }));
  const a = (await service(env, 'a'))!;

  // the daemon closed its copy after the spawn: only a's process holds the socket
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  assert.ok(!socketPids('gpu#1').includes(daemon.pid), 'the daemon holds no slot');
  assert.deepEqual(socketPids('gpu#1'), [a.pid]);
  // a crash of the daemon leaves the slot with the service
  process.kill(daemon.pid, 'SIGKILL');
  await waitFor(() => !isRunning(daemon.pid), { what: 'the daemon to die' });
  const taken = await berth(['lock', 'gpu', '--slots', '1', '--json', '--', 'true'], { env });
  assert.equal(taken.json().acquired, false, `a still holds the slot after the daemon died:\n${taken}`);

  const upB = start(t, node, [CLI, 'up', 'b', '--timeout', '60s', '--json'], { env, cwd: dir });
  await waitingForSlot(env);
  process.kill(a.pid!, 'SIGKILL');
  const exit = await upB.exited;
  assert.equal(exit.code, 0, upB.output());
  const b = (await service(env, 'b'))!;
  assert.ok(b.pid !== null && isRunning(b.pid), `b took the slot a's death freed: ${JSON.stringify(b)}`);
  assert.deepEqual(socketPids('gpu#1'), [b.pid]);

  process.kill(b.pid!, 'SIGKILL');
  await waitFor(() => !isRunning(b.pid!), { what: 'b to die' });
  const free = await berth(['lock', 'gpu', '--slots', '1', '--json', '--', 'true'], { env });
  assert.deepEqual([free.json().acquired, free.json().slot], [true, 1], `SIGKILL of b freed the slot:\n${free}`);


  /** The pids holding this home's lock socket `name` (from /proc/net/unix and the fd tables). */
  function socketPids(name: string): number[] {
    return boundLocks(env.BERTH_HOME!).get(name) ?? [];
  }
});
