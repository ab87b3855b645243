// Why: the suite's second run (test/run.mjs, "portable") sets BERTH_INSPECT and BERTH_LOCKS in
// the runner's environment and relies on every berth a test starts seeing them: the CLI, the
// daemon it launches and the services that daemon starts. If a helper built its environment
// from scratch, the second run would silently test the default backends again.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';

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
