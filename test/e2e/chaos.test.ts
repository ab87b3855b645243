// Faults injected on purpose: the daemon killed mid-start, services killed in a loop, a hung
// service, a log flood, the registry removed or corrupted under a running daemon, and a
// hundred concurrent runs of one name.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { pidsWithArgv } from '../helpers/proc-table.ts';
import { isRunning } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;
const LOOP_MS = Number(process.env.BERTH_CHAOS_LOOP_MS ?? 30_000);


interface Svc {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
}

async function ps(env: NodeJS.ProcessEnv): Promise<Svc[]> {
  return ok(await berth(['ps', '--all', '--json'], { env })).json().services;
}

test('100 concurrent `berth run` of one name start one instance', async (t) => {
  const { env } = daemonHome(t);
  const argv = [node, SERVICE, '--http', '--hundred'];
  const runs = await Promise.all(Array.from({ length: 100 }, () => berth(['run', 'one', '--port', 'auto', '--json', '--', ...argv], { env, timeoutMs: 120_000 })));
  for (const r of runs) ok(r);
  const outcomes = runs.map((r) => r.json().outcome);
  assert.equal(outcomes.filter((o) => o === 'started').length, 1, `${outcomes}`);
  assert.equal(new Set(runs.map((r) => r.json().service.pid)).size, 1);
  assert.equal(pidsWithArgv(argv).length, 1);
});

test('kill -9 of berthd during 20 concurrent starts: afterwards every service runs exactly once', async (t) => {
  const { env } = daemonHome(t);
  ok(await berth(['daemon', 'start'], { env }));
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json().pid as number;
  const starts = Array.from({ length: 20 }, (_, i) => berth(['run', `c${i}`, '--port', 'auto', '--', node, SERVICE, '--http', `--c${i}`], { env, timeoutMs: 120_000 }));
  await waitFor(async () => (await ps(env)).length >= 3, { what: 'some starts under way' });
  process.kill(daemon, 'SIGKILL');
  await Promise.all(starts); // some fail (the daemon died under them): the point is what follows
  // calling run again for every name converges: each runs exactly once
  for (let i = 0; i < 20; i++) ok(await berth(['run', `c${i}`, '--port', 'auto', '--', node, SERVICE, '--http', `--c${i}`], { env, timeoutMs: 120_000 }));
  for (let i = 0; i < 20; i++) assert.equal(pidsWithArgv([node, SERVICE, '--http', `--c${i}`]).length, 1, `c${i} runs exactly once`);
  const list = await ps(env);
  assert.equal(list.filter((s) => s.state === 'healthy').length, 20, JSON.stringify(list.map((s) => [s.name, s.state])));
});

test(`services killed with SIGKILL in a loop for ${LOOP_MS / 1000}s all come back, no duplicates, restart counts match`, async (t) => {
  const { env } = daemonHome(t);
  const names = ['k0', 'k1', 'k2'];
  for (const n of names) ok(await berth(['run', n, '--restart', 'always', '--', node, SERVICE, `--${n}`], { env }));
  const kills = new Map(names.map((n) => [n, 0]));
  const deadline = Date.now() + LOOP_MS;
  while (Date.now() < deadline) {
    for (const s of await ps(env)) {
      if (s.pid !== null && s.state === 'running' && isRunning(s.pid)) {
        process.kill(s.pid, 'SIGKILL');
        kills.set(s.name, kills.get(s.name)! + 1);
        await waitFor(() => !isRunning(s.pid!), { what: `pid ${s.pid} to die` });
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const settled = await waitFor(async () => {
    const list = await ps(env);
    return list.every((s) => s.state === 'running') ? list : undefined;
  }, { timeoutMs: 60_000, what: 'all back' });
  for (const s of settled) {
    assert.equal(pidsWithArgv([node, SERVICE, `--${s.name}`]).length, 1, `${s.name}: exactly one`);
    assert.equal(s.restarts, kills.get(s.name), `${s.name}: one restart per kill`);
    assert.ok(kills.get(s.name)! >= 3, `${s.name} was killed ${kills.get(s.name)} times`);
  }
});

test('a SIGSTOPped service whose health check fails is restarted', async (t) => {
  const { env } = daemonHome(t);
  const first = ok(await berth(['run', 'hang', '--port', 'auto', '--health', 'http://127.0.0.1:$PORT/', '--json', '--', node, SERVICE, '--http'], { env })).json().service;
  process.kill(first.pid, 'SIGSTOP');
  const back = await waitFor(async () => {
    const s = (await ps(env)).find((x) => x.name === 'hang')!;
    return s.state === 'healthy' && s.pid !== null && s.pid !== first.pid ? s : undefined;
  }, { timeoutMs: 60_000, what: 'the hung service to be replaced' });
  assert.ok(!isRunning(first.pid), 'the stopped process was killed');
  assert.equal(back.restarts, 1);
  const kill = ok(await berth(['events', '--json'], { env })).json().events.find((e: { verb: string }) => e.verb === 'kill');
  assert.match(kill.details.reason, /health check failed 3 times/);
});

test('a service writing 50 MB/s of logs stays under the cap while ps stays responsive', async (t) => {
  const { env, home } = daemonHome(t);
  const capped = { ...env, BERTH_LOG_MAX_BYTES: String(5 * 1024 * 1024), BERTH_PROJECT: 'p' };
  // 1 MiB every 20 ms: about 50 MB/s
  const flood = 'const line = "x".repeat(1023) + "\\n"; const chunk = line.repeat(1024); setInterval(() => process.stdout.write(chunk), 20)';
  ok(await berth(['run', 'flood', '--no-wait', '--', node, '-e', flood], { env: capped }));
  const log = join(home, 'logs', 'p', 'flood.log'); // logs/<project>/<service>.log (decision 0016)
  const deadline = Date.now() + 10_000;
  let maxSize = 0;
  let slowestPs = 0;
  while (Date.now() < deadline) {
    const t0 = Date.now();
    ok(await berth(['ps', '--json'], { env }));
    slowestPs = Math.max(slowestPs, Date.now() - t0);
    if (existsSync(log)) maxSize = Math.max(maxSize, statSync(log).size);
  }
  t.diagnostic(`largest log seen: ${(maxSize / 1048576).toFixed(1)} MiB (cap 5 MiB, checked every 200 ms); slowest ps: ${slowestPs} ms`);
  assert.ok(existsSync(`${log}.1`), 'rotated');
  assert.ok(maxSize < 5 * 1024 * 1024 + 20 * 1024 * 1024, `log grew to ${maxSize}`);
  assert.ok(slowestPs < 10_000, `ps answered (slowest ${slowestPs} ms)`);
  assert.ok(statSync(`${log}.1`).size <= 5 * 1024 * 1024 + 20 * 1024 * 1024);
});

test('the registry removed or corrupted under a running daemon: restored, or a clear error; no service duplicated', async (t) => {
  const { env, home } = daemonHome(t);
  const a = ok(await berth(['run', 'keep', '--port', 'auto', '--json', '--', node, SERVICE, '--http', '--keep'], { env })).json().service;
  const db = join(home, 'berth.db');
  rmSync(db);
  await waitFor(() => existsSync(db) && readdirSync(home).includes('berth.db'), { what: 'the registry to be restored' });
  await waitFor(async () => (await berth(['ps', '--json'], { env })).code === 0, { what: 'ps to answer' });
  const after = await ps(env);
  assert.deepEqual(after.map((s) => [s.name, s.pid]), [['keep', a.pid]], 'records survived');
  ok(await berth(['run', 'keep', '--port', 'auto', '--', node, SERVICE, '--http', '--keep'], { env }));
  assert.equal(pidsWithArgv([node, SERVICE, '--http', '--keep']).length, 1, 'not duplicated');

  writeFileSync(db, 'garbage '.repeat(1000));
  const broken = await waitFor(async () => {
    const r = await berth(['ps', '--json'], { env });
    return r.code !== 0 ? r : undefined;
  }, { timeoutMs: 15_000, what: 'a clear error' });
  assert.equal(broken.json().error.code, 'registry_corrupt', broken.toString());
  assert.match(broken.json().error.hint, /mv .*berth\.db .*berth\.db\.broken/);
  assert.equal(pidsWithArgv([node, SERVICE, '--http', '--keep']).length, 1, 'the service runs on, once');
});
