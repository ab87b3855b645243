// 20 processes leasing 25 names each at once: no port twice, none that was listening, and
// the same name always gets the same port.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { tempDir, tempHome } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

const LEASE_MANY = fileURLToPath(new URL('../fixtures/lease-many.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));

test('lease storm: 20 processes x 25 names', async (t) => {
  const { env } = tempHome(t);
  // A listener inside the range, which must never be handed out.
  const listener = start(t, process.execPath, [LISTEN, '--host', '0.0.0.0']);
  const busy = Number((await listener.line(/listening (\d+)/))[1]);
  const low = Math.max(1024, busy - 150);
  const stormEnv = { ...env, BERTH_PORT_RANGE: `${low}-${low + 299}` };
  const go = join(tempDir(t), 'go');

  const procs = Array.from({ length: 20 }, (_, i) => start(t, process.execPath, ['--disable-warning=ExperimentalWarning', LEASE_MANY, String(i), go], { env: stormEnv }));
  writeFileSync(go, '');
  const results = await Promise.all(
    procs.map(async (p) => {
      const { code } = await p.exited;
      assert.equal(code, 0, p.output());
      return JSON.parse(p.output().trim()) as Array<[string, number, number]>;
    }),
  );

  const portOf = new Map<string, number>();
  const nameOf = new Map<number, string>();
  const latencies: number[] = [];
  for (const leases of results) {
    for (const [name, port, ms] of leases) {
      latencies.push(ms);
      if (portOf.has(name)) assert.equal(port, portOf.get(name), `${name} got two ports`);
      portOf.set(name, port);
      if (nameOf.has(port)) assert.equal(nameOf.get(port), name, `port ${port} handed to ${nameOf.get(port)} and ${name}`);
      nameOf.set(port, name);
      assert.notEqual(port, busy, 'a listening port was handed out');
    }
  }
  assert.equal(portOf.size, 12 + 20 * 13);
  assert.equal(nameOf.size, portOf.size, 'no port handed out twice');
  latencies.sort((a, b) => a - b);
  t.diagnostic(`lease latency p50 ${latencies[latencies.length >> 1]!.toFixed(1)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)]!.toFixed(1)} ms`);

  // The registry agrees, and records one lease event per name.
  const ports = (await berth(['ports', '--json'], { env: stormEnv })).json();
  assert.equal(ports.claims.length, portOf.size);
  const events = (await berth(['events', '-n', '1000', '--json'], { env: stormEnv })).json().events as Array<{ verb: string }>;
  assert.equal(events.filter((e) => e.verb === 'lease').length, portOf.size);
});
