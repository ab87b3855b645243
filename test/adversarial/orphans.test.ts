// gc --orphans acts on what it listed, and only that: an orphan whose pid is handed to another
// process between the listing and the signal is not signalled. The listing's identity (pid,
// start time, boot id) is what gc re-checks; here the listed identity is given the pid of a
// bystander that started later, which is exactly what a reused pid looks like to berth (staging
// a real reuse of a host pid would need the whole machine's pid space, see pid-reuse.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertBystandersAlive, countHostile, startBystander } from '../helpers/adversarial.ts';
import { startAgent } from '../helpers/agent.ts';
import { tempHome } from '../helpers/home.ts';
import { freePort } from '../helpers/ports.ts';
import { hasCommand, isRunning, stopPid } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';
import { stopOrphan } from '../../src/core/orphans-gc.ts';
import { findOrphans } from '../../src/core/orphans.ts';
import type { EventInput } from '../../src/core/registry/events.ts';

test('an orphan whose pid is reused between listing and gc is not signalled', { skip: !hasCommand('python3') && 'python3 not installed' }, async (t) => {
  const { home, env } = tempHome(t);
  const agent = await startAgent(t, env);
  const port = await freePort();
  const pid = await agent.background('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1']);
  await agent.kill();
  const listed = await waitFor(() => findOrphans({ registry: undefined, home, protect: [] }).find((o) => o.pid === pid && o.ports.some((p) => p.port === port)), {
    what: `pid ${pid} to be listed as an orphan on :${port}`,
  });
  assert.equal(listed.kind, 'agent-abandoned');
  await stopPid(pid);

  const bystander = startBystander(t);
  await waitFor(() => isRunning(bystander.pid), { what: 'the bystander to run' });
  const reused = { ...listed, pid: bystander.pid, identity: { ...listed.identity, pid: bystander.pid } };
  countHostile(t, 1, 'a listed orphan whose pid now names another process');
  const events: EventInput[] = [];
  const result = await stopOrphan(reused, { home, protect: [], trees: [] }, 500, (e) => events.push(e));
  assert.equal(result.outcome, 'gone');
  assert.match(String(result.why), /pid reuse/);
  assert.deepEqual(result.pids, []);
  assert.deepEqual(events, [], 'nothing is recorded as stopped');
  assertBystandersAlive(t, [bystander]);
});
