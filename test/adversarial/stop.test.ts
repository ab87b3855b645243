// Stopping a service stops all of it, and only it; eviction and free end even when the holder
// fights back. Found by an adversarial review of the instance markers: a child that cleared its
// environment, a double-forked leftover of an earlier run, a holder that re-forks on SIGTERM,
// and berth's daemon living below the holder of a port (a subreaper).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { assertBystandersAlive, countHostile, startBystander } from '../helpers/adversarial.ts';
import { berth, CLI, ok } from '../helpers/cli.ts';
import { daemonHome, pidsWithEnv } from '../helpers/daemon.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand, isRunning, start, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const HYDRA = fileURLToPath(new URL('../fixtures/hydra.py', import.meta.url));
const SUBREAPER = fileURLToPath(new URL('../fixtures/subreaper.py', import.meta.url));
const node = process.execPath;
const noPython = !hasCommand('python3') && 'python3 not installed';

test('stop ends descendants that cleared their environment (no marker), while the leader lives', async (t) => {
  const { env } = daemonHome(t);
  const tag = randomUUID();
  // env -i also drops the test run's marker, so a child berth failed to stop is stopped here
  t.after(() => Promise.all(pidsWithEnv(`TAG=${tag}`).map((pid) => stopPid(pid))));
  // env -i drops BERTH_INSTANCE: the child is known by parentage only
  const r = ok(await berth(['run', 'envi', '--restart', 'never', '--json', '--', 'sh', '-c', `env -i TAG=${tag} sleep 1001 & exec sleep 1002`], { env })).json();
  const leader = r.service.pid as number;
  const stripped = await waitFor(() => pidsWithEnv(`TAG=${tag}`)[0], { what: 'the env -i child' });
  ok(await berth(['stop', 'envi'], { env }));
  assert.ok(!isRunning(leader), 'the leader is gone');
  assert.ok(!isRunning(stripped), 'the child without the marker is gone too');
  countHostile(t, 1, 'a service child with a cleared environment');
});

test('a double-forked leftover of an earlier run is the service\'s own: replaced on the next start, not refused as a stranger', async (t) => {
  const env: NodeJS.ProcessEnv = { ...daemonHome(t).env, BERTH_PROJECT: 'p' }; // BERTH_SERVICE is the full name, p/dfp (decision 0016)
  const port = await freePort();
  const args = ['run', 'dfp', '--restart', 'never', '--port', String(port), '--json', '--', 'sh', '-c', `setsid ${node} ${LISTEN} --port $PORT & sleep 0.5`];
  ok(await berth(args, { env }));
  // the sh leader exits; the listener lives on in a session of its own, reparented
  const leftover = await waitFor(async () => {
    const s = ok(await berth(['ps', '--all', '--json'], { env })).json().services[0];
    return s.state === 'exited' && pidsWithEnv(`BERTH_SERVICE=p/dfp`).find((pid) => isRunning(pid));
  }, { what: 'the run to exit, leaving its listener' });
  const again = await berth(args, { env });
  assert.equal(again.code, 0, `the leftover is replaced, not a conflict:\n${again}`);
  assert.ok(!isRunning(leftover), 'the leftover was stopped');
  const kill = ok(await berth(['events', '--json'], { env })).json().events.find((e: { verb: string }) => e.verb === 'kill');
  assert.ok(kill, 'the leftover\'s removal is on the record as an earlier instance');
  ok(await berth(['stop', 'dfp'], { env }));
  countHostile(t, 1, 'a double-forked leftover of the previous run');
});

test('a holder that re-forks on SIGTERM: eviction gives up after a few rounds, free says it is still held', { skip: noPython }, async (t) => {
  const { env } = daemonHome(t);
  const tag = randomUUID();
  const bystander = startBystander(t);
  const hydraEnv = { ...env, HYDRA_TAG: tag };
  t.after(async () => {
    // SIGKILL cannot be caught, so it does not fork again
    for (const pid of pidsWithEnv(`HYDRA_TAG=${tag}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  const hydra = start(t, 'python3', [HYDRA, '0', '20'], { env: hydraEnv });
  const port = Number((await hydra.line(/listening (\d+)/))[1]);
  const run = await berth(['run', 'hy', '--port', String(port), '--on-conflict', 'evict', '--json', '--', node, LISTEN, '--port', '$PORT'], { env, timeoutMs: 60_000 });
  assert.equal(run.code, 3, `eviction ends with a refusal:\n${run}`);
  assert.match(run.json().error.message, /came back after \d+ evictions/);
  const free = await berth(['free', String(port), '--json'], { env });
  assert.equal(free.code, 3, `free does not claim success:\n${free}`);
  assert.equal(free.json().error.code, 'still_held');
  const evictions = ok(await berth(['events', '--json'], { env })).json().events.filter((e: { verb: string; details: { cause?: string } }) => e.verb === 'evict' && e.details.cause === 'on_conflict');
  assert.ok(evictions.length <= 3, `a bounded number of evictions, not a loop: ${evictions.length}`);
  countHostile(t, 2, 'a holder that re-forks on SIGTERM');
  assertBystandersAlive(t, [bystander]);
});

test('free refuses a holder that is an ancestor of berth\'s daemon (a subreaper), and leaves its services alone', { skip: noPython }, async (t) => {
  const { env } = daemonHome(t);
  const harness = start(t, 'python3', [SUBREAPER, '--', node, CLI, 'run', 'svcA', '--json', '--', 'sleep', '1020'], { env: { ...env, BERTH_SESSION: 'agent-A' } });
  const port = Number((await harness.line(/listening (\d+)/))[1]);
  await harness.line(/ran 0/, 30_000);
  const svc = ok(await berth(['ps', '--json'], { env })).json().services.find((s: { name: string }) => s.name === 'svcA');
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  const daemonPid = daemon.pid ?? daemon.daemon?.pid;
  const free = await berth(['free', String(port), '--json'], { env: { ...env, BERTH_SESSION: 'agent-B' } });
  assert.equal(free.code, 3, `refused:\n${free}`);
  assert.equal(free.json().error.details.reason, 'ancestor_of_berth', free.toString());
  assert.ok(isRunning(harness.pid) && isRunning(svc.pid) && isRunning(daemonPid), 'the holder, agent-A\'s service and the daemon are untouched');
  countHostile(t, 1, 'a port holder that is an ancestor of berth\'s daemon');
  assertBystandersAlive(t, [svc.pid, daemonPid]);
});
