// Why: the suite's second run (test/run.mjs, "portable") sets BERTH_INSPECT and BERTH_LOCKS in
// the runner's environment and relies on every berth a test starts seeing them: the CLI, the
// daemon it launches and the services that daemon starts. If a helper built its environment
// from scratch, the second run would silently test the default backends again. And the test
// homes of files running at the same time must not be handed the same ports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempHome } from '../helpers/home.ts';

const CHOSEN = ['BERTH_INSPECT', 'BERTH_LOCKS'].filter((k) => process.env[k] !== undefined);

function environ(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
}

test('the backends chosen for the run reach the daemon and its services', { skip: CHOSEN.length === 0 && 'BERTH_INSPECT and BERTH_LOCKS are set only in the portable run' }, async (t) => {
  const { env } = daemonHome(t);
  const service = ok(await berth(['run', 'envcheck', '--restart', 'never', '--json', '--', 'sleep', '1051'], { env })).json().service;
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  for (const [who, pid] of [['daemon', daemon.pid], ['service', service.pid]] as const) {
    const seen = environ(pid);
    for (const k of CHOSEN) assert.ok(seen.includes(`${k}=${process.env[k]}`), `${who} (pid ${pid}) lacks ${k}=${process.env[k]}`);
  }
});

test('a profiled call (BERTH_PROFILE=1) leaves neither the daemon it starts nor the service profiling', async (t) => {
  const { env } = daemonHome(t);
  const profiled = { ...env, BERTH_PROFILE: '1' };
  const service = ok(await berth(['run', 'quiet', '--restart', 'never', '--json', '--', 'sleep', '1052'], { env: profiled })).json().service;
  const daemon = ok(await berth(['daemon', 'status', '--json'], { env })).json();
  for (const [who, pid] of [['daemon', daemon.pid], ['service', service.pid]] as const) {
    assert.ok(!environ(pid).some((e) => e.startsWith('BERTH_PROFILE')), `${who} (pid ${pid}) inherited BERTH_PROFILE`);
  }
});

// Test files run concurrently, each in its own home; berth leases a name the first free port
// from a hash of the name, so without a range of their own two homes would lease one port.
test('two test homes lease different ports for the same name', async (t) => {
  const [a, b] = [tempHome(t), tempHome(t)];
  const ports = await Promise.all([a, b].map(async ({ env }) => Number(ok(await berth(['port', 'web'], { env })).stdout.trim())));
  assert.notEqual(ports[0], ports[1], `both homes leased ${ports[0]}`);
});
